"""Werkzeug's URL builders, compiled once per test session instead of once per app.

When an app registers a rule, Werkzeug writes two small functions that build its URL (with and
without the query string of unknown arguments): an AST, walked and compiled.  For the app's
225-odd rules that is 0.16 s of the 0.18 s of CPU ``create_app`` costs, and the suite makes an
app for nearly every test.  A builder is a pure function of what this cache keys it on — the
rule's parsed trace (its static text and variable names), the names of its defaults and, for a
variable that has a default, that default as its converter writes it — and it reaches the rule
only through its first argument (the rule's own converters, its map's query encoding).  So the
same code serves every app's copy of the rule, each bound to its own rule as before;
tests/test_app.py checks every rule's URLs against freshly compiled builders.

Only tests install this (tests/conftest.py); the product, gunicorn and ``flask`` commands
compile as Werkzeug does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from werkzeug.routing.rules import Rule

_COMPILE: Callable[[Rule, bool], Callable[..., tuple[str, str]]] = Rule._compile_builder
_BUILDERS: dict[Hashable, Callable[..., tuple[str, str]]] = {}


def _key(rule: Rule, append_unknown: bool) -> Hashable:
    defaults = rule.defaults or {}
    # A default for a variable of the rule is written into the builder as a constant.
    constants = tuple((name, rule._converters[name].to_url(defaults[name]))
                      for dynamic, name in rule._trace if dynamic and name in defaults)
    return (rule.rule, tuple(rule._trace), tuple(str(k) for k in defaults), constants,
            append_unknown)


def _cached_builder(self: Rule, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
    key = _key(self, append_unknown)
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS[key] = _COMPILE(self, append_unknown)
    return builder


def compile_fresh(rule: Rule, append_unknown: bool) -> Callable[..., Any]:
    """Werkzeug's own builder for ``rule``, compiled now, bound to it (to compare with)."""
    return _COMPILE(rule, append_unknown).__get__(rule, None)  # type: ignore[no-any-return]


def reuse_url_builders() -> None:
    """Tests only: compile each distinct rule's builders once per process."""
    Rule._compile_builder = _cached_builder  # type: ignore[method-assign]
