"""Render docs/reliability.md from the evidence of a ``make proof`` run.

    python tools/proof_report.py EVIDENCE.jsonl [-o docs/reliability.md] [--command "make proof"]

EVIDENCE.jsonl is what ``tests/proof/report.py`` (``record(section, fact, value)``) and the
plugin ``tests/proof/outcomes.py`` (machine, every test's outcome and duration) wrote while
pytest ran with ``MARKET_PROOF_REPORT`` naming it.  The prose comes from
``tools/reliability_template.md``; its placeholders are replaced by what the run measured:

``{{header}}``                 date, command, duration, result, machine, one row per test file
``{{facts:SECTION}}``          a table of the facts of SECTION and of its sub-sections SECTION.*
``{{outcomes:NODEID-PREFIX}}`` the outcomes of the tests whose node id starts with the prefix
``{{value:SECTION:FACT}}``     one recorded value, inline
``{{unplaced}}``               facts and outcomes no placeholder showed (nothing is dropped)

A failed test is shown as failed, with its message, in its section and in the header.  The
exit status is 0 when the report was written, whatever the tests did (``make proof`` exits with
pytest's status).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "tools" / "reliability_template.md"
OUTPUT = ROOT / "docs" / "reliability.md"
PLACEHOLDER = re.compile(r"\{\{(header|unplaced|facts:[^}]+|outcomes:[^}]+|value:[^}]+)\}\}")
BAD = ("failed", "error")


@dataclass
class Outcome:
    nodeid: str
    outcome: str
    reason: str
    duration: float

    @property
    def function(self) -> str:
        """The node id without its parameters: one row per test function."""
        return self.nodeid.split("[", 1)[0]


@dataclass
class Evidence:
    session: dict[str, Any] = field(default_factory=dict)
    end: dict[str, Any] | None = None
    facts: dict[str, dict[str, Any]] = field(default_factory=lambda: defaultdict(dict))
    outcomes: list[Outcome] = field(default_factory=list)
    broken_lines: int = 0

    @classmethod
    def load(cls, path: Path) -> Evidence:
        """Read the JSON lines; the last session in the file is the one reported."""
        runs: list[Evidence] = [cls()]
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                runs[-1].broken_lines += 1
                continue
            kind = entry.get("kind")
            if kind == "session":
                runs.append(cls(session=entry))
            elif kind == "end":
                runs[-1].end = entry
            elif kind == "outcome":
                runs[-1].outcomes.append(Outcome(entry["nodeid"], entry["outcome"],
                                                 entry.get("reason", ""),
                                                 float(entry.get("duration", 0.0))))
            elif kind == "fact":
                # A later value replaces an earlier one, in the place of the first.
                runs[-1].facts[entry["section"]][entry["fact"]] = entry["value"]
        return runs[-1]


# --- formatting ---------------------------------------------------------------------------------


def fmt(value: Any) -> str:
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {fmt(v)}" for k, v in value.items()) or "none"
    if isinstance(value, list):
        return ", ".join(fmt(v) for v in value) or "none"
    return str(value)


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def seconds(value: float) -> str:
    if value >= 90:
        return f"{value / 60:.1f} min"
    return f"{value:.1f} s"


# --- the blocks ---------------------------------------------------------------------------------


class Renderer:
    def __init__(self, evidence: Evidence, command: str) -> None:
        self.ev = evidence
        self.command = command
        self.shown_sections: set[str] = set()
        self.shown_tests: set[str] = set()

    def render(self, template: str) -> str:
        # {{unplaced}} last: it lists what the other placeholders did not show.
        body = PLACEHOLDER.sub(lambda m: self.expand(m[1]) if m[1] != "unplaced"
                               else "{{unplaced}}", template)
        return body.replace("{{unplaced}}", self.unplaced())

    def expand(self, name: str) -> str:
        if name == "header":
            return self.header()
        kind, _, arg = name.partition(":")
        if kind == "facts":
            return self.facts(arg)
        if kind == "outcomes":
            return self.outcomes(arg)
        section, _, fact = arg.partition(":")
        value = self.ev.facts.get(section, {}).get(fact, _MISSING)
        return "*(not recorded)*" if value is _MISSING else fmt(value)

    def header(self) -> str:
        ev = self.ev
        started = ev.session.get("started")
        when = (datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M UTC")
                if started else "unknown")
        counts = _count(ev.outcomes)
        result = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no test ran"
        bad = [o for o in ev.outcomes if o.outcome in BAD]
        lines = [f"Generated by `{self.command}` on {when} from what the tests measured in that "
                 "run (`tools/proof_report.py`, prose from `tools/reliability_template.md`; edit "
                 "the template, not this file)."]
        if ev.end is None:
            lines.append("\n**The run did not finish**: pytest stopped before the end of the "
                         "session; the report shows what was recorded until then.")
        duration = ev.end.get("duration") if ev.end else None
        lines.append("")
        lines.append(f"**Result: {result}**" + (f" in {seconds(duration)}" if duration else "")
                     + (f" (pytest exit status {ev.end['exitstatus']})." if ev.end else "."))
        if bad:
            lines.append("")
            lines.append(f"**{len(bad)} test(s) did not pass** — the evidence below is "
                         "incomplete where they stopped:")
            lines.append("")
            lines += [f"- **{o.outcome.upper()}** `{o.nodeid}`: {o.reason}" for o in bad]
        if ev.broken_lines:
            lines.append(f"\n({ev.broken_lines} unreadable line(s) in the evidence file.)")
        lines.append("")
        lines.append(self.machine())
        lines.append("")
        by_file: dict[str, list[Outcome]] = defaultdict(list)
        for o in ev.outcomes:
            by_file[o.nodeid.split("::", 1)[0]].append(o)
        rows = []
        for path, outs in by_file.items():
            c = _count(outs)
            rows.append([f"`{path}`", str(len(outs)), str(c["passed"]),
                         _bad(c["failed"] + c["error"]), str(c["skipped"] + c["xfailed"]),
                         seconds(sum(o.duration for o in outs))])
        if rows:
            lines.append(table(["Test file", "Tests", "Passed", "Failed", "Skipped", "Time"],
                               rows))
        return "\n".join(lines)

    def machine(self) -> str:
        m = self.ev.session.get("machine", {})
        if not m:
            return "*(machine not recorded)*"
        cpu = m.get("cpu", "unknown CPU") + (" (virtual machine)" if m.get("virtualised") else "")
        packages = ", ".join(f"{k} {v}" for k, v in m.get("packages", {}).items())
        rows = [
            ["Cores", fmt(m.get("cores"))],
            ["CPU", cpu],
            ["RAM", f"{m['ram_gb']} GB" if "ram_gb" in m else "unknown"],
            ["OS", m.get("os", "unknown")],
            ["Kernel", f"{m.get('kernel', '')} ({m.get('arch', '')})"],
            ["Python", m.get("python", "unknown")],
            ["SQLite", m.get("sqlite", "unknown")],
            ["PostgreSQL", m.get("postgresql", "unknown")],
            ["Root (the full-disk test mounts a tmpfs)", fmt(m.get("user_is_root"))],
            ["Packages", packages or "unknown"],
            ["Command", f"`{self.command}` (pytest "
                        f"{' '.join(self.ev.session.get('args', []))})"],
        ]
        return table(["Machine", ""], rows)

    def facts(self, prefix: str) -> str:
        sections = [s for s in self.ev.facts if s == prefix or s.startswith(prefix + ".")]
        if not sections:
            self.shown_sections.add(prefix)
            return f"*(nothing recorded for `{prefix}` — did its tests run?)*"
        rows = []
        for section in sections:
            self.shown_sections.add(section)
            for fact, value in self.ev.facts[section].items():
                rows.append([fact, fmt(value)])
        return table(["Measured", "Value"], rows)

    def outcomes(self, prefix: str) -> str:
        outs = [o for o in self.ev.outcomes if o.nodeid.startswith(prefix)]
        self.shown_tests.update(o.nodeid for o in outs)
        if not outs:
            return f"*(no outcome recorded for `{prefix}` — the test did not run)*"
        return outcome_table(outs)

    def unplaced(self) -> str:
        parts = []
        for section, facts in self.ev.facts.items():
            if section in self.shown_sections or not facts:
                continue
            parts.append(f"**{section}**\n\n"
                         + table(["Measured", "Value"], [[f, fmt(v)] for f, v in facts.items()]))
        outs = [o for o in self.ev.outcomes if o.nodeid not in self.shown_tests]
        if outs:
            parts.append("**Other tests**\n\n" + outcome_table(outs))
        return "\n\n".join(parts) if parts else "Nothing else was recorded."


_MISSING = object()


def _count(outs: list[Outcome]) -> dict[str, int]:
    counts = {"passed": 0, "failed": 0, "error": 0, "skipped": 0, "xfailed": 0}
    for o in outs:
        counts[o.outcome] = counts.get(o.outcome, 0) + 1
    return counts


def _bad(n: int) -> str:
    return f"**{n}**" if n else "0"


def outcome_table(outs: list[Outcome]) -> str:
    """One row per test function (parametrized cases counted together), then every failure and
    every skip with its reason."""
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outs:
        groups[o.function].append(o)
    rows = []
    for function, items in groups.items():
        c = _count(items)
        status = ("**FAILED**" if c["failed"] or c["error"]
                  else "skipped" if c["passed"] == 0 else "passed")
        rows.append([f"`{function.split('::', 1)[-1]}`", status, str(len(items)),
                     str(c["passed"]), _bad(c["failed"] + c["error"]),
                     str(c["skipped"] + c["xfailed"]), seconds(sum(o.duration for o in items))])
    text = table(["Test", "Outcome", "Cases", "Passed", "Failed", "Skipped", "Time"], rows)
    notes = [o for o in outs if o.outcome != "passed"]
    if notes:
        text += "\n\n" + "\n".join(
            f"- {'**' + o.outcome.upper() + '**' if o.outcome in BAD else o.outcome} "
            f"`{o.nodeid.split('::', 1)[-1]}`: {o.reason}" for o in notes)
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("evidence", type=Path, help="the JSON lines of MARKET_PROOF_REPORT")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    parser.add_argument("--template", type=Path, default=TEMPLATE)
    parser.add_argument("--command", default="make proof", help="the command to show")
    args = parser.parse_args(argv)
    if not args.evidence.exists():
        print(f"proof_report: no evidence file {args.evidence}", file=sys.stderr)
        return 2
    evidence = Evidence.load(args.evidence)
    if not evidence.session:
        print(f"proof_report: {args.evidence} holds no pytest session (was the plugin "
              "tests/proof/outcomes.py loaded?)", file=sys.stderr)
        return 2
    text = Renderer(evidence, args.command).render(args.template.read_text(encoding="utf-8"))
    args.output.write_text(text.rstrip() + "\n", encoding="utf-8")
    counts = _count(evidence.outcomes)
    print(f"proof_report: wrote {args.output} ({', '.join(f'{n} {k}' for k, n in counts.items() if n)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
