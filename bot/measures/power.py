"""Power from repeated simulated trials: how often the primary analysis reached p < alpha, per N.

A run that fails (an error, or a primary analysis that cannot be computed) is counted as failed and
shown; it is neither a hit nor a miss, so power is hits over the runs that gave an answer, with a
Wilson 95 % interval (statsmodels).
"""

from __future__ import annotations

from dataclasses import dataclass

from statsmodels.stats.proportion import proportion_confint

ALPHA = 0.05


@dataclass(frozen=True)
class PowerPoint:
    participants: int  # randomized per simulated trial
    significant: int
    counted: int  # runs whose primary analysis gave a p
    failed: int  # runs that broke or gave no p

    @property
    def power(self) -> float:
        return self.significant / self.counted if self.counted else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        if not self.counted:
            return (0.0, 1.0)
        low, high = proportion_confint(self.significant, self.counted, alpha=0.05, method="wilson")
        return float(low), float(high)
