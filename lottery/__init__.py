"""agency-lottery/v1: the verifiable draw, its transparency log and the offline verifier.

Pure Python over the standard library and ``cryptography`` only, so a regulator can run it
without the rest of the platform.  Modules:

* :mod:`lottery.encoding` — cjson, enc/u32, validators of spec §1
* :mod:`lottery.draw` — commitment, pool, draw key, tickets, ranking (§2-4)
* :mod:`lottery.sources` — entropy sources and plans (§5)
* :mod:`lottery.merkle` / :mod:`lottery.log` — RFC 6962 tree, proofs, incremental log (§6)
* :mod:`lottery.events` — events and the §7 rules as a state machine
* :mod:`lottery.note` / :mod:`lottery.keys` — signed notes, checkpoints, the platform key
* :mod:`lottery.bundle` / :mod:`lottery.verify` / :mod:`lottery.audit` — §8-§10
"""

from __future__ import annotations

from lottery.encoding import V
from lottery.errors import CheckFailed, Invalid, Unreadable

__all__ = ["V", "CheckFailed", "Invalid", "Unreadable"]
