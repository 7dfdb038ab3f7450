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

The rule's parse is cached the same way.  Binding a rule to an app's map parses its text into
the parts the matcher walks (regular expressions and weights), the trace the builders are made
from and a converter per variable: after the builders, that was 0.3 s of the 0.7 s of CPU a
test's app cost on a loaded machine (``Rule.compile``, 225 rules).  The parse is a pure function
of the rule's text, its host or subdomain, the map's slash merging and host matching, and the
converter classes the map names; only the converters belong to the map (they hold it), so each
rule gets its own, made from the names and arguments recorded at the first parse.

Only tests install this (tests/conftest.py); the product, gunicorn and ``flask`` commands
compile as Werkzeug does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from werkzeug.routing.rules import Rule, RulePart

_COMPILE: Callable[[Rule, bool], Callable[..., tuple[str, str]]] = Rule._compile_builder
_BUILDERS: dict[Hashable, Callable[..., tuple[str, str]]] = {}
_RULE_COMPILE: Callable[[Rule], None] = Rule.compile
# a converter made at the parse: (variable, converter name, positional and keyword arguments)
_Made = tuple[str, str, tuple[Any, ...], dict[str, Any]]
_PARSED: dict[Hashable, tuple[tuple[RulePart, ...], tuple[tuple[bool, str], ...],
                              tuple[_Made, ...]]] = {}


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


def _parse_key(rule: Rule) -> Hashable:
    assert rule.map is not None, "rule not bound"
    domain = (rule.host if rule.map.host_matching else rule.subdomain) or ""
    return (rule.rule, domain, rule.map.host_matching, bool(rule.merge_slashes),
            tuple(rule.map.converters.items()))


def _cached_compile(self: Rule) -> None:
    """``Rule.compile``, its parse done once per process for each distinct rule."""
    if type(self) is not Rule:  # a subclass may parse or convert otherwise
        _RULE_COMPILE(self)
        return
    key = _parse_key(self)
    parsed = _PARSED.get(key)
    if parsed is None:
        made: list[_Made] = []
        convert = self.get_converter

        def recording(variable: str, name: str, args: tuple[Any, ...],
                      kwargs: Any) -> Any:
            made.append((variable, name, args, dict(kwargs)))
            return convert(variable, name, args, kwargs)

        self.get_converter = recording  # type: ignore[method-assign,assignment]
        try:
            _RULE_COMPILE(self)
        finally:
            del self.get_converter
        _PARSED[key] = (tuple(self._parts), tuple(self._trace), tuple(made))
        return
    parts, trace, converters = parsed
    self._parts = list(parts)
    self._trace = list(trace)
    self._converters = {}
    for variable, name, args, kwargs in converters:
        self._converters[variable] = self.get_converter(variable, name, args, kwargs)
        self.arguments.add(variable)
    self._build = self._compile_builder(False).__get__(self, None)
    self._build_unknown = self._compile_builder(True).__get__(self, None)


def compile_fresh_rule(rule: Rule) -> Rule:
    """A copy of ``rule`` bound to its map and parsed by Werkzeug's own code (to compare with)."""
    assert rule.map is not None
    copy = rule.empty()
    copy.map = rule.map
    copy.strict_slashes, copy.merge_slashes = rule.strict_slashes, rule.merge_slashes
    copy.subdomain = rule.subdomain
    _RULE_COMPILE(copy)
    return copy


def reuse_url_builders() -> None:
    """Tests only: parse each distinct rule and compile its builders once per process."""
    Rule._compile_builder = _cached_builder  # type: ignore[method-assign]
    Rule.compile = _cached_compile  # type: ignore[method-assign]
