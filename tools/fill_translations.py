"""Fill English translations into the catalogue from a Python dict file (msgid -> msgstr).

Usage: python tools/fill_translations.py TRANSLATIONS.py
Only empty or fuzzy entries are filled; existing translations are kept.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "market/translations/en/LC_MESSAGES/messages.po"


def main() -> int:
    table: dict[str, str] = runpy.run_path(sys.argv[1])["T"]
    with PO.open("rb") as f:
        catalog = read_po(f)
    filled = 0
    for message in catalog:
        if message.id and (not message.string or message.fuzzy) and message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
            filled += 1
    with PO.open("wb") as f:
        write_po(f, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {filled}; still untranslated {len(missing)}")
    for m in missing:
        print("  ", m)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
