"""Fill English translations into the catalogue from the dicts in tools/translations/*.py.

Each file defines ``T = {msgid: msgstr}`` for one area of the code, so several people can add
strings without editing the same file.  ``make translations-update`` runs this after extracting.
A translation in a dict wins over the catalogue's, so the dicts are the source of truth.
"""

from __future__ import annotations

import runpy
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "market/translations/en/LC_MESSAGES/messages.po"


def main() -> int:
    table: dict[str, str] = {}
    for path in sorted((Path(__file__).resolve().parent / "translations").glob("*.py")):
        table.update(runpy.run_path(str(path))["T"])
    with PO.open("rb") as f:
        catalog = read_po(f)
    filled = 0
    for message in catalog:
        if message.id and message.id in table and (message.string != table[message.id]
                                                   or message.fuzzy):
            message.string = table[message.id]
            message.flags.discard("fuzzy")
            filled += 1
    with PO.open("wb") as f:
        write_po(f, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {filled}; still untranslated {len(missing)}")
    for m in missing:
        print("  ", m)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main())
