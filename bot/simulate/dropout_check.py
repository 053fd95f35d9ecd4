"""Does the drop-out warning rank drop-outs above completers? Measured on the simulator's people.

The whole-chat simulator (``icbt simulate``) is too slow to replay at every day of every person, so
this check draws the same people (``make_people``: adherence, drop-out week) and lets each live the
simulator's day model (``Person.engaged``: on a day they use the bot with their adherence, never
again after their drop-out week). A day they use the bot they answer what waits: the pain diary, the
module, the weekly report (offered on day 6 of the week, asked again two and four days later, then
an overdue alert), and a therapist's feedback follows a report the next day. From that history the
signals are read as ``bot.relay.dropout_store`` reads them from storage, and scored by the real
``bot.relay.dropout.assess``.

Each drop-out is compared with every completer on the same programme day: ``lag`` days after the
last day the drop-out could still have used the bot. The simulator's drop-out is a clean stop with
no warning sign before it (drop-outs use the bot like everyone else until they stop), so at lag 0
nothing can tell them apart (AUC ≈ 0.5) and the warning's worth is how soon after the stop it sees
them — before their first weekly report is missed (day 6 to 12 of their silence).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.relay.dropout import Signals, assess, wins
from bot.simulate.people import Person, SimConfig, make_people

WEEKS = 10  # baseline week, eight modules, the post week
REPORT_WEEKS = range(1, 9)  # the modules' weekly reports
ASKED = (6, 8, 10)  # days into the week the report is offered and asked again
ALERT_AFTER = 12  # days into the week the overdue alert goes out
LAGS = (0, 1, 2, 3, 5, 7)


@dataclass(frozen=True)
class History:
    """One person's simulated days: used the bot or not, the pain they noted, reports and feedback."""

    active: tuple[bool, ...]
    pain: tuple[float | None, ...]
    reported: frozenset[int]  # weeks whose report was sent
    feedback: tuple[int, ...]  # days the therapist's feedback arrived


def live(person: Person, rng: np.random.Generator) -> History:
    days = WEEKS * 7
    active = tuple(person.engaged(rng, day // 7) for day in range(days))
    pain = tuple(float(np.clip(rng.normal(person.pain_level, 1.2), 0, 10)) if a else None for a in active)
    reported, feedback = set(), []
    for week in REPORT_WEEKS:
        sent = next((7 * week + d for d in ASKED if 7 * week + d < days and active[7 * week + d]), None)
        if sent is not None:
            reported.add(week)
            feedback.append(sent + 1)
    return History(active, pain, frozenset(reported), tuple(sorted(feedback)))


def signals_at(history: History, day: int) -> Signals:
    """The signals on the morning of ``day`` (what happened on earlier days only)."""
    seen = [d for d in range(day) if history.active[d]]
    last = seen[-1] if seen else -1
    missed = sum(1 for w in REPORT_WEEKS if 7 * w + ALERT_AFTER <= day and w not in history.reported)
    diary_days = sum(1 for d in range(max(0, day - 7), day) if history.active[d])
    recent = [p for p in history.pain[max(0, day - 7) : day] if p is not None]
    before = [p for p in history.pain[max(0, day - 14) : max(0, day - 7)] if p is not None]
    change = sum(recent) / len(recent) - sum(before) / len(before) if recent and before else None
    silent = day - last - 0.5  # the last activity around noon, read the next mornings
    told = [d for d in history.feedback if d < day and d > last]
    in_module = 7 <= day < 7 * 9
    return Signals(
        days_silent=silent, reports_missed=missed, diary_days=diary_days if day >= 7 else None,
        module_days=silent if in_module else None, pain_change=change,
        therapist_waiting=day - told[-1] if told else None,
    )  # fmt: skip


@dataclass(frozen=True)
class DropoutCheck:
    dropouts: int
    completers: int
    auc_by_lag: dict[int, float]


def check(config: SimConfig, lags: tuple[int, ...] = LAGS) -> DropoutCheck:
    """The AUC of the warning's score at each lag after a simulated drop-out (same-day comparisons)."""
    rng = np.random.default_rng(config.seed)
    people = [p for p in make_people(config, rng) if p.screened_out is None]
    lives = {p.index: live(p, np.random.default_rng([config.seed, p.index, 7])) for p in people}
    dropped = [p for p in people if p.drop_week is not None]
    kept = [p for p in people if p.drop_week is None]
    out: dict[int, float] = {}
    same_day: dict[int, list[float]] = {}  # the completers' scores, by day
    for lag in lags:
        won, pairs = 0.0, 0
        for person in dropped:
            day = 7 * ((person.drop_week or 0) + 1) + lag
            if day >= WEEKS * 7:
                continue
            score = assess(signals_at(lives[person.index], day)).score
            if day not in same_day:
                same_day[day] = [assess(signals_at(lives[k.index], day)).score for k in kept]
            w, n = wins([score], same_day[day])
            won, pairs = won + w, pairs + n
        out[lag] = won / pairs if pairs else float("nan")
    return DropoutCheck(len(dropped), len(kept), out)
