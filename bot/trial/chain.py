"""The allocation records as a hash chain, so an auditor can tell that none was deleted, edited or redrawn.

Each allocation stores the hash of the one before it (in the order they were made, across strata) and
its own hash over that and its content: ``sha256(prev | participant | arm | stratum | index | local date)``.
``breaks`` walks the stored rows and names every place where the chain does not hold:

- a row whose ``prev_hash`` is not the hash of the row before it: a row was deleted (or the rows reordered);
- a row whose own hash does not match its content: the row was edited;
- a stratum whose indexes are not 0, 1, 2, …: an allocation was removed, or one was drawn again at a
  later index (a redraw always takes a new index: the counter only goes up);
- an allocation the audit log recorded (with its hash) that is not in the chain: deleted or redrawn.

Pure; the CLI reads the rows and the audit log (``icbt trial audit``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

GENESIS = "0" * 64


def link(prev: str, participant_id: int, arm: str, stratum: str, index: int, allocated_on: date) -> str:
    text = f"{prev}|{participant_id}|{arm}|{stratum}|{index}|{allocated_on.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Link:
    """One stored allocation as the chain sees it (rows in the order they were made: by id)."""

    id: int
    participant_id: int
    arm: str
    stratum: str
    index: int
    allocated_on: date
    prev_hash: str | None
    hash: str | None


def breaks(rows: Sequence[Link], audited: Collection[str] = ()) -> list[str]:
    """Everything that shows a deleted, edited or redrawn allocation (empty: the chain holds)."""
    found: list[str] = []
    expected = GENESIS
    for row in rows:
        if row.prev_hash != expected:
            found.append(f"allocation {row.id}: the record before it is missing or changed (deleted?)")
        own = link(row.prev_hash or "", row.participant_id, row.arm, row.stratum, row.index, row.allocated_on)
        if row.hash != own:
            found.append(f"allocation {row.id}: its content does not match its hash (edited?)")
        expected = row.hash or own
    by_stratum: dict[str, list[int]] = {}
    for row in rows:
        by_stratum.setdefault(row.stratum, []).append(row.index)
    for stratum, indexes in sorted(by_stratum.items()):
        missing = sorted(set(range(max(indexes) + 1)) - set(indexes))
        if missing:
            found.append(f"stratum {stratum}: index {', '.join(map(str, missing))} missing (deleted or redrawn?)")
    stored = {row.hash for row in rows}
    for value in audited:
        if value not in stored:
            found.append(f"an allocation audited with hash {value[:12]}… is not stored (deleted or redrawn?)")
    return found
