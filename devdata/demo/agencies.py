"""Demo market for 云川市 (fictional): catalogue details, approval matters, admitted agencies
with fee schedules, committed days, qualifications and practitioners; a few pending
applications, one rejected, and one agency whose qualification has expired.

Called by :func:`devdata.demo.load`; every step goes through the real operations, so the demo
has the same audit trail and version rows as real use.
"""

from __future__ import annotations

import io
import random
from datetime import date, timedelta

import sqlalchemy as sa

from market.accounts.models import Organisation, User
from market.agencies import operations as ops
from market.agencies.models import AdmissionApplication
from market.catalogue import operations as catalogue_ops
from market.catalogue.models import ServiceType
from market.catalogue.seed import BY_CODE, SERVICE_TYPES
from market.db import db
from market.domain.fees import FeeKind, FeeSchedule
from market.storage import Upload, store
from market.timeutil import today_local

# code -> (fee kind, low 元, high 元, rate bp or 0, days low, days high)
PRICES = {
    "EIA": (FeeKind.FIXED, 60_000, 280_000, 0, 30, 60),
    "FSR": (FeeKind.RATE, 30_000, 80_000, 20, 20, 40),
    "DES": (FeeKind.RATE, 150_000, 400_000, 250, 30, 90),
    "DRR": (FeeKind.FIXED, 20_000, 80_000, 0, 5, 15),
    "COST": (FeeKind.RATE, 8_000, 30_000, 35, 10, 20),
    "SURV": (FeeKind.RANGE, 15_000, 150_000, 0, 10, 25),
    "SAFE": (FeeKind.FIXED, 40_000, 120_000, 0, 20, 40),
    "SWC": (FeeKind.FIXED, 25_000, 90_000, 0, 15, 30),
}

# Which services a trade offers (matches the trade words in devdata.demo).
TRADE_SERVICES = {
    "环境科技有限公司": ("EIA", "SWC", "SAFE"),
    "工程咨询有限公司": ("FSR", "COST", "EIA"),
    "勘测设计有限公司": ("SURV", "DES", "SWC"),
    "造价事务所有限公司": ("COST", "FSR"),
    "安全技术服务有限公司": ("SAFE", "EIA"),
    "规划设计研究院有限公司": ("DES", "DRR", "SURV", "FSR"),
}

# The demo city's approving departments and their codes (as an approval system would name them).
DEPARTMENTS = {
    "云川市生态环境局": "YC-STHJJ",
    "云川市发展和改革委员会": "YC-FGW",
    "云川市住房和城乡建设局": "YC-ZJJ",
    "云川市自然资源和规划局": "YC-ZRZYJ",
    "云川市水务局": "YC-SWJ",
}
# Each report is an acceptance condition (受理条件) of its matter, except these (matter, service
# type), needed during review: the investment department has the estimate appraised by an
# intermediary while it reviews a feasibility study (政府投资条例 第十一条: 中介服务机构评估), a
# special procedure whose time 行政许可法 第四十五条 keeps out of the time limit.
IN_PROCESS = {("PA-FSR", "COST")}
# (code, name, department, statutory limit, committed limit, service types), limits in working
# days.  The statutory limit is the one the matter's own law sets, else the general one of
# 行政许可法 第四十二条 (twenty days; 第八十二条: limits are working days); the committed limit
# is the city's own promise (承诺时限), never longer:
# - 环境影响报告书 60, 报告表 30: 环境影响评价法 第二十二条 (六十日 / 三十日 from receipt).
# - 政府投资项目可行性研究报告审批 20: 政府投资条例 sets no term of its own, so 行政许可法 第四十二条.
# - 建筑工程施工许可 7: 建筑法 第八条 as amended in 2019 (七日内 from receipt of the application).
# - 建设用地规划许可 20: 城乡规划法 第三十七、三十八条 set no term, so 行政许可法 第四十二条.
# - 生产建设项目水土保持方案审批 20: 水土保持法 sets no term, so 行政许可法 第四十二条.
# (施工图审查 is a service type here, not a matter: its review time, 15 / 10 working days by the
# size of the works, is set by 房屋建筑和市政基础设施工程施工图设计文件审查管理办法 第十二条.)
APPROVAL_MATTERS = (
    ("PA-EIA", "建设项目环境影响报告书审批", "云川市生态环境局", 60, 30, ("EIA",)),
    ("PA-EIA-T", "建设项目环境影响报告表审批", "云川市生态环境局", 30, 15, ("EIA",)),
    ("PA-FSR", "政府投资项目可行性研究报告审批", "云川市发展和改革委员会", 20, 10, ("FSR", "COST")),
    ("PA-BLD", "建筑工程施工许可", "云川市住房和城乡建设局", 7, 5, ("DES", "DRR")),
    ("PA-LAND", "建设用地规划许可", "云川市自然资源和规划局", 20, 10, ("SURV",)),
    ("PA-SWC", "生产建设项目水土保持方案审批", "云川市水务局", 20, 10, ("SWC",)),
)

_PDF = b"%PDF-1.4\n% demo licence of a fictional agency (Yunchuan)\n%%EOF\n"


def _licence(user: User, org: Organisation) -> Upload:
    return store(io.BytesIO(_PDF + org.public_id.encode()), f"营业执照-{org.public_id}.pdf",
                 uploaded_by_id=user.id, organisation_id=org.id)


def _fee(rng: random.Random, code: str) -> tuple[FeeSchedule, int]:
    kind, low, high, rate, d_low, d_high = PRICES[code]
    base = rng.randrange(low, high, 500) * 100
    days = rng.randint(d_low, d_high)
    if kind == FeeKind.FIXED:
        return FeeSchedule(kind, amount_fen=base), days
    if kind == FeeKind.RATE:
        return FeeSchedule(kind, rate_bp=max(1, rate + rng.randint(-rate // 4, rate // 4)),
                           minimum_fen=base), days
    return FeeSchedule(kind, minimum_fen=base, maximum_fen=base * rng.randint(2, 5)), days


def load(agencies: list[tuple[Organisation, User]], reviewer: User,
         trades: list[str]) -> None:
    """Add the market to a freshly loaded demo city.  ``agencies`` are registered agencies with
    their administrators; ``trades`` their trade words (the key of :data:`TRADE_SERVICES`)."""
    rng = random.Random(2026)  # noqa: S311  # reproducible demo data, not security
    types = {t.code: t for t in db.session.scalars(sa.select(ServiceType))}
    for seed in SERVICE_TYPES:
        if seed.code in types:
            types[seed.code].qualification_types = [seed.qualification_type]
            types[seed.code].practitioner_types = [seed.practitioner_type]
    db.session.flush()
    for code, name, dept, statutory, committed, needs in APPROVAL_MATTERS:
        department = catalogue_ops.department_named(dept, DEPARTMENTS.get(dept))
        catalogue_ops.save_approval_matter(None, catalogue_ops.ApprovalMatterData(
            code=code, name=name, department_id=department.id, statutory_days=statutory,
            committed_days=committed, service_type_ids=[types[c].id for c in needs if c in types],
            in_process_ids=[types[c].id for c in needs if (code, c) in IN_PROCESS and c in types]))
    today = today_local()
    for n, ((org, user), trade) in enumerate(zip(agencies, trades, strict=True), start=1):
        offered = [c for c in TRADE_SERVICES[trade] if c in types]
        submit(org, user, n)
        for code in offered:
            qual, prac = BY_CODE[code].qualification_type, BY_CODE[code].practitioner_type
            level = ("甲级", "乙级", "丙级")[rng.randrange(3)]
            until = today + timedelta(days=rng.randint(200, 1500))
            if n == 7 and code == offered[0]:
                until = today - timedelta(days=10)  # the demo's expired qualification
            ops.save_qualification(org, user, ops.QualificationData(
                qualification_type=qual, level=level,
                number=f"{code}-{n:04d}-{rng.randint(100000, 999999)}",
                issuer="云川市" + (types[code].regulator.name if types[code].regulator else "主管部门"),
                valid_from=date(today.year - 3, 1, 1), valid_until=until),
                scan=_licence(user, org))
            for k in range(rng.randint(2, 5)):
                ops.save_practitioner(org, user, ops.PractitionerData(
                    name=f"执业人员{n}-{code}-{k + 1}", certificate_type=prac,
                    certificate_number=f"{code}{n:03d}{k:02d}{rng.randint(1000, 9999)}",
                    valid_until=today + timedelta(days=rng.randint(100, 1500))))
        if n > len(agencies) - 4:
            continue  # stays pending
        if n == len(agencies) - 4:
            ops.decide_application(_pending(org), reviewer, admit=False,
                                   reasons="营业执照扫描件不清晰，且法定代表人与执照不一致，请更正后重新提交。")
            continue
        ops.decide_application(_pending(org), reviewer, admit=True, reasons="")
        for code in offered:
            fee, days = _fee(rng, code)
            ops.save_listing(org, user, types[code], fee, days)
        if n % 5 == 0 and offered:  # a few agencies changed a fee once: history to show
            fee, days = _fee(rng, offered[0])
            ops.save_listing(org, user, types[offered[0]], fee, days)


def _pending(org: Organisation) -> AdmissionApplication:
    application = ops.latest_application(org)
    if application is None:
        raise RuntimeError("submitted just above")
    return application


def submit(org: Organisation, user: User, n: int) -> None:
    ops.submit_application(org, user, ops.ApplicationData(
        legal_name=org.name, credit_code=org.credit_code or "", region=org.region or "",
        legal_representative=f"法定代表人 {n}号", authorised_representative=f"业务授权人 {n}号",
        contact_phone=f"0871-6{n:07d}", contact_email=f"agency{n}@yunchuan.demo"),
        licence=_licence(user, org))
