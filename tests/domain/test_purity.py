"""market.domain stays pure: standard library, ``holidays`` and the cryptographic primitives
(``cryptography``, pycryptodome's ``Crypto``, ``pyotp``'s RFC 6238 codes) only, never Flask or
a database."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "market" / "domain"
# cryptography and pycryptodome compute and nothing else: no I/O, no clock, no global state;
# pyotp likewise as market.domain.totp uses it (the time step is always passed in, never read)
ALLOWED_THIRD_PARTY = {"holidays", "cryptography", "Crypto", "pyotp"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module)
    return roots


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_imports_only_stdlib_holidays_crypto_and_itself(path: Path) -> None:
    for name in imported_roots(path):
        top = name.split(".")[0]
        ok = (
            top in sys.stdlib_module_names
            or top in ALLOWED_THIRD_PARTY
            or name.startswith("market.domain")
        )
        assert ok, f"{path.name} imports {name}"


@pytest.mark.parametrize("path", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_never_reads_the_clock(path: Path) -> None:
    # Callers pass `now`; reading the clock here would make views depend on when they run.
    text = path.read_text(encoding="utf-8")
    for call in ("datetime.now(", "date.today(", "datetime.utcnow(", "time.time("):
        assert call not in text, f"{path.name} calls {call}"
