"""The shape of the selection methods: what differs by method lives in the method's procedure
(market/selection/procedures/) or its rules (market/domain/methods.py), so that the request's
terms and its public notice name no method.  Like tests/test_architecture.py, this reads the
source."""

from __future__ import annotations

import ast
from pathlib import Path

from market.domain import methods
from market.selection import procedures
from market.selection.models import Method
from market.selection.procedures.base import Procedure

ROOT = Path(__file__).resolve().parents[2]
GENERIC = ("market/selection/requests.py", "market/selection/views_public.py")
METHOD_VALUES = {m.value for m in Method}


def method_branches(source: str) -> list[tuple[int, str]]:
    """Where ``source`` names one method: ``Method.<NAME>`` anywhere, or a comparison with a
    method's value written out (``req.method == "sealed_bid"``)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.value.id == "Method"):
            found.append((node.lineno, f"Method.{node.attr}"))
        elif isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                if isinstance(operand, ast.Constant) and operand.value in METHOD_VALUES:
                    found.append((node.lineno, repr(operand.value)))
    return found


def test_the_terms_and_the_notice_name_no_method() -> None:
    for name in GENERIC:
        found = method_branches((ROOT / name).read_text(encoding="utf-8"))
        assert found == [], f"{name} branches on a method (move it to its procedure): {found}"


def test_the_scan_sees_a_method_branch() -> None:
    assert method_branches("if data.method == Method.PROPOSALS:\n    pass\n") == [
        (1, "Method.PROPOSALS")]
    assert method_branches('x = 1 if req.method == "sealed_bid" else 2\n') == [
        (1, "'sealed_bid'")]
    assert method_branches("if data.method in methods.DRAW_METHODS:\n    pass\n") == []


def test_every_method_states_what_its_rules_require() -> None:
    """A method that takes quotes under a cap says why a fixed price is refused; one whose tie
    is drawn at the opening says why its witnesses need the owner's delegate."""
    for method, rules in methods.RULES.items():
        procedure = procedures.PROCEDURES[method]
        assert procedure.method == method
        if rules.price_kind == "cap":
            assert procedure.cap_required_text, method
        if rules.delegate_witness:
            assert procedure.delegate_witness_text, method


def test_the_hooks_are_documented() -> None:
    doc = procedures.__doc__ or ""
    for hook in ("check_terms", "apply_terms", "notice_view", "cap_required_text",
                 "delegate_witness_text"):
        assert hasattr(Procedure, hook), hook
        assert hook in doc, f"procedures/__init__.py's docstring does not list {hook}"
