"""The Jacobson–Truax reliable change index, direction-aware.

SE = s1·√(1 − r), S_diff = √2·SE, RC = (x2 − x1)/S_diff; |RC| > 1.96 is a change larger than the
measurement error would make 95 % of the time. Whether a reliable change is an improvement depends
on the scale: lower catastrophizing is better, higher quality of life is better. s1 and r come from
the instrument YAML and travel with every result so a reader can see what was assumed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from bot.content.schema import Scale

CRITICAL = 1.96
Category = Literal["improved", "deteriorated", "no reliable change"]


@dataclass(frozen=True)
class ReliableChange:
    pre: float
    post: float
    sd: float  # s1, the pre-treatment SD used
    reliability: float  # r, the test-retest reliability used
    se: float
    s_diff: float
    rc: float
    better: Literal["lower", "higher"]

    @property
    def category(self) -> Category:
        if abs(self.rc) <= CRITICAL:
            return "no reliable change"
        went_down = self.rc < 0
        return "improved" if went_down == (self.better == "lower") else "deteriorated"

    @property
    def improved(self) -> bool:
        return self.category == "improved"


def reliable_change(
    pre: float, post: float, sd: float, reliability: float, better: Literal["lower", "higher"] = "lower"
) -> ReliableChange:
    if sd <= 0 or not 0 < reliability < 1:
        raise ValueError(f"reliable change needs sd > 0 and 0 < r < 1 (got sd={sd}, r={reliability})")
    se = sd * math.sqrt(1 - reliability)
    s_diff = math.sqrt(2) * se
    return ReliableChange(pre, post, sd, reliability, se, s_diff, (post - pre) / s_diff, better)


def for_scale(scale: Scale, pre: float, post: float) -> ReliableChange:
    """Reliable change on ``scale`` with the s1, r and direction its YAML gives."""
    if scale.sd is None or scale.reliability is None:
        raise ValueError(f"scale {scale.id!r} has no sd and reliability for reliable change")
    return reliable_change(pre, post, scale.sd, scale.reliability, scale.better)
