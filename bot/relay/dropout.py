"""Drop-out early warning: from one participant's engagement signals, a risk level and the reasons.

Pure scoring (no storage, no clock): ``bot.relay.dropout_store`` gathers the signals from what the
database already holds, this module weighs them. Each signal that points to drifting away adds
points; the sum gives the level, and the reasons name the signals in the site's words
(``content/relay/<lang>.yaml``, keys ``dropout_*``) so a therapist sees *why* someone is high.

The weights are deliberately simple and readable: a week of silence or two missed weekly reports is
enough for ``high`` on its own; smaller signals (diary gaps, standing still in a module, pain getting
worse, no reply to the therapist) add up. Their worth is measured, not assumed: ``auc`` ranks
simulated drop-outs against completers (see ``bot.simulate.dropout_check`` and docs/relay.md).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from bot.relay.content import RelayContent

HIGH, MEDIUM, LOW = "high", "medium", "low"
LEVELS = (HIGH, MEDIUM, LOW)  # the order /caseload and the digest list them in
HIGH_AT, MEDIUM_AT = 4, 2  # points


@dataclass(frozen=True)
class Signals:
    """What storage says about one participant's engagement, at one moment."""

    days_silent: float | None = None  # days since the participant last wrote or pressed anything
    reports_missed: int = 0  # weekly reports overdue and still not sent
    diary_days: int | None = None  # days with a pain diary entry in the last 7 (None: no diary runs now)
    module_days: float | None = None  # days standing at the same place inside an open module
    pain_change: float | None = None  # average pain of the last 7 days minus the 7 before (+: worse)
    therapist_waiting: float | None = None  # days since the therapist's last message, nothing since


@dataclass(frozen=True)
class Reason:
    key: str  # content key ``dropout_<key>``
    points: int
    values: dict[str, str]


@dataclass(frozen=True)
class Risk:
    level: str
    score: float  # points, with a fraction for the days of silence (a finer order within a level)
    reasons: tuple[Reason, ...]

    @property
    def rank(self) -> tuple[int, float]:
        """Sort key: high first, and within a level the higher score first."""
        return LEVELS.index(self.level), -self.score


def _days(value: float) -> str:
    return str(int(value))


def reasons(s: Signals) -> list[Reason]:
    """Every signal that counts against the participant now, with its points."""
    out: list[Reason] = []
    if s.days_silent is not None and s.days_silent >= 2:
        points = 4 if s.days_silent >= 7 else 2 if s.days_silent >= 4 else 1
        out.append(Reason("silent", points, {"days": _days(s.days_silent)}))
    if s.reports_missed:
        out.append(Reason("reports", 4 if s.reports_missed >= 2 else 2, {"count": str(s.reports_missed)}))
    if s.diary_days is not None and s.diary_days <= 2:
        out.append(Reason("diary", 2 if s.diary_days == 0 else 1, {"days": str(s.diary_days)}))
    if s.module_days is not None and s.module_days >= 7:
        out.append(Reason("module", 1, {"days": _days(s.module_days)}))
    if s.pain_change is not None and s.pain_change >= 1.5:
        out.append(Reason("pain", 1, {"change": f"{s.pain_change:.1f}".removesuffix(".0")}))
    if s.therapist_waiting is not None and s.therapist_waiting >= 3:
        out.append(Reason("unanswered", 1, {"days": _days(s.therapist_waiting)}))
    return out


def assess(s: Signals) -> Risk:
    """The level and its reasons, strongest reason first."""
    found = sorted(reasons(s), key=lambda r: -r.points)
    points = sum(r.points for r in found)
    level = HIGH if points >= HIGH_AT else MEDIUM if points >= MEDIUM_AT else LOW
    silent = min(s.days_silent or 0.0, 30.0) / 31.0  # below one point: orders equal scores by silence
    return Risk(level, points + silent, tuple(found))


def describe(content: RelayContent, risk: Risk) -> str:
    """``🔴 high: 8 days without a word; 2 weekly reports not sent`` in the site's words."""
    level = content.text(f"dropout_level_{risk.level}")
    if not risk.reasons:
        return level
    said = "; ".join(content.text(f"dropout_{r.key}", **r.values) for r in risk.reasons)
    return content.text("dropout_summary", level=level, reasons=said)


def wins(positives: Sequence[float], negatives: Sequence[float]) -> tuple[float, int]:
    """How many (positive, negative) pairs the positive wins (ties count half), and how many pairs:
    Mann–Whitney's U and n₁·n₀, to be summed over strata (participants compared on the same day)."""
    ordered = sorted(negatives)
    won = 0.0
    for p in positives:
        below, upto = bisect_left(ordered, p), bisect_right(ordered, p)
        won += below + 0.5 * (upto - below)
    return won, len(positives) * len(negatives)


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """The area under the ROC curve: the chance that a positive scores above a negative (ties count
    half), U / (n₁·n₀). 0.5 is chance, 1.0 a perfect ranking."""
    won, pairs = wins(positives, negatives)
    if not pairs:
        raise ValueError("the AUC needs at least one of each group")
    return won / pairs
