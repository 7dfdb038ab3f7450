"""lottery/ must run alone: only the standard library, cryptography and itself."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import lottery

ALLOWED = set(sys.stdlib_module_names) | {"cryptography", "lottery"}


def test_lottery_imports_only_stdlib_and_cryptography() -> None:
    root = Path(lottery.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert files
    bad = []
    for path in files:
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:  # relative imports stay inside the package
                    continue
                names = [node.module or ""]
            else:
                continue
            bad.extend(f"{path.name}: {n}" for n in names if n.split(".")[0] not in ALLOWED)
    assert bad == []
