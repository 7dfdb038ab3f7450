"""The standard contract (合同范本) of a service type, filled from the notice and the award.

A service type's template is text with ``{placeholders}`` (the names in :data:`FIELDS`); the
catalogue refuses a template naming any other.  An empty template means :data:`STANDARD`, the
catalogue's standard text.  Filling never evaluates anything: ``{name}`` is replaced by the
value, ``{{`` and ``}}`` stand for literal braces, as in Python's format strings (of which only
plain names are allowed — no attributes, indexes, conversions or format specs).

Pure: no Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter

from market.domain.fees import format_yuan

# The placeholders a template may use (what each stands for: the catalogue page says).
FIELDS: tuple[str, ...] = (
    "owner", "owner_code", "agency", "agency_code", "project", "project_code", "service",
    "scope", "deliverables", "fee_yuan", "service_days", "notice", "engagement", "signing_due",
)

STANDARD = """中介服务合同（范本）

委托编号：{engagement}    采购公告：{notice}

甲方（项目业主）：{owner}（统一社会信用代码：{owner_code}）
乙方（中介机构）：{agency}（统一社会信用代码：{agency_code}）

甲方通过中介服务超市公开选取乙方承担下列中介服务。依据《中华人民共和国民法典》及采购公告、中选公示，双方订立本合同。

第一条 项目和服务
项目名称：{project}（投资项目代码：{project_code}）
中介服务事项：{service}
服务范围和内容：{scope}

第二条 服务成果
乙方向甲方提交：{deliverables}

第三条 服务费
服务费为人民币 {fee_yuan} 元，为中选时确定的费用，合同履行期间不作调整。

第四条 服务时限
乙方承诺在 {service_days} 个工作日内完成服务。服务时限自双方确认本合同之日起计算；乙方等待甲方补充资料的时间和甲方验收服务成果的时间不计入。

第五条 验收
甲方在收到服务成果后按平台规定的验收时限验收，或者写明理由退回修改。

第六条 其他
本合同须在签约期限 {signing_due} 前由双方在平台确认；逾期未签订的，视为乙方放弃中选。本合同在平台公开（合同公告），涉及国家秘密、商业秘密的内容除外。
"""


@dataclass(frozen=True)
class TemplateProblem:
    """Why a template cannot be used: ``unknown`` placeholder names, or ``malformed`` text
    (an unmatched brace, or a placeholder that is not a plain name)."""

    unknown: tuple[str, ...] = ()
    malformed: bool = False


def check(template: str) -> TemplateProblem | None:
    """None when ``template`` fills with :data:`FIELDS` alone; else what is wrong."""
    unknown: list[str] = []
    try:
        parts = list(Formatter().parse(template))
    except ValueError:
        return TemplateProblem(malformed=True)
    for _text, name, spec, conversion in parts:
        if name is None:
            continue
        if spec or conversion or not name.isidentifier():
            return TemplateProblem(malformed=True)
        if name not in FIELDS and name not in unknown:
            unknown.append(name)
    return TemplateProblem(unknown=tuple(unknown)) if unknown else None


def fill(template: str, values: Mapping[str, str]) -> str:
    """The contract text: ``template`` (or :data:`STANDARD` when empty) with every placeholder
    replaced by its value.  Raises ValueError for a template :func:`check` refuses."""
    text = template.strip() or STANDARD
    if check(text) is not None:
        raise ValueError("the contract template names unknown or malformed placeholders")
    out: list[str] = []
    for literal, name, _spec, _conversion in Formatter().parse(text):
        out.append(literal)
        if name is not None:
            out.append(values.get(name, ""))
    return "".join(out)


def fee_text(fee_fen: int) -> str:
    """The fee as the contract writes it: yuan with two decimals, thousands separated."""
    return format_yuan(fee_fen)
