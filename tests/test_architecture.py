"""The order of the application's areas (docs/architecture.md): an area imports only areas on a
lower floor, and the files of one area import each other without going round in a circle.

Like the purity tests of ``lottery/`` and ``market/domain/``, this reads the source: every
``import`` counts, at the top of a file or inside a function (an import hidden in a function is
still an arrow).  A new arrow against the order, or a new circle, fails here; the arrows and
circles listed in ``AGAINST_THE_ORDER`` and ``CIRCLES`` are the ones still to remove, and the
test fails too when one of them is gone (so that the list only shrinks).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Floors, lowest first.  An area may import the areas of any lower floor, never one on its own
# floor or above.
FLOORS: list[tuple[str, ...]] = [
    ("lottery",),  # the verifier: standard library and cryptography only
    ("domain",),  # pure rules: no Flask, no database
    ("core",),  # market/*.py: database, clock, i18n, refusals, events, storage, forms…
    ("web",),  # what every area's views may use (the OpenAPI registry)
    ("accounts",),  # organisations, people, authorization, the audit trail
    ("calendar", "catalogue", "settings", "transparency"),
    ("agencies", "billing", "clocks", "credit"),
    ("selection",),
    ("engagements",),
    ("approvals",),
    ("evaluation",),
    # electronic supervision: reads clocks, engagements, cases, objections (and, once rated
    # services open corrections, evaluation); read by the regulator's console and notifications
    ("supervision",),
    ("regulator",),
    ("notify",),
    # reports: the monthly report reads selection, engagements, approvals (the timeline),
    # evaluation, credit and regulator and writes no row; the home page shows its headline
    ("reports",),
    ("api", "backup", "integration", "ocds", "operator", "public"),
    ("app",),  # create_app (market/__init__.py) and the model registry (market/models.py)
    ("dev",),  # devdata/: demo city, synthetic agencies, load generators (never imported by the product)
]
FLOOR = {area: n for n, floor in enumerate(FLOORS) for area in floor}

# Arrows against the order that remain, as (importing module, imported area).
AGAINST_THE_ORDER: set[tuple[str, str]] = set()

# Circles between the files of one area that remain (each as the set of its files).
CIRCLES: set[frozenset[str]] = set()



def _modules() -> dict[str, Path]:
    found = {}
    for base in ("market", "billing", "lottery", "devdata"):
        for path in (ROOT / base).rglob("*.py"):
            if {"static", "translations"} & set(path.parts):
                continue  # assets: the opening-key tool regulators download
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def area_of(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("billing", "lottery"):
        return parts[0]
    if parts[0] == "devdata":
        return "dev"
    if len(parts) == 1:
        return "app"
    if (ROOT / "market" / parts[1]).is_dir():
        return parts[1]
    return "app" if parts[1] == "models" else "core"


def _resolve(name: str) -> str | None:
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(module: str) -> Iterator[tuple[str, int]]:
    """Every project module ``module`` imports, with the line."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            # `from market.x import y`: y may be a module or a name in market.x
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                yield target, node.lineno


def test_every_area_has_a_floor() -> None:
    areas = {area_of(m) for m in MODULES}
    assert areas <= set(FLOOR), sorted(areas - set(FLOOR))


def test_areas_import_only_lower_floors() -> None:
    against: dict[tuple[str, str], list[str]] = defaultdict(list)
    for module in MODULES:
        mine = area_of(module)
        for target, line in imports(module):
            theirs = area_of(target)
            if theirs != mine and FLOOR[theirs] >= FLOOR[mine]:
                against[(module, theirs)].append(f"{target} (line {line})")
    new = {k: v for k, v in against.items() if k not in AGAINST_THE_ORDER}
    assert not new, "imports against the order of the areas (docs/architecture.md): " + \
        "; ".join(f"{m} ({area_of(m)}) imports {', '.join(v)}" for (m, _a), v in new.items())
    gone = AGAINST_THE_ORDER - set(against)
    assert not gone, f"no longer against the order, remove from AGAINST_THE_ORDER: {gone}"


def _circles(nodes: list[str], edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one file (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[frozenset[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for v in nodes:
        if v not in index:
            visit(v)
    return out


def test_no_circles_between_the_files_of_an_area() -> None:
    found: set[frozenset[str]] = set()
    for area in FLOOR:
        mine = [m for m in MODULES if area_of(m) == area]
        edges = {m: {t for t, _ in imports(m) if area_of(t) == area
                     and not m.startswith(t + ".")} for m in mine}  # a package's own __init__
        found |= set(_circles(mine, edges))
    new = found - CIRCLES
    assert not new, f"files that import each other in a circle: {[sorted(c) for c in new]}"
    gone = CIRCLES - found
    assert not gone, f"circles gone, remove from CIRCLES: {[sorted(c) for c in gone]}"


def test_the_areas_form_no_circle() -> None:
    # Follows from the floors; kept explicit so that a floor edit cannot hide a circle.
    edges: dict[str, set[str]] = defaultdict(set)
    for module in MODULES:
        if any(module == m for m, _ in AGAINST_THE_ORDER):
            continue
        for target, _ in imports(module):
            if area_of(target) != area_of(module):
                edges[area_of(module)].add(area_of(target))
    areas = sorted(set(edges) | {a for targets in edges.values() for a in targets})
    assert _circles(areas, defaultdict(set, edges)) == []


# Imports inside functions without a comment saying why (on the line or the line above, or above
# the block of imports it belongs to), per file: none are left, so a new one fails.
UNEXPLAINED_LOCAL_IMPORTS: dict[str, int] = {}


def _comment_above(lines: list[str], index: int) -> bool:
    """A comment on the line above, or above the block of imports this one belongs to."""
    index -= 1
    while index >= 0:
        line = lines[index].strip()
        if line.startswith("#"):
            return True
        if not line.startswith(("from ", "import ")) or line.endswith("("):
            return False
        index -= 1
    return False


def _unexplained_local_imports(path: Path) -> int:
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    found: set[int] = set()
    for function in ast.walk(ast.parse(text)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        imports = (n for n in ast.walk(function) if isinstance(n, ast.Import | ast.ImportFrom))
        for node in imports:
            if "#" not in lines[node.lineno - 1] and not _comment_above(lines, node.lineno - 1):
                found.add(node.lineno)
    return len(found)


def test_imports_inside_functions_say_why() -> None:
    counts = {str(path.relative_to(ROOT)): _unexplained_local_imports(path)
              for module, path in MODULES.items() if not module.startswith("lottery")}
    counts = {k: v for k, v in counts.items() if v}
    assert counts == UNEXPLAINED_LOCAL_IMPORTS
