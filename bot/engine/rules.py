"""What the engine asks of the measures and trial features: a small interface, filled in at the
composition root (``bot/features.py``): the measures' scoring and diary rules, and the trial's turns
of the conversation (its application, /withdraw, /consent, /mydata).

The engine imports no feature package. The features build on the engine (their services run its
decisions and read its records), so an import the other way would tie every package into one knot;
instead the engine names the few rules it needs here and is handed them when it is built.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from bot.content.schema import Instrument

if TYPE_CHECKING:  # the turn carries these rules: named here for the reader, not imported at run time
    from bot.engine.model import Inbound
    from bot.engine.turn import Turn

Verdict = Literal["ok", "not_a_diary_day", "not_yet", "too_late", "already_done"]


class MeasureRules(Protocol):
    """Scoring a finished questionnaire and the diary's time rules (``bot/measures``)."""

    def score(self, instrument: Instrument, answers: Mapping[str, int]) -> Any:
        """The administration's score (``bot.measures.scoring.Score``); the engine only carries it."""
        ...

    def check_entry(
        self, day: date, first_day: date, days: int, now: datetime, timezone: str, late_days: int,
        done: Collection[date],
    ) -> Verdict: ...  # fmt: skip

    def expired(self, day: date, now: datetime, timezone: str, late_days: int) -> bool: ...


class TrialRules(Protocol):
    """The trial's turns of the conversation (``bot/trial/steps/``): the application that comes
    before the consent in a trial, ``/withdraw``, ``/consent`` and ``/mydata``."""

    withdraw_token: str  # the first part of the data of /withdraw's buttons

    def wanted(self, turn: Turn) -> bool:
        """Whether this participant still has to apply before the consent may be shown."""
        ...

    def begin(self, turn: Turn) -> None: ...

    def ask(self, turn: Turn, full: bool = True) -> None:
        """The application's question (or screening item) to answer now."""
        ...

    def answer(self, turn: Turn, inbound: Inbound, quiet: bool = False) -> None: ...

    def tell_where(self, turn: Turn, welcome_back: bool) -> bool:
        """Before the consent: where the application stands (True when something was said)."""
        ...

    def withdraw(self, turn: Turn, inbound: Inbound) -> None: ...

    def on_withdraw_button(self, turn: Turn, value: str) -> None: ...

    def show_consent(self, turn: Turn, inbound: Inbound) -> None: ...

    def request_mydata(self, turn: Turn, inbound: Inbound) -> None: ...


@dataclass(frozen=True)
class FeatureRules:
    measures: MeasureRules
    trial: TrialRules
