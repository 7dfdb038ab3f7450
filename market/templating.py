"""Template filters that show stored words in the reader's language.

Records keep what was written, in Chinese (a draw's signed announcement, a request's failure
reason, a qualification's grade as the certificate prints it); a page shows them in the page's
language.  Each filter returns the stored text unchanged when it knows no translation for it."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, g
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from market.i18n import N_

# Qualification grades (资质等级, market.domain.qualifications.QUALIFICATION_LEVELS): the stored
# value is the Chinese word; these mark it for the catalogue of translations.
GRADES = {
    "甲级": N_("甲级"), "乙级": N_("乙级"), "丙级": N_("丙级"), "一级": N_("一级"),
    "二级": N_("二级"), "三级": N_("三级"), "不分级": N_("不分级"),
}

# Reasons the system writes into records in Chinese (market.selection: failures, voids, passed-on
# awards).  ``%(name)s`` stands for a part that varies; a regulator's own words stay as typed.
# Wordings the code no longer writes but older records hold, still translated when shown.
RETIRED_SYSTEM_TEXTS = (
    N_("没有有效报价，本次竞价失败"),  # before the single sealed round took its users' name 密封报价
)
SYSTEM_TEXTS = (
    N_("有效报名不足 %(minimum)s 家（%(eligible)s 家），本次选取失败"),
    N_("中选机构放弃或逾期未确认，且没有候补，本次选取失败"),
    N_("没有有效报价，本次密封报价失败"),
    N_("报名截止后未能在外部随机数公开前冻结名单，本次摇号作废并重新公告"),
    N_("见证人未在外部随机数公开前全部录入，本次摇号作废并重新公告"),
    N_("逾期未确认中选结果"),
    N_("异议成立：%(reason)s"),
    N_("中选结果作废，且没有候补，本次选取失败"),
    N_("签约期限（%(due)s）届满仍未签订合同，视为放弃中选"),
    N_("中选结果作废，委托取消：%(reason)s"),
) + RETIRED_SYSTEM_TEXTS


def _pattern(msgid: str) -> re.Pattern[str]:
    parts = re.split(r"%\((\w+)\)s", msgid)
    regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)"
                    for i, p in enumerate(parts))
    return re.compile(regex, re.DOTALL)


_SYSTEM_PATTERNS = [(msgid, _pattern(msgid)) for msgid in SYSTEM_TEXTS]

# Names of the public lotteries a draw may use as its external source (the label stored in the
# draw's plan is the Chinese name and the issue, e.g. "福彩双色球 2026138期").
LOTTERY_GAMES = {"福彩双色球": N_("福彩双色球"), "福彩3D": N_("福彩3D")}
_WITNESS = re.compile(r"见证人(?P<n>\d+)（(?P<account>[^）]+)）")
# A witness as the request's plan names them (market.selection.requests.witness_label):
# position, name as typed, and the role that made them eligible.
WITNESS_ROLES = {"采购管理人": N_("采购管理人"), "采购受托人": N_("采购受托人"),
                 "监管人员": N_("监管人员")}
_WITNESS_NAMED = re.compile(r"见证人(?P<n>\d+)：(?P<name>.*)（(?P<role>"
                            + "|".join(WITNESS_ROLES) + r")）")
_DRAND = re.compile(r"drand quicknet 第(?P<round>\d+)轮")
_ISSUE = re.compile(r"(?P<game>\S+) (?P<issue>\d+)期")


def _english() -> bool:
    return str(get_locale() or "").startswith("en")


def grade(level: str | None) -> str:
    """A qualification grade (资质等级) in the page's language."""
    if not level:
        return ""
    return str(_(GRADES[level])) if level in GRADES else level


def service_name(service_type: Any) -> str:
    """A service type (中介服务事项) by its name in the page's language: the catalogue's
    English name on English pages, when the operator has given one."""
    if service_type is None:
        return ""
    return str(service_type.display_name(str(get_locale() or "")))


def system_text(text: str | None) -> str:
    """A reason the system wrote into a record, in the page's language."""
    if not text or not _english():
        return text or ""
    for msgid, pattern in _SYSTEM_PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            return str(_(msgid, **match.groupdict()))
    return text


def source_label(label: str | None) -> str:
    """The name of a draw's randomness source (witness, drand round, lottery issue) as stored
    in the draw's plan, in the page's language."""
    if not label or not _english():
        return label or ""
    if m := _WITNESS.fullmatch(label):
        return str(_("见证人 %(n)s（%(account)s）", n=m["n"], account=m["account"]))
    if m := _WITNESS_NAMED.fullmatch(label):
        return str(_("见证人 %(n)s：%(name)s（%(role)s）", n=m["n"], name=m["name"],
                     role=_(WITNESS_ROLES[m["role"]])))
    if m := _DRAND.fullmatch(label):
        return str(_("drand quicknet 第 %(round)s 轮", round=m["round"]))
    if (m := _ISSUE.fullmatch(label)) and m["game"] in LOTTERY_GAMES:
        return str(_("%(game)s 第 %(issue)s 期", game=_(LOTTERY_GAMES[m["game"]]),
                     issue=m["issue"]))
    if label in LOTTERY_GAMES:
        return str(_(LOTTERY_GAMES[label]))
    return label


def as_code(text: str) -> Markup:
    """``text`` as an identifier (<code>), to put a program's or a file's name into a sentence
    that is translated as a whole."""
    return Markup("<code>{}</code>").format(text)


_CATALOGUE = "_templates_catalogue"


def catalogue() -> Any:
    """The translations of the request's locale (Flask-Babel's ``get_translations``), looked up
    once per request and locale: Flask-Babel resolves its context on ``g`` four times for each
    message, and a dashboard shows fifty.  Keyed by the locale object, which ``force_locale``
    and ``refresh`` replace."""
    locale = get_locale()
    if locale is None:  # no request: Flask-Babel's empty catalogue
        return get_translations()
    held = g.get(_CATALOGUE)
    if held is not None and held[0] is locale:
        return held[1]
    found = get_translations()
    setattr(g, _CATALOGUE, (locale, found))
    return found


@pass_context
def template_gettext(context: Context, string: str, **variables: Any) -> str:
    """``_()`` and ``gettext()`` in templates: Jinja's newstyle gettext (``jinja2.ext``, as
    Flask-Babel installs it: escaped, always a format string) over :func:`catalogue`, called
    directly rather than through Jinja's alias and two more context calls."""
    rv = catalogue().ugettext(string)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704  # our catalogue's text, as Jinja marks it
    return rv % variables  # type: ignore[no-any-return]


def register(app: Flask) -> None:
    app.jinja_env.globals.update(gettext=template_gettext, _=template_gettext)
    app.add_template_global(as_code, "as_code")
    app.add_template_filter(grade, "grade")
    app.add_template_filter(service_name, "service_name")
    app.add_template_filter(system_text, "system_text")
    app.add_template_filter(source_label, "source_label")
