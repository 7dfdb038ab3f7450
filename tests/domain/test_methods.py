"""market.domain.methods: each method's terms, stated once, and the registry that uses them."""

from __future__ import annotations

from market.domain import methods


def test_each_method_takes_one_kind_of_price() -> None:
    assert {m: r.price_kind for m, r in methods.RULES.items()} == {
        "lottery": "fixed", "credit_merit": "fixed", "sealed_bid": "cap", "direct": "fixed",
        "proposals": "cap"}


def test_only_the_draws_sign_up_and_only_direct_has_no_window() -> None:
    assert {"lottery", "credit_merit"} == methods.DRAW_METHODS
    assert [m for m, r in methods.RULES.items() if not r.window] == ["direct"]


def test_an_amendment_stays_in_its_log() -> None:
    assert methods.may_amend_into("lottery", "credit_merit")
    assert methods.may_amend_into("credit_merit", "lottery")
    assert not methods.may_amend_into("lottery", "sealed_bid")
    assert not methods.may_amend_into("sealed_bid", "direct")
    # the scoring sheet is part of a proposal selection's terms from its notice on
    assert not methods.may_amend_into("sealed_bid", "proposals")
    assert not methods.may_amend_into("lottery", "auction")
    assert methods.rules("auction") is None


def test_direct_selection_needs_social_funds_or_a_fee_under_the_threshold() -> None:
    assert methods.direct_allowed(True, 10**9, 100)
    assert methods.direct_allowed(False, 99, 100)
    assert not methods.direct_allowed(False, 100, 100)


def test_every_method_has_its_procedure() -> None:
    from market.selection.models import Method
    from market.selection.procedures import PROCEDURES

    assert set(PROCEDURES) == set(methods.RULES) == {m.value for m in Method}
    assert all(PROCEDURES[m].method == m for m in PROCEDURES)
