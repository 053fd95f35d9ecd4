"""Assigning therapists: round robin by caseload (pure)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence


def pick_therapist(therapists: Sequence[int], caseload: Mapping[int, int], exclude: Collection[int] = ()) -> int | None:
    """The therapist with the fewest participants; ties go to the one listed first.

    Because each assignment raises that therapist's count, equal caseloads rotate through the list
    (round robin), and a newly added therapist takes the next participants until they catch up.
    ``exclude`` keeps the week-2 call away from the participant's own therapist.
    """
    candidates = [t for t in therapists if t not in exclude]
    if not candidates:
        return None
    return min(candidates, key=lambda t: (caseload.get(t, 0), therapists.index(t)))
