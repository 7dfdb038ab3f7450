"""Put freshly generated benchmark tables into docs/performance.md (``make bench``).

The document is hand-written prose with generated blocks marked::

    <!-- bench:NAME -->
    …replaced by the contents of DIR/NAME.md…
    <!-- /bench:NAME -->

Each bench script writes its block with ``--out DIR/NAME.md``.  Blocks without a new file are
left as they are (a partial run updates only what it measured); a file without a block is an
error, so a renamed section cannot silently go missing.

    python tools/perf_report.py DIR [--doc docs/performance.md]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"(<!-- bench:(?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- /bench:(?P=name) -->)",
                   re.S)


def replace_blocks(doc: str, blocks: dict[str, str]) -> tuple[str, list[str], list[str]]:
    """The document with each named block's body replaced; (text, replaced, kept)."""
    replaced: list[str] = []
    kept: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group("name")
        if name not in blocks:
            kept.append(name)
            return m.group(0)
        replaced.append(name)
        return m.group(1) + blocks[name].rstrip("\n") + "\n" + m.group(4)

    return BLOCK.sub(sub, doc), replaced, kept


def main() -> int:
    parser = argparse.ArgumentParser(description="Replace the generated blocks of a document.")
    parser.add_argument("dir", type=Path, help="folder of NAME.md blocks written by bench/*.py")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs/performance.md")
    args = parser.parse_args()
    blocks = {p.stem: p.read_text(encoding="utf-8") for p in sorted(args.dir.glob("*.md"))}
    text, replaced, kept = replace_blocks(args.doc.read_text(encoding="utf-8"), blocks)
    unknown = sorted(set(blocks) - set(replaced))
    if unknown:
        print(f"no <!-- bench:NAME --> block in {args.doc} for: {', '.join(unknown)}",
              file=sys.stderr)
        return 1
    args.doc.write_text(text, encoding="utf-8")
    print(f"{args.doc}: replaced {', '.join(replaced) or 'nothing'}"
          + (f"; unchanged: {', '.join(kept)}" if kept else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
