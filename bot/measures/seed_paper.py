"""What the seed trial printed, as data: Table III and the test statistics of its Results.

Kept in one place so the errata section can recompute each printed figure, the instrument files'
s₁ can be checked against the pooled pre-treatment SDs, and the simulator can be calibrated to the
same numbers. Source: the seed paper (54 randomized, 26 treatment / 28 waiting list; 4 drop-outs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

N_TREATMENT, N_CONTROL = 26, 28
DROPOUTS = {"treatment": 3, "control": 1}  # without post-treatment data (7.4 %)
RELIABLY_IMPROVED = {"treatment": 15, "control": 5}  # catastrophizing, of 26 and 28
PRINTED_CHI2 = (8.6, 0.003)  # χ²(1) and p as printed for the reliable-improvement table


@dataclass(frozen=True)
class Row:
    """One measure of Table III: mean (SD) before and after, per arm."""

    treatment_pre: tuple[float, float]
    treatment_post: tuple[float, float]
    control_pre: tuple[float, float]
    control_post: tuple[float, float]

    @property
    def pooled_pre_sd(self) -> float:
        """The pooled pre-treatment SD of both arms (the s₁ of the reliable change index)."""
        a, b = self.treatment_pre[1], self.control_pre[1]
        return math.sqrt(((N_TREATMENT - 1) * a**2 + (N_CONTROL - 1) * b**2) / (N_TREATMENT + N_CONTROL - 2))


TABLE_III: dict[tuple[str, str], Row] = {
    ("csq", "diverting"): Row((11.2, 5.9), (11.5, 6.5), (11.4, 5.7), (10.8, 5.5)),
    ("csq", "reinterpreting"): Row((5.3, 5.2), (6.2, 4.5), (5.4, 3.9), (6.1, 5.1)),
    ("csq", "self_statements"): Row((21.0, 5.9), (19.1, 7.6), (18.3, 6.7), (19.4, 7.5)),
    ("csq", "ignoring"): Row((15.4, 6.0), (17.6, 7.7), (15.3, 7.0), (14.7, 7.4)),
    ("csq", "praying"): Row((11.0, 7.4), (10.8, 7.0), (10.8, 5.9), (9.2, 5.9)),
    ("csq", "catastrophizing"): Row((14.3, 6.1), (9.5, 5.5), (12.0, 8.2), (11.6, 8.2)),
    ("csq", "activity"): Row((16.0, 6.0), (14.3, 5.4), (15.6, 4.5), (15.9, 5.7)),
    ("csq", "control_over_pain"): Row((3.3, 1.3), (3.0, 1.1), (2.9, 1.4), (2.8, 1.5)),
    ("csq", "ability_to_decrease"): Row((3.1, 0.9), (3.3, 0.8), (3.0, 1.0), (3.0, 1.2)),
    ("mpi_s", "pain_severity"): Row((3.5, 2.5), (3.15, 2.2), (3.2, 2.2), (3.35, 2.6)),
    ("mpi_s", "interference"): Row((3.6, 1.2), (3.2, 1.4), (3.9, 1.3), (3.5, 1.2)),
    ("mpi_s", "life_control"): Row((3.1, 1.1), (3.9, 1.0), (2.7, 0.9), (3.1, 0.9)),
    ("mpi_s", "affective_distress"): Row((2.9, 0.9), (2.8, 0.9), (3.0, 0.6), (3.1, 0.6)),
    ("mpi_s", "support"): Row((4.0, 1.6), (4.2, 1.3), (3.9, 1.5), (3.8, 1.6)),
    ("mpi_s", "punishing"): Row((1.0, 1.4), (0.7, 1.1), (1.5, 1.4), (1.2, 1.3)),
    ("mpi_s", "solicitous"): Row((2.3, 1.4), (2.3, 1.2), (2.1, 1.4), (1.9, 1.5)),
    ("mpi_s", "distracting"): Row((2.5, 1.7), (2.5, 1.6), (2.7, 1.7), (2.5, 1.7)),
    ("pairs", "total"): Row((53.3, 10.4), (49.1, 11.0), (48.3, 13.7), (46.1, 18.7)),
    ("hads", "anxiety"): Row((7.6, 3.7), (5.8, 3.5), (7.6, 5.1), (7.0, 6.0)),
    ("hads", "depression"): Row((6.3, 4.2), (4.9, 3.6), (6.3, 4.5), (6.3, 5.2)),
    ("qoli", "overall"): Row((1.2, 1.4), (1.7, 1.4), (1.8, 1.5), (1.1, 1.6)),
}


@dataclass(frozen=True)
class PrintedF:
    """An F test as the Results section prints it."""

    what: str
    f: float
    df: tuple[int, int]
    printed_p: str


PRINTED_F = (
    PrintedF("CSQ catastrophizing, group × time", 11.9, (1, 48), "0.0001"),
    PrintedF("QOLI, group × time", 10.8, (1, 48), "0.0002"),
    PrintedF("PAIRS, time", 3.9, (1, 48), "0.05"),
    PrintedF("HADS anxiety, time", 4.1, (1, 48), "0.05"),
)
