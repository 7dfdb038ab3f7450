"""Opening keys (开标密钥) and the opening of sealed quotes by the regulators who hold them.

A sealed bid's quotes are encrypted at submission so that only ``opening_threshold`` of the
request's key holders together can open them (:mod:`market.domain.sealing`); the platform keeps
public keys, ciphertexts and share hashes, never a private key.  At or after the opening time
each holder opens *its own* shares in its browser (or with the offline tool) and presents them;
when enough have presented, the platform combines the shares, opens every quote at once
(:func:`market.selection.sealed.open_bids`) and erases the presented shares.

The rule when nobody presents: the key holders are reminded from the opening time on, once a
day; if the quotes are not opened within ``SEALED_OPENING_WORKING_DAYS`` working days after the
opening time (same clock time), the round fails with a public reason, its quotes are never
opened and the presented shares are erased (:func:`lapse`); the owner may publish again.

Keys are registered across the province, but a request's round is sealed only to the keys of
the regulators who decide its matters (:func:`keys_for`: ``covers`` with the request's
subject and ``Act.DECIDE``, market.accounts.scope): its tenant's service-centre supervisor and
the industry regulator of its service type, not another tenant's and not the province (which
reads every opening but takes no city's first-instance decision).  A key is its holder's; the
holder's regulator memberships say whom it acts for, so a holder who leaves a regulator stops
being sealed to for that regulator's requests.

Who may call: :func:`register_key` and :func:`retire_key` a regulator; :func:`assign` the
publication of a sealed bid (its owner) or its re-run (a regulator upholding an objection);
:func:`seal` an agency's quote (:func:`market.selection.sealed.submit`); :func:`present` a
regulator holding one of the request's keys, from the opening time to the opening deadline;
:func:`remind` ``flask selection tick``.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from market import crypto, events, timeutil
from market.accounts import audit
from market.accounts.models import Membership, Organisation, OrgKind, RegulatorKind, Role, User
from market.accounts.scope import Act, covers
from market.calendar.service import current_calendar
from market.db import db, lock_row
from market.domain import sealing
from market.domain.calendar import local_date, local_day_start
from market.i18n import N_
from market.selection import bidlog
from market.selection.errors import SelectionError
from market.selection.models import (
    Bid,
    BidShare,
    Method,
    OpeningKey,
    OpeningPresentation,
    RequestState,
    SelectionRequest,
)
from market.selection.quotes import PURPOSE, current_bids
from market.selection.scope import request_subject, within

# The methods whose quotes are sealed to the opening keys: sealed bids, and the quotes (and
# proposal files' keys) of a proposal selection; a proposal selection is always sealed to keys.
SEALED_METHODS = (Method.SEALED_BID.value, Method.PROPOSALS.value)
OPENING_KEY = "opening_key"
PLATFORM = "platform"
SYSTEM = "system"


def threshold() -> int:
    """How many key holders open a sealed bid (a setting, at least 1)."""
    return max(1, int(current_app.config["SEALED_OPENING_THRESHOLD"]))


def active_keys() -> list[OpeningKey]:
    return list(db.session.scalars(sa.select(OpeningKey).where(
        OpeningKey.retired_at.is_(None)).order_by(OpeningKey.id)))


def _holders_regulators(holder_ids: list[int]) -> dict[int, list[Organisation]]:
    """The regulator organisations each key holder is a member of (as a regulator)."""
    out: dict[int, list[Organisation]] = {}
    for user_id, org in db.session.execute(
            sa.select(Membership.user_id, Organisation)
            .join(Organisation, Organisation.id == Membership.organisation_id)
            .where(Membership.user_id.in_(holder_ids),
                   Membership.role == Role.REGULATOR.value)).all():
        out.setdefault(user_id, []).append(org)
    return out


def covering(request: SelectionRequest, keys: list[OpeningKey]) -> list[OpeningKey]:
    """Of ``keys``, those whose holder acts for a regulator deciding ``request``'s matters."""
    subject = request_subject(request)
    orgs = _holders_regulators([k.holder_id for k in keys])
    return [k for k in keys
            if any(covers(org, subject, Act.DECIDE) for org in orgs.get(k.holder_id, []))]


def keys_for(request: SelectionRequest) -> list[OpeningKey]:
    """The active keys a round of ``request`` is sealed to: those of the regulators whose
    scope covers it."""
    return covering(request, active_keys())


def keys_in(tenant_id: int | None, keys: list[OpeningKey] | None = None) -> list[OpeningKey]:
    """Of ``keys`` (the active ones when None), those held for the regulators of one tenant
    (every one when ``tenant_id`` is None: the province reads them all)."""
    keys = active_keys() if keys is None else keys
    if tenant_id is None:
        return keys
    orgs = _holders_regulators([k.holder_id for k in keys])
    return [k for k in keys if any(o.tenant_id == tenant_id for o in orgs.get(k.holder_id, []))]


def manages(user: User, org: Organisation | None, key: OpeningKey) -> bool:
    """Whether ``user`` (a regulator acting for ``org``) may retire ``key``: its holder, or a
    regulator of the tenant the holder's regulator serves (a holder who left, a lost file).
    Another tenant's regulator, and the province, may not: the key seals that tenant's
    requests."""
    if key.holder_id == user.id:
        return True
    if org is None or org.kind != OrgKind.REGULATOR.value:
        return False
    if org.regulator_kind == RegulatorKind.PROVINCE.value:
        return False
    return any(o.tenant_id == org.tenant_id
               for o in _holders_regulators([key.holder_id]).get(key.holder_id, []))


def all_keys() -> list[OpeningKey]:
    return list(db.session.scalars(sa.select(OpeningKey).order_by(
        OpeningKey.retired_at.is_not(None), OpeningKey.id.desc())))


def key_by_id(key_id: str) -> OpeningKey | None:
    row: OpeningKey | None = db.session.scalar(
        sa.select(OpeningKey).where(OpeningKey.key_id == key_id))
    return row


def my_key(user: User) -> OpeningKey | None:
    row: OpeningKey | None = db.session.scalar(sa.select(OpeningKey).where(
        OpeningKey.holder_id == user.id, OpeningKey.retired_at.is_(None)))
    return row


def _is_regulator(user: User) -> bool:
    return bool(db.session.scalar(sa.select(Membership.id).where(
        Membership.user_id == user.id, Membership.role == Role.REGULATOR.value).limit(1)))


def register_key(user: User, public_key_text: str) -> OpeningKey:
    """A regulator registers the public half of its new opening key (登记开标密钥).  Its
    previous key, if any, retires: no new request is sealed to it, but the requests already
    sealed to it still need it, so its file must be kept until they are opened."""
    if not _is_regulator(user):
        raise SelectionError(None, N_("只有监管人员可以登记开标密钥。"))
    try:
        raw = sealing.public_key_from_text(public_key_text)
    except sealing.SealingError:
        raise SelectionError("public_key", N_("这不是有效的开标密钥公钥：请用本页的“生成开标密钥”，或粘贴离线工具显示的公钥（一行 Base64）。")) from None
    kid = sealing.key_id(raw)
    if key_by_id(kid) is not None:
        raise SelectionError("public_key", N_("这把密钥（%(key)s）已经登记过，请生成一把新的。"), key=kid)
    now = timeutil.now()
    old = my_key(user)
    if old is not None:
        old.retired_at, old.retired_by_id = now, user.id
        old.retire_reason = f"由新密钥 {kid} 替换"
        audit.record("regulator:opening-key:retire", old.key_id, {"reason": old.retire_reason})
    key = OpeningKey(key_id=kid, holder_id=user.id, public_key=raw, created_at=now)
    db.session.add(key)
    db.session.flush()
    audit.record("regulator:opening-key:register", kid, {"holder": user.account_id})
    return key


def retire_key(user: User, key: OpeningKey, reason: str) -> None:
    """A regulator retires a key (停用), e.g. a lost file or a holder who left: no new request
    is sealed to it.  The view lets only those the key concerns do it (:func:`manages`).  Requests already sealed to it keep it (their quotes were encrypted to it);
    they open if enough of their other holders present."""
    if not _is_regulator(user):
        raise SelectionError(None, N_("只有监管人员可以停用开标密钥。"))
    if key.retired_at is not None:
        raise SelectionError(None, N_("这把密钥已经停用。"))
    reason = reason.strip()
    if not reason or len(reason) > 500:
        raise SelectionError("reason", N_("请写明停用理由（500 字以内）。"))
    key.retired_at, key.retired_by_id, key.retire_reason = timeutil.now(), user.id, reason
    audit.record("regulator:opening-key:retire", key.key_id, {"reason": reason})


def needed_by(key: OpeningKey) -> list[SelectionRequest]:
    """Requests whose current quotes are sealed to ``key`` and not yet opened."""
    rows = db.session.scalars(sa.select(SelectionRequest).where(
        SelectionRequest.method.in_(SEALED_METHODS),
        SelectionRequest.sealing == OPENING_KEY,
        SelectionRequest.state == RequestState.OPEN.value,
        SelectionRequest.opened_at.is_(None)).order_by(SelectionRequest.signup_closes_at)).all()
    return [r for r in rows if key.key_id in (r.opening_keys or [])]


def assign(request: SelectionRequest) -> None:
    """Seal the request's (next) round to the opening keys active now of the regulators
    covering it (:func:`keys_for`); refused when fewer are registered than the threshold (the
    owner is told why and cannot publish)."""
    keys = keys_for(request)
    t = threshold()
    if len(keys) < t:
        raise SelectionError("method", N_("密封报价的报价须加密到监管部门的开标密钥，到开标时间由监管人员出示密钥开启，平台自己无法打开。目前登记的有效开标密钥有 %(n)s 把，每次开标需要 %(t)s 把：请联系监管部门登记开标密钥后再发布，或改用其他选取方式。"),
                             n=len(keys), t=t)
    request.sealing = OPENING_KEY
    request.opening_threshold = t
    request.opening_keys = [k.key_id for k in keys]


def next_round(request: SelectionRequest) -> None:
    """A re-run's new round of quotes is sealed to the keys active now.  A request sealed by
    the platform stays so when too few keys exist; one sealed to keys needs enough keys."""
    if request.sealing != OPENING_KEY and len(keys_for(request)) < threshold():
        return  # refusals roll the request back, so check before assign() would refuse
    assign(request)


def keys_of(request: SelectionRequest) -> list[OpeningKey]:
    ids = list(request.opening_keys or [])
    rows = {k.key_id: k for k in db.session.scalars(
        sa.select(OpeningKey).where(OpeningKey.key_id.in_(ids)))}
    return [rows[i] for i in ids if i in rows]


def _context(request: SelectionRequest, agency_id: str, commitment: str) -> sealing.QuoteContext:
    return sealing.QuoteContext(request.public_id, request.bid_round, agency_id, commitment)


def seal(request: SelectionRequest, agency_id: str, commitment: str,
         plaintext: bytes) -> tuple[bytes, list[BidShare]]:
    """A quote's ciphertext and its shares, one per key of the request (not yet added)."""
    holders = [sealing.Holder(k.key_id, k.public_key) for k in keys_of(request)]
    t = request.opening_threshold or 0
    if len(holders) < t or t < 1:
        raise RuntimeError(f"{request.public_id}: its opening keys are missing")
    quote = sealing.seal(holders, t, plaintext, _context(request, agency_id, commitment))
    return quote.ciphertext, [BidShare(key_id=s.key_id, x=s.x, wrapped=s.wrapped,
                                       share_hash=s.share_hash) for s in quote.shares]


def window_days() -> int:
    return max(1, int(current_app.config["SEALED_OPENING_WORKING_DAYS"]))


def deadline(request: SelectionRequest) -> datetime:
    """The opening deadline (开标期限): ``SEALED_OPENING_WORKING_DAYS`` working days after the
    opening time, at the same clock time."""
    closes = request.signup_closes_at
    day = local_date(closes)
    end = current_calendar().add_working_days(day, window_days())
    return local_day_start(end) + (closes - local_day_start(day))


def sealed_to_keys(request: SelectionRequest) -> bool:
    return request.method in SEALED_METHODS and request.sealing == OPENING_KEY


def awaiting(request: SelectionRequest, now: datetime | None = None) -> bool:
    """Past the opening time, not opened, not failed: the key holders must present."""
    now = now or timeutil.now()
    return (sealed_to_keys(request) and request.state == RequestState.OPEN
            and request.opened_at is None and now >= request.signup_closes_at)


def presentations(request: SelectionRequest) -> list[OpeningPresentation]:
    return list(db.session.scalars(sa.select(OpeningPresentation).where(
        OpeningPresentation.request_id == request.id,
        OpeningPresentation.round == request.bid_round).order_by(OpeningPresentation.id)))


def ready(request: SelectionRequest) -> bool:
    """Enough holders have presented their shares (a cheap check before taking locks)."""
    waiting = db.session.scalar(sa.select(sa.func.count(OpeningPresentation.id)).where(
        OpeningPresentation.request_id == request.id,
        OpeningPresentation.round == request.bid_round,
        OpeningPresentation.shares.is_not(None))) or 0
    return waiting >= (request.opening_threshold or 1)


def waits_for_keys(request: SelectionRequest) -> bool:
    """Sealed to opening keys, past the opening time, too few holders presented yet and the
    deadline not reached: nothing for the opening to do, and no lock taken (pages are viewed
    while waiting)."""
    now = timeutil.now()
    return (awaiting(request, now) and not ready(request)
            and now < deadline(request) and bool(current_bids(request)))


def request_document(request: SelectionRequest, key: OpeningKey) -> dict[str, Any]:
    """What a key holder's browser (or the offline tool) unwraps: its own sealed share of each
    current quote, nothing else."""
    bids = current_bids(request)
    shares = {s.bid_id: s for s in db.session.scalars(sa.select(BidShare).where(
        BidShare.bid_id.in_([b.id for b in bids]), BidShare.key_id == key.key_id))}
    return {"format": sealing.REQUEST_FORMAT, "request_id": request.public_id,
            "round": request.bid_round, "key_id": key.key_id,
            "public_key": base64.b64encode(key.public_key).decode(),
            "shares": [{"commitment": b.commitment,
                        "wrapped": base64.b64encode(shares[b.id].wrapped).decode()}
                       for b in bids if b.id in shares]}


def present(request: SelectionRequest, user: User, text: str) -> None:
    """A key holder presents its unwrapped shares (出示开标密钥).  Each share is checked against
    the hash kept at sealing; anything wrong refuses the whole presentation and changes nothing.
    When this is the last presentation needed, the caller opens the quotes at once
    (:func:`market.selection.procedures.present_key`)."""
    request = lock_row(SelectionRequest, request.id)
    doc = _parse(text)
    if not sealed_to_keys(request):
        raise SelectionError(None, N_("本公告的报价不需要出示开标密钥。"))
    if request.state != RequestState.OPEN or request.opened_at is not None:
        raise SelectionError(None, N_("本次密封报价已经开标或已经结束，无需再出示密钥。"))
    now = timeutil.now()
    if now < request.signup_closes_at:
        raise SelectionError("shares", N_("开标时间 %(at)s 未到，不能出示密钥。"),
                             at=_bj(request.signup_closes_at))
    if now >= deadline(request):
        raise SelectionError("shares", N_("开标期限 %(at)s 已过，本次密封报价失败，报价不再开启。"),
                             at=_bj(deadline(request)))
    if doc.get("request_id") != request.public_id or doc.get("round") != request.bid_round:
        raise SelectionError("shares", N_("这份文件是为另一个公告或另一轮报价生成的，请在本页重新选择密钥文件。"))
    kid = str(doc.get("key_id", ""))
    key = key_by_id(kid)
    if key is None or kid not in (request.opening_keys or []):
        raise SelectionError("shares", N_("密钥 %(key)s 不是本次开标所需的密钥。本次需要：%(keys)s。"),
                             key=kid[:40] or "-", keys="、".join(request.opening_keys or []))
    if key.holder_id != user.id:
        raise SelectionError("shares", N_("密钥 %(key)s 登记在其他监管人员名下：每位持有人只能出示自己的密钥。"),
                             key=kid)
    if db.session.scalar(sa.select(OpeningPresentation.id).where(
            OpeningPresentation.request_id == request.id,
            OpeningPresentation.round == request.bid_round, OpeningPresentation.key_id == kid)):
        raise SelectionError(None, N_("您已经出示过密钥，正在等待其他持有人。"))
    bids = current_bids(request)
    given = doc.get("shares")
    if not isinstance(given, dict) or set(given) != {b.commitment for b in bids}:
        raise SelectionError("shares", N_("提交的份额与本次的报价清单不一致，请刷新本页后重新选择密钥文件。"))
    stored = {s.bid_id: s for s in db.session.scalars(sa.select(BidShare).where(
        BidShare.bid_id.in_([b.id for b in bids]), BidShare.key_id == kid))}
    for b in bids:
        share = _b64(given[b.commitment])
        row = stored.get(b.id)
        if row is None or share is None or sealing.share_hash(kid, b.commitment,
                                                              share) != row.share_hash:
            raise SelectionError("shares", N_("所选的密钥文件打不开本次的报价：它不是登记的密钥 %(key)s。没有作任何改动。"),
                                 key=kid)
    db.session.add(OpeningPresentation(request_id=request.id, round=request.bid_round,
                                       key_id=kid, user_id=user.id, at=now,
                                       shares={c: str(v) for c, v in given.items()}))
    db.session.flush()
    audit.record("regulator:opening:present", request.public_id,
                 {"key": kid, "round": request.bid_round})


def _parse(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except (ValueError, TypeError):
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != sealing.SHARES_FORMAT:
        raise SelectionError("shares", N_("提交的内容不是开标密钥生成的份额：请在本页选择您的开标密钥文件，或上传离线工具生成的份额文件。"))
    return doc


def _b64(value: object) -> bytes | None:
    try:
        raw = base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == sealing.SHARE_BYTES else None


def _bj(at: datetime) -> str:
    return at.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%d %H:%M")


def plaintexts(request: SelectionRequest, bids: list[Bid]) -> dict[int, bytes] | None:
    """The quotes' plaintexts from the first ``threshold`` presentations; None while fewer
    have presented.  Raises :class:`sealing.SealingError` for a quote that does not open."""
    chosen = [p for p in presentations(request) if p.shares is not None]
    t = request.opening_threshold or 1
    if len(chosen) < t:
        return None
    chosen = chosen[:t]
    out: dict[int, bytes] = {}
    for b in bids:
        shares = [_b64((p.shares or {}).get(b.commitment)) for p in chosen]
        if any(s is None for s in shares):
            raise sealing.SealingError("a presented share is missing")
        out[b.id] = sealing.open_quote([s for s in shares if s is not None], b.sealed,
                                       _context(request, b.agency.public_id, b.commitment))
    return out


def forget(request: SelectionRequest) -> None:
    """Erase the presented shares of the round (after the opening, or when it lapses)."""
    for p in presentations(request):
        p.shares = None


def lapse(request: SelectionRequest, at: datetime) -> None:
    """Nobody (or too few) presented by the deadline: the round fails, publicly, unopened."""
    reason = (f"开标密钥持有人未在开标期限 {_bj(deadline(request))} 前出示密钥，报价未开启，"
              "本次密封报价失败")
    request.state = RequestState.FAILED.value
    request.failed_reason = reason
    request.closed_at = at
    forget(request)
    bidlog.append("void", request.public_id, {"round": request.bid_round, "reason": reason,
                                              "decided_by": SYSTEM}, at=at)
    audit.record("system:bid:opening-lapsed", request.public_id,
                 {"round": request.bid_round, "presented": len(presentations(request))})
    db.session.flush()
    events.send(events.OpeningLapsed(at=at, request_id=request.id,
                                     request_public_id=request.public_id,
                                     owner_org_id=request.owner_org_id,
                                     bid_round=request.bid_round, reason=reason))


def awaiting_requests(now: datetime | None = None, org: Organisation | None = None,
                      ) -> list[SelectionRequest]:
    """The sealed rounds past their opening time, not opened: every one (the periodic run),
    or those ``org``'s lists show (a regulator's openings page)."""
    now = now or timeutil.now()
    stmt = sa.select(SelectionRequest).where(
        SelectionRequest.method.in_(SEALED_METHODS),
        SelectionRequest.sealing == OPENING_KEY,
        SelectionRequest.state == RequestState.OPEN.value,
        SelectionRequest.opened_at.is_(None),
        SelectionRequest.signup_closes_at <= now).order_by(SelectionRequest.signup_closes_at)
    return list(db.session.scalars(stmt if org is None else within(stmt, org)))


def upcoming_requests(now: datetime | None = None, org: Organisation | None = None,
                      ) -> list[SelectionRequest]:
    """The sealed rounds before their opening time (of ``org``'s lists when given)."""
    now = now or timeutil.now()
    stmt = sa.select(SelectionRequest).where(
        SelectionRequest.method.in_(SEALED_METHODS),
        SelectionRequest.sealing == OPENING_KEY,
        SelectionRequest.state == RequestState.OPEN.value,
        SelectionRequest.signup_closes_at > now).order_by(SelectionRequest.signup_closes_at)
    return list(db.session.scalars(stmt if org is None else within(stmt, org)))


def remind(now: datetime) -> int:
    """Each key holder who has not presented, for every request awaiting its opening, is due a
    reminder (``opening.key.due``: the notify area writes one a day, in-app on the regulator's
    console and by e-mail to that person).  Returns how many reminders were new."""
    created = 0
    for request in awaiting_requests(now):
        presented = {p.key_id for p in presentations(request)}
        for key in keys_of(request):
            if key.key_id in presented:
                continue
            org_id = db.session.scalar(sa.select(Membership.organisation_id).where(
                Membership.user_id == key.holder_id, Membership.role == Role.REGULATOR.value)
                .order_by(Membership.id).limit(1))
            if org_id is None:
                continue
            answers = events.send(events.OpeningKeyDue(
                at=now, request_id=request.id, request_public_id=request.public_id,
                bid_round=request.bid_round, key_id=key.key_id, holder_id=key.holder_id,
                holder_org_id=org_id, deadline=deadline(request), day=local_date(now)))
            created += sum(a for a in answers if isinstance(a, int))
    return created


def reseal_platform_requests() -> list[tuple[str, str]]:
    """Move the open sealed bids still sealed with the platform's data key (published before
    opening keys) to the opening keys: each quote is decrypted with the data key once more and
    sealed again to the keys, so that a copy of the database and data key taken *from now on*
    no longer opens them.  Requests past their opening time are left to open as they are.
    Returns (request id, what happened) for each one looked at."""
    done: list[tuple[str, str]] = []
    now = timeutil.now()
    rows = db.session.scalars(sa.select(SelectionRequest.id).where(
        SelectionRequest.method.in_(SEALED_METHODS),
        SelectionRequest.state == RequestState.OPEN.value,
        sa.or_(SelectionRequest.sealing.is_(None), SelectionRequest.sealing == PLATFORM),
        SelectionRequest.signup_closes_at > now).order_by(SelectionRequest.id)).all()
    for rid in rows:
        request = lock_row(SelectionRequest, rid)
        if request.sealing == OPENING_KEY or request.signup_closes_at <= now:
            continue
        try:
            assign(request)
        except SelectionError:
            done.append((request.public_id, "too few opening keys: left sealed by the platform"))
            continue
        bids = db.session.scalars(sa.select(Bid).where(
            Bid.request_id == request.id, Bid.round == request.bid_round)).all()
        for b in bids:
            plain = crypto.unseal(PURPOSE, request.public_id, b.sealed)
            b.sealed, shares = seal(request, b.agency.public_id, b.commitment, plain)
            for s in shares:
                s.bid_id = b.id
                db.session.add(s)
        audit.record("system:bid:reseal", request.public_id,
                     {"quotes": len(bids), "keys": request.opening_keys})
        done.append((request.public_id, f"{len(bids)} quote(s) sealed to the opening keys"))
    return done


def status(request: SelectionRequest) -> dict[str, Any] | None:
    """What the notice, the owner and the regulators see about a sealed bid's keys."""
    if request.method not in SEALED_METHODS or request.state == RequestState.DRAFT:
        return None
    if not sealed_to_keys(request):
        return {"kind": PLATFORM}
    keys = keys_of(request)
    orgs = dict(db.session.execute(sa.select(Membership.user_id, Membership.organisation_id)
                                   .where(Membership.user_id.in_([k.holder_id for k in keys]),
                                          Membership.role == Role.REGULATOR.value)).all())

    names = dict(db.session.execute(sa.select(Organisation.id, Organisation.name).where(
        Organisation.id.in_(list(orgs.values())))).all())
    presented = {p.key_id for p in presentations(request)}
    return {"kind": OPENING_KEY, "threshold": request.opening_threshold or 1,
            "keys": [{"key_id": k.key_id, "org": names.get(orgs.get(k.holder_id, 0), ""),
                      "holder_id": k.holder_id, "presented": k.key_id in presented}
                     for k in keys],
            "presented": len(presented), "deadline": deadline(request),
            "awaiting": awaiting(request)}
