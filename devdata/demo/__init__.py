"""Demo data for a clearly fictional city, 云川市 (``flask demo load``), one of a small
province's: a second city (云岭市) with a county (青石县), the province's regulator, and a
云岭市 owner whose request 云川市's agencies take part in (一地入驻、全省通行).

No real company, person or ID number: names are invented and credit codes are built with a
fictional region code (539900) but still pass the GB 32100 check digit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from devdata.demo import agencies as agency_demo
from devdata.demo import award as award_demo
from devdata.demo import engagements as engagement_demo
from devdata.demo import regulator as regulator_demo
from devdata.demo import selection as selection_demo
from devdata.demo.award import DEMO_KEY_DIR
from devdata.loadgen import generate_load_command
from market import config as config_module
from market import timeutil
from market.accounts import activation, invitations, passwords, persons, tenants
from market.accounts import operations as ops
from market.accounts.models import Membership, Organisation, OrgKind, RegulatorKind, Role, User
from market.calendar import operations as calendar_ops
from market.catalogue import choices as catalogue_choices
from market.catalogue import operations as catalogue_ops
from market.catalogue.models import ApprovalMatter, ServiceType
from market.catalogue.operations import department_organisation
from market.catalogue.seed import SERVICE_TYPES
from market.db import db
from market.domain.codes import make_credit_code
from market.domain.identity import resident_id_check_char
from market.selection import assignments
from market.selection.models import Project, SelectionRequest
from market.supervision import operations as supervision

demo_cli = AppGroup("demo", help="Demo data for the fictional city 云川市.")

DEMO_PASSWORD = "yunchuan-demo-2026"  # noqa: S105  # published demo password, fictional city only
CITY = "云川"  # with the catalogue's "市…局": 云川市…局
DISTRICTS = ("东城区", "西岭区", "南湖区")
DEMO_AGENCIES = 40

_AGENCY_WORDS = ("青禾", "远山", "澄川", "明衡", "岚桥", "启元", "泓泰", "北辰", "云杉", "嘉穗",
                 "拓新", "汇勘", "清岚", "知行", "同创")
_AGENCY_TRADES = ("环境科技有限公司", "工程咨询有限公司", "勘测设计有限公司", "造价事务所有限公司",
                  "安全技术服务有限公司", "规划设计研究院有限公司")

OWNERS = (
    ("云川市东城区教育局", "东城区"),
    ("云川市交通建设投资集团有限公司", "西岭区"),
    ("云川市南湖区水务局", "南湖区"),
    ("云川市城市更新发展有限公司", "东城区"),
)


def demo_credit_code(kind_digit: str, n: int) -> str:
    """A check-digit-valid credit code in the fictional region 539900."""
    body = f"{kind_digit}1539900MA{n:07d}"
    return make_credit_code(body[:17])


@contextmanager
def _one_password_hash() -> Iterator[None]:
    """Every demo account is made with the published password: its hash is computed once and
    stored for all of them, as devdata.loadgen does for its accounts.  The hash is the
    product's own (argon2id, production's parameters, a random salt); only the salt is shared,
    and the password is public anyway.  At production's cost a hash takes about a quarter of a
    CPU second and the demo makes some sixty accounts: most of what `make run` spent loading.

    The account operations call ``hash_password`` by name; it is replaced for the load only
    (one process, one thread: the loader's), and any other password is still hashed alone."""
    shared = passwords.hash_password(DEMO_PASSWORD)

    def demo_hash(password: str) -> str:
        return shared if password == DEMO_PASSWORD else passwords.hash_password(password)

    with mock.patch.object(ops, "hash_password", demo_hash):
        yield


def load() -> list[tuple[str, str, str]]:
    """Fill an empty database; returns (who, email, password) for the logins."""
    with _one_password_hash():
        return _load()


def _load() -> list[tuple[str, str, str]]:
    logins: list[tuple[str, str, str]] = []

    def person(label: str, email: str, name: str) -> tuple[str, str]:
        logins.append((label, email, DEMO_PASSWORD))
        return name, email

    name, email = person("运营 operator", "operator@yunchuan.demo", "运营管理员 周一鸣")
    op_org = ops.create_organisation(OrgKind.OPERATOR, "云川市政务服务中心（平台运营）")
    ops.add_member(op_org, name=name, email=email, role=Role.OPERATOR, password=DEMO_PASSWORD)

    regulators: dict[str, Organisation] = {}
    # Two supervisors of the platform itself; the departments that regulate the service types
    # follow from the catalogue below.
    for i, org_name in enumerate(("云川市政务服务管理办公室", "云川市财政局"), start=1):
        name, email = person(f"监管 regulator {i}", f"regulator{i}@yunchuan.demo",
                             ("监管员 林若溪", "监管员 顾承宇")[i - 1])
        ops.create_regulator(org_name=org_name, name=name, email=email, password=DEMO_PASSWORD)

    for seed in SERVICE_TYPES:
        # The catalogue names the department as any city would (市住房和城乡建设局); in the demo
        # it is the city's own, so that it is the same body as the regulator above.
        regulator_name = CITY + seed.regulator
        reg = regulators.get(regulator_name)
        if reg is None:
            reg = db.session.scalar(sa.select(Organisation).where(
                Organisation.kind == OrgKind.REGULATOR.value, Organisation.name == regulator_name))
            if reg is None:
                # the bureau regulates its own industry: only the types mapped to it below
                reg = ops.create_organisation(OrgKind.REGULATOR, regulator_name,
                                              regulator_kind=RegulatorKind.INDUSTRY)
            regulators[regulator_name] = reg
        db.session.add(ServiceType(code=seed.code, name=seed.name, name_en=seed.name_en,
                                   regulator_id=reg.id, deliverables=seed.deliverables))

    # One of those bureaus can log in (行业主管部门), to see an industry regulator's scope: only
    # the service types the catalogue maps to it.
    name, email = person("行业主管 industry regulator", "industry1@yunchuan.demo",
                         "行业监管员 周以安")
    ops.add_member(regulators[CITY + "市住房和城乡建设局"], name=name, email=email,
                   role=Role.REGULATOR, password=DEMO_PASSWORD)

    for i, (org_name, district) in enumerate(OWNERS, start=1):
        name, email = person(f"业主 owner {i}", f"owner{i}@yunchuan.demo", f"采购管理人 {i}号")
        user = ops.register(kind=OrgKind.OWNER, org_name=org_name,
                            credit_code=demo_credit_code("1", i), region=f"云川市{district}",
                            name=name, email=email, password=DEMO_PASSWORD)
        org = user.memberships[0].organisation
        activation.activate_owner(org)  # the operator's check, as a real owner goes through
        d_name, d_email = person(f"业主受托人 delegate {i}", f"delegate{i}@yunchuan.demo",
                                 f"采购受托人 {i}号")
        ops.add_member(org, name=d_name, email=d_email, role=Role.OWNER_DELEGATE,
                       password=DEMO_PASSWORD)

    agencies: list[tuple[Organisation, User]] = []
    trades: list[str] = []
    for i in range(1, DEMO_AGENCIES + 1):
        word = _AGENCY_WORDS[(i - 1) % len(_AGENCY_WORDS)]
        trade = _AGENCY_TRADES[(i - 1) % len(_AGENCY_TRADES)]
        district = DISTRICTS[(i - 1) % len(DISTRICTS)]
        org_name = f"云川{word}{trade}" if i <= 15 else f"云川{district[:2]}{word}{trade}"
        email = f"agency{i}@yunchuan.demo"
        if i <= 3:
            person(f"中介 agency {i}", email, "")
        user = ops.register(kind=OrgKind.AGENCY, org_name=org_name,
                            credit_code=demo_credit_code("9", i), region=f"云川市{district}",
                            name=f"业务授权人 {i}号", email=email, password=DEMO_PASSWORD)
        agencies.append((user, user.memberships[0].organisation)[::-1])  # (org, user)
        trades.append(trade)
    # Agencies 1–35 admitted with listings, 36 rejected, 37–40 pending (devdata.demo.agencies).
    reviewer = ops.find_user("operator@yunchuan.demo")
    if reviewer is None:
        raise RuntimeError("the demo operator is created first")
    agency_demo.load(agencies, reviewer, trades)
    now = timeutil.now()
    selection_demo.draw_schedule(now)
    # the sealed bids and objections first: they happened earlier, and log times only go forward
    award_demo.load(now)
    selection_demo.load(now)
    _department_staff(person)
    engagement_demo.load(timeutil.now())
    regulator_demo.load(timeutil.now())
    _waiting(person)
    _province(person)
    _natural_person(person)
    _assign_projects()
    # the periodic run once, as a deployment runs it every minute: the late matters' 电子监察
    # steps are on the regulator's console from the start
    supervision.escalate(timeutil.now())
    return logins


def _natural_person(person: Callable[[str, str, str], tuple[str, str]]) -> None:
    """A natural person as an owner (自然人业主), registered with a name and a resident
    identity number (a made-up one with a right check character), activated by the operator,
    with one small request open for sign-up; the public pages show the name masked (林**)."""
    name, email = person("自然人业主 person owner", "person1@yunchuan.demo", "林晓梅")
    home = tenants.home_tenant()
    body = f"{home.code}19850612042"
    user = persons.register_person(name=name, id_number=body + resident_id_check_char(body),
                                   region=f"{home.name}东城区", email=email,
                                   password=DEMO_PASSWORD)
    owner = user.memberships[0].organisation
    activation.activate_owner(owner)
    selection_demo.person_request(owner, [user, _regulator_user()])


def _regulator_user() -> User:
    found = ops.find_user("regulator1@yunchuan.demo")
    if found is None:
        raise RuntimeError("the demo regulators are created first")
    return found


def _assign_projects() -> None:
    """Each owner's administrator assigns its projects to its delegate (采购受托人) but keeps
    the one with the most requests to itself: the delegate works on the others and does not
    see that one (delegate1@yunchuan.demo: all of 东城区教育局's projects but
    东城区滨河学校新建工程, with its requests, engagements and approval cases)."""
    for org in db.session.scalars(sa.select(Organisation).where(
            Organisation.kind == OrgKind.OWNER.value).order_by(Organisation.id)):
        admin = next((m.user for m in org.memberships if m.role == Role.OWNER_ADMIN.value), None)
        delegates = assignments.delegates_of(org.id)
        projects = list(db.session.scalars(sa.select(Project).where(
            Project.owner_org_id == org.id).order_by(Project.id)))
        if admin is None or not delegates or not projects:
            continue
        requests = dict(db.session.execute(sa.select(
            SelectionRequest.project_id, sa.func.count()).where(
            SelectionRequest.owner_org_id == org.id).group_by(SelectionRequest.project_id)).all())
        kept = max(projects, key=lambda p: (requests.get(p.id, 0), p.id))
        for project in projects:
            if project is not kept or len(projects) == 1:
                for delegate in delegates:
                    assignments.assign(project, delegate, by=admin)


def _department_staff(person: Callable[[str, str, str], tuple[str, str]]) -> None:
    """One staff member (部门工作人员) for each department of the demo's approval cases, who
    records their events (the city has no linked approval system)."""
    for i, code in enumerate(engagement_demo.MATTERS, start=1):
        matter = db.session.scalar(sa.select(ApprovalMatter).where(ApprovalMatter.code == code))
        if matter is None:
            raise RuntimeError(f"the demo catalogue lists approval matter {code} first")
        org = department_organisation(matter.department)
        if db.session.scalar(sa.select(sa.func.count()).select_from(Membership).where(
                Membership.organisation_id == org.id)):
            continue
        name, email = person(f"部门工作人员 department staff {i}", f"dept{i}@yunchuan.demo",
                             f"窗口工作人员 {i}号")
        ops.add_member(org, name=name, email=email, role=Role.DEPARTMENT_STAFF,
                       password=DEMO_PASSWORD)


def _waiting(person: Callable[[str, str, str], tuple[str, str]]) -> None:
    """What is still to be done: an owner registered and waiting for the operator's check,
    and an invitation owner 1 sent that nobody has answered yet (newcomer1@yunchuan.demo can
    create the account from its link on owner 1's members page)."""
    name, email = person("业主（待核验）owner 5", "owner5@yunchuan.demo", "采购管理人 5号")
    ops.register(kind=OrgKind.OWNER, org_name="云川市西岭区卫生健康局",
                 credit_code=demo_credit_code("1", len(OWNERS) + 1), region="云川市西岭区",
                 name=name, email=email, password=DEMO_PASSWORD)
    admin = ops.find_user("owner1@yunchuan.demo")
    if admin is None:
        raise RuntimeError("the demo owners are created first")
    invitations.invite(admin.memberships[0].organisation, email="newcomer1@yunchuan.demo",
                       role=Role.OWNER_DELEGATE, inviter=admin)


SECOND_CITY = ("539800", "云岭市")
COUNTY = ("539821", "青石县")  # a county of 云岭市


def _province(person: Callable[[str, str, str], tuple[str, str]]) -> None:
    """The rest of the province: 云岭市 and its county 青石县 on the platform, with 云岭市's
    operator and service-centre supervisor; the province's regulator; an owner of 云岭市 with
    a request open for sign-up, to which an agency admitted in 云川市 has signed up."""
    root = tenants.province()
    if root is None:
        raise RuntimeError("the demo city's province exists once its first unit does")
    city = tenants.add(*SECOND_CITY, tenant=True)
    tenants.add(*COUNTY, tenant=True)
    tenants.add("539822", "白水县", tenant=False)  # in the tree, not yet on the platform
    made = []
    for label, email, shown, org_name, kind, tenant_id, regulator_kind in (
            ("省级监管 provincial regulator", "province@yunchuan.demo", "省级监管员 方知远",
             "云南省政务服务管理局（省级监管）", OrgKind.REGULATOR, root.id,
             RegulatorKind.PROVINCE),
            ("省级运营 provincial operator", "province-operator@yunchuan.demo",
             "省级运营管理员 唐知秋", "云南省政务服务管理局（平台运营）", OrgKind.OPERATOR, root.id,
             None),
            ("运营（云岭市）operator 2", "operator2@yunchuan.demo", "运营管理员 许清和",
             "云岭市政务服务中心（平台运营）", OrgKind.OPERATOR, city.id, None),
            ("监管（云岭市）regulator 3", "regulator3@yunchuan.demo", "监管员 沈明远",
             "云岭市政务服务管理办公室", OrgKind.REGULATOR, city.id, RegulatorKind.CENTRE)):
        name, email = person(label, email, shown)
        org = ops.create_organisation(kind, org_name, tenant_id=tenant_id,
                                      regulator_kind=regulator_kind)
        made.append(ops.add_member(org, name=name, email=email,
                                   role=Role.REGULATOR if kind == OrgKind.REGULATOR
                                   else Role.OPERATOR, password=DEMO_PASSWORD))
    _local_days(city.id)
    _industry_regulators(city.id, person)
    _departments(city.id, root.id)
    name, email = person("业主（云岭市）owner 6", "owner6@yunchuan.demo", "采购管理人 6号")
    user = ops.register(kind=OrgKind.OWNER, org_name="云岭市交通运输局",
                        credit_code=demo_credit_code("1", len(OWNERS) + 2), region="云岭市",
                        name=name, email=email, password=DEMO_PASSWORD, division=city.code)
    owner = user.memberships[0].organisation
    activation.activate_owner(owner)
    delegate = ops.add_member(owner, name="采购受托人 6号", email="delegate6@yunchuan.demo",
                              role=Role.OWNER_DELEGATE, password=DEMO_PASSWORD)
    selection_demo.cross_city_request(owner, [delegate, made[3]])


LOCAL_HOLIDAY_NAME = "自治州成立纪念日（演示）"
LOCAL_HOLIDAY_SOURCE = ("演示数据：云岭市是虚构地区。本条仿楚雄州人民政府办公室关于 2024 年部分节假日安排"
                        "的通知（依据《云南省楚雄彝族自治州自治条例》：自治州成立纪念日 4 月 15 日—16 日"
                        "放假，共 2 天）")


def _local_days(city_id: int) -> None:
    """云岭市's local holiday (地方性节假日), for this year and the next: the two days an
    autonomous prefecture of the province rests for its founding anniversary, marked as
    demo data with the real notice it imitates."""
    this_year = timeutil.today_local().year
    for year in (this_year, this_year + 1):
        calendar_ops.add_local_days(city_id, days_text=f"{year}-04-15..{year}-04-16",
                                    working=False, name=LOCAL_HOLIDAY_NAME,
                                    source=LOCAL_HOLIDAY_SOURCE, user_id=None)


SECOND_CITY_SURVEYING = "云岭市自然资源和规划局"


def _industry_regulators(tenant_id: int, person: Callable[[str, str, str], tuple[str, str]]
                         ) -> None:
    """云岭市's own industry regulators (行业主管部门), one per department the catalogue names,
    and its operator's mapping of each service type to its own (the catalogue's defaults are
    云川市's bureaux, which regulate nothing in 云岭市); its surveying bureau has a login."""
    own: dict[str, Organisation] = {}
    for seed in SERVICE_TYPES:
        name = SECOND_CITY[1] + seed.regulator.removeprefix("市")
        if name not in own:
            own[name] = ops.create_organisation(OrgKind.REGULATOR, name, tenant_id=tenant_id,
                                                regulator_kind=RegulatorKind.INDUSTRY)
    types = {code: i for code, i in db.session.execute(sa.select(ServiceType.code, ServiceType.id))}
    catalogue_choices.assign_regulators(tenant_id, {
        types[seed.code]: own[SECOND_CITY[1] + seed.regulator.removeprefix("市")].id
        for seed in SERVICE_TYPES if seed.code in types})
    name, email = person("监管（云岭市测绘）regulator 4", "regulator4@yunchuan.demo", "监管员 杨晓岚")
    ops.add_member(own[SECOND_CITY_SURVEYING], name=name, email=email, role=Role.REGULATOR, password=DEMO_PASSWORD)


# Approving departments not of the demo city: 云岭市's, which its operator staffs, and the
# province's own, which the provincial operator staffs (none has staff in the demo yet).
OTHER_DEPARTMENTS = (("云岭市自然资源和规划局", "YL-ZRZYJ", SECOND_CITY[0]),
                     ("云岭市生态环境局", "YL-STHJJ", SECOND_CITY[0]),
                     ("云南省发展和改革委员会", "YN-FGW", None))


def _departments(city_id: int, province_id: int) -> None:
    for name, code, city in OTHER_DEPARTMENTS:
        catalogue_ops.department_named(name, code, city_id if city else province_id)


def login_labels() -> list[tuple[str, str]]:
    """(who, e-mail) of the logins :func:`load` prints, in its order."""
    people = [("运营 operator", "operator@yunchuan.demo")]
    people += [(f"监管 regulator {i}", f"regulator{i}@yunchuan.demo") for i in (1, 2)]
    people.append(("行业主管 industry regulator", "industry1@yunchuan.demo"))
    for i in range(1, len(OWNERS) + 1):
        people += [(f"业主 owner {i}", f"owner{i}@yunchuan.demo"),
                   (f"业主受托人 delegate {i}", f"delegate{i}@yunchuan.demo")]
    people += [(f"中介 agency {i}", f"agency{i}@yunchuan.demo") for i in (1, 2, 3)]
    people += [(f"部门工作人员 department staff {i}", f"dept{i}@yunchuan.demo")
               for i in range(1, len(engagement_demo.MATTERS) + 1)]
    people.append(("业主（待核验）owner 5", f"owner{len(OWNERS) + 1}@yunchuan.demo"))
    people += [("省级监管 provincial regulator", "province@yunchuan.demo"),
               ("省级运营 provincial operator", "province-operator@yunchuan.demo"),
               ("运营（云岭市）operator 2", "operator2@yunchuan.demo"),
               ("监管（云岭市）regulator 3", "regulator3@yunchuan.demo"),
               ("监管（云岭市测绘）regulator 4", "regulator4@yunchuan.demo"),
               ("业主（云岭市）owner 6", "owner6@yunchuan.demo"),
               ("自然人业主 person owner", "person1@yunchuan.demo")]
    return people


def present_logins() -> list[tuple[str, str, str]]:
    """The demo logins whose accounts are in the database, or none when the demo's operator
    is missing (the data there is someone else's)."""
    if ops.find_user("operator@yunchuan.demo") is None:
        return []
    return [(label, email, DEMO_PASSWORD) for label, email in login_labels()
            if ops.find_user(email) is not None]


@demo_cli.command("load")
def load_command() -> None:
    """Load the demo city into an empty database and print the demo logins."""
    config_module.refuse_published_passwords_in_production()
    if db.session.scalar(sa.select(sa.func.count(Organisation.id))):
        # `make run` loads the demo every time: on the second run the logins are still what a
        # newcomer needs, as long as the data there is the demo's.
        logins = present_logins()
        if not logins:
            click.echo("The database already has data that is not the demo's; demo data not "
                       "loaded.")
            return
        click.echo("The demo city is already loaded (云川市, fictional). Logins (password for "
                   f"all unless changed since: {DEMO_PASSWORD}):")
    else:
        logins = load()
        db.session.commit()
        click.echo("Demo data loaded (云川市, fictional). Logins (password for all: "
                   f"{DEMO_PASSWORD}):")
    for label, email, _password in logins:
        click.echo(f"  {label:<24} {email}")
    click.echo("  (agencies 4–40: agency4@yunchuan.demo … agency40@yunchuan.demo; "
               "36 rejected, 37–40 pending; owner 5 waits for the operator's check)")

    folder = Path(current_app.instance_path) / DEMO_KEY_DIR
    click.echo("Opening key files of the demo regulators, to open sealed bids on their opening "
               "page (made by the demo for development only; real key holders generate their "
               f"own in the browser): {folder}/regulator1.json, {folder}/regulator2.json")


demo_cli.add_command(generate_load_command)  # flask demo generate-load (devdata/loadgen)
