"""Concealed allocation per stratum from a secret seed: permuted blocks of randomly varying size, or
the big stick design (``max_imbalance``: a fair coin for each person unless the stratum's arms are that
far apart, then the arm behind; Soares & Wu 1983). Someone who sees every earlier arm of a stratum
guesses the next one right about 67 % of the time against blocks of 4, 6 and 8, and about 57 % against
the big stick with the same worst imbalance as blocks of 6 (3): see docs/trial.md.

The sequence is a pure function of (seed, stratum, index). Every random draw is an HMAC-SHA256 of the
seed over a label that names what is drawn (``stratum|block|k|size``, ``stratum|block|k|swap|i``,
``stratum|coin|i``), turned into an unbiased integer by rejection sampling. An auditor holding the seed reproduces every
allocation with ``sequence(seed, arms, sizes, stratum, n)``; without the seed, nothing here or in the
database predicts the next one (the database stores only the allocations already made and a counter).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import count
from typing import Any

# The demo's fixed seed: with the shipped scheme its first two draws in a stratum are the programme now,
# then the waiting list, so the demo's first participant and a second one (``/as NAME``) show both arms.
DEMO_SEED = "icbt-demo-seed-not-for-a-real-trial-8"


@dataclass(frozen=True)
class ArmWeight:
    id: str
    weight: int


def draw(seed: bytes, label: str, below: int) -> int:
    """An unbiased integer in [0, below) from HMAC-SHA256(seed, label|attempt)."""
    if below < 1:
        raise ValueError("below must be at least 1")
    space = 1 << 64
    limit = space - space % below
    for attempt in count():
        digest = hmac.new(seed, f"{label}|{attempt}".encode(), hashlib.sha256).digest()
        value = int.from_bytes(digest[:8], "big")
        if value < limit:
            return value % below
    raise AssertionError("unreachable")


def block(seed: bytes, arms: Sequence[ArmWeight], sizes: Sequence[int], stratum: str, k: int) -> list[str]:
    """Block ``k`` of a stratum: a size drawn from ``sizes``, arms in ratio, shuffled (Fisher-Yates)."""
    unit = sum(a.weight for a in arms)
    size = sizes[draw(seed, f"{stratum}|block|{k}|size", len(sizes))]
    if size % unit:
        raise ValueError(f"block size {size} is not a multiple of the arms' weights ({unit})")
    items = [a.id for a in arms for _ in range(a.weight * size // unit)]
    for i in range(len(items) - 1, 0, -1):
        j = draw(seed, f"{stratum}|block|{k}|swap|{i}", i + 1)
        items[i], items[j] = items[j], items[i]
    return items


def big_stick(seed: bytes, arms: Sequence[ArmWeight], limit: int, stratum: str) -> Iterator[str]:
    """Equal arms: each person by a fair draw among all arms, unless the arms are ``limit`` apart;
    then among the arms that are behind. Unequal weights need blocks (the schema says so)."""
    counts = {a.id: 0 for a in arms}
    for i in count():
        low = min(counts.values())
        behind = [a for a, n in counts.items() if n == low]
        choices = behind if max(counts.values()) - low >= limit else list(counts)
        arm = choices[draw(seed, f"{stratum}|coin|{i}", len(choices))]
        counts[arm] += 1
        yield arm


def stream(
    seed: bytes, arms: Sequence[ArmWeight], sizes: Sequence[int], stratum: str, max_imbalance: int | None = None
) -> Iterator[tuple[int, str]]:
    """The stratum's allocations in order, as (index, arm id)."""
    if max_imbalance is not None:
        yield from enumerate(big_stick(seed, arms, max_imbalance, stratum))
        return
    index = 0
    for k in count():
        for arm in block(seed, arms, sizes, stratum, k):
            yield index, arm
            index += 1


def allocation_at(
    seed: bytes, arms: Sequence[ArmWeight], sizes: Sequence[int], stratum: str, index: int,
    max_imbalance: int | None = None,
) -> str:  # fmt: skip
    """The arm at position ``index`` (0-based) of the stratum's sequence."""
    for position, arm in stream(seed, arms, sizes, stratum, max_imbalance):
        if position == index:
            return arm
    raise AssertionError("unreachable")


def sequence(
    seed: bytes, arms: Sequence[ArmWeight], sizes: Sequence[int], stratum: str, n: int,
    max_imbalance: int | None = None,
) -> list[str]:  # fmt: skip
    """The first ``n`` allocations of a stratum (what an auditor prints)."""
    out: list[str] = []
    for _, arm in stream(seed, arms, sizes, stratum, max_imbalance):
        if len(out) == n:
            break
        out.append(arm)
    return out


def stratum_of(strata: Sequence[str], answers: Mapping[str, Any]) -> str:
    """The stratum key from the application, e.g. ``sex=female``; ``all`` when there are no strata."""
    if not strata:
        return "all"
    return "|".join(f"{name}={answers.get(name, '-')}" for name in strata)


def seed_bytes(secret: str) -> bytes:
    return secret.encode("utf-8")


def mismatches(
    seed: bytes, arms: Sequence[ArmWeight], sizes: Sequence[int], made: Sequence[tuple[str, int, str]],
    max_imbalance: int | None = None,
) -> list[tuple[str, int, str, str]]:  # fmt: skip
    """Stored allocations (stratum, index, arm) that the seed does not reproduce, with the expected arm.

    An auditor's check: it looks only at allocations already made, so it reveals nothing ahead.
    """
    by_stratum: dict[str, list[tuple[int, str]]] = {}
    for stratum, index, arm in made:
        by_stratum.setdefault(stratum, []).append((index, arm))
    wrong: list[tuple[str, int, str, str]] = []
    for stratum, rows in by_stratum.items():
        expected = sequence(seed, arms, sizes, stratum, max(i for i, _ in rows) + 1, max_imbalance)
        wrong += [(stratum, i, arm, expected[i]) for i, arm in sorted(rows) if expected[i] != arm]
    return wrong
