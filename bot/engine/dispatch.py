"""The conversation-state engine: one participant, one event, one set of effects.

``Engine.handle`` takes what the participant did; ``Engine.tick`` takes the passing of time (module
unlocks, daily prompts). Both mutate the given ``ParticipantState`` and return ``Effects`` for the
service to write in one transaction. The engine knows no channel, database or scheduler; each concern
lives in its own module (answering, commands, dailies, detours, progress, schedule) and this class only
dispatches to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from bot.content.programme import Programme
from bot.engine import (
    dailies,
    detours,
    diary_rules,
    onboarding,
    planned,
    preferences,
    progress,
    reminders,
    reports,
    risk,
    schedule,
    snoozing,
    symptom_watch,
    trial_calendar,
)
from bot.engine.answering import after_crisis, answer, carry_on
from bot.engine.commands import run_command
from bot.engine.model import Effects, Inbound, ParticipantState, Policy, RelayRecord, StoredAnswer
from bot.engine.rules import FeatureRules
from bot.engine.turn import Turn
from bot.errors import InputRejected


class Engine:
    def __init__(self, programme: Programme, policy: Policy | None, rules: FeatureRules) -> None:
        """``rules``: what the engine asks of the measures and trial features (``bot/features.py``)."""
        self.programme = programme
        self.policy = policy or Policy()
        self.rules = rules

    def handle(
        self, state: ParticipantState, inbound: Inbound, now: datetime, history: Sequence[StoredAnswer] = ()
    ) -> Effects:
        """``history`` (the participant's stored answers) is needed only when ``wants_history``."""
        turn = Turn(
            self.programme,
            state,
            now,
            history=history,
            policy=self.policy,
            rules=self.rules,
            attachment=inbound.attachment,
        )
        try:
            if inbound.kind == "command":
                preferences.forget_waiting(state)
                _command(turn, inbound)
            elif inbound.kind == "edit":
                _edited(turn, inbound)
            else:
                answer(turn, inbound)
        except InputRejected as exc:
            progress.reprompt(turn, exc)
        return turn.effects

    def held(self, code: str, language: str | None, inbound: Inbound, now: datetime) -> Effects:
        """A participant whose stored state cannot be used (quarantined): their words still reach the
        team as text and a risky text still gets the crisis message, on a blank state that never
        touches the broken one (and is never saved)."""
        blank = ParticipantState(code=code, language=self.programme.language(language), timezone="UTC")
        turn = Turn(self.programme, blank, now, policy=self.policy, rules=self.rules, attachment=inbound.attachment)
        words = inbound.text if inbound.kind in ("text", "edit") else f"/{inbound.text} {inbound.args}".strip()
        if inbound.kind == "choice" or not words.strip():
            turn.say(turn.msg("inbound.held_button"))
            return turn.effects
        if risk.screen_text(turn, words, "held_state") is None:
            data = {"attachment": inbound.attachment} if inbound.attachment else {}
            turn.effects.relays.append(RelayRecord(source="participant:held", text=words, kind="free", data=data))
            turn.say(turn.msg("inbound.held"))
        return turn.effects

    def released(self, state: ParticipantState, by: str, now: datetime) -> Effects:
        """Staff lifted the pause a risk hit made (from the participant's topic): the participant is told,
        and the interrupted step comes back."""
        turn = Turn(self.programme, state, now, policy=self.policy, rules=self.rules)
        if state.held:
            carry_on(turn, by=by)
        return turn.effects

    @staticmethod
    def wants_history(inbound: Inbound) -> bool:
        progress_command = inbound.kind == "command" and inbound.text.lower().lstrip("/") == "progress"
        return detours.wants_history(inbound) or progress_command

    def interviewed(self, state: ParticipantState, outcome: str, now: datetime) -> Effects:
        """A therapist recorded the interview (trial): move the participant on to the consent, or not."""
        turn = Turn(self.programme, state, now, policy=self.policy, rules=self.rules)
        onboarding.interviewed(turn, outcome)
        return turn.effects

    def allocated(self, state: ParticipantState, arm: str, allocated_on: date, now: datetime) -> Effects:
        """The draw is made (trial): the arm's calendar starts on the allocation day."""
        turn = Turn(self.programme, state, now, policy=self.policy, rules=self.rules)
        onboarding.allocated(turn, arm, allocated_on)
        return turn.effects

    def draw_due(self, state: ParticipantState, now: datetime) -> bool:
        """The trial's draw is due for this participant: baseline done, or its window closed."""
        return trial_calendar.draw_due(self.programme, state, now)

    def request_draw(self, state: ParticipantState, now: datetime) -> Effects:
        """The draw is due (found by the trial's sweep): mark it requested, as finishing baseline does."""
        turn = Turn(self.programme, state, now, policy=self.policy, rules=self.rules)
        if trial_calendar.draw_due(self.programme, state, now):
            progress.request_draw(turn)
        return turn.effects

    def tick(self, state: ParticipantState, now: datetime) -> Effects:
        turn = Turn(self.programme, state, now, policy=self.policy, rules=self.rules)
        if state.status == "active" and not state.paused and not state.held and not reminders.quiet_now(state, now):
            diary_rules.close_expired(turn)
            if state.frames:
                progress.announce_opened(turn)
            else:
                progress.check_unlocks(turn, tell_wait=False)
            dailies.offer_due(turn)
            reports.offer_due(turn)
            snoozing.reoffer_due(turn)
            if (check_in := trial_calendar.offer_due(turn)) is not None:
                symptom_watch.give(turn, check_in)  # the mood questions of the check-in just said
            planned.send_due(turn)
        return turn.effects

    def next_due(self, state: ParticipantState, now: datetime) -> datetime | None:
        """When ``tick`` next has something to do for this participant (None: nothing planned)."""
        return reminders.after_quiet(state, schedule.next_due(self.programme, state, now), now)


def _command(turn: Turn, inbound: Inbound) -> None:
    """A command's words are screened like any text (``/ask I want to die``) before the command runs;
    after an urgent hit the command still does its work, but says nothing after the crisis message."""
    name = inbound.text.lower().lstrip("/").split("@", 1)[0]
    hit = risk.screen_text(turn, inbound.args, f"{risk.where(turn)}, /{name}") if inbound.args.strip() else None
    if hit is not None and hit.urgent:
        after_crisis(turn, lambda: run_command(turn, inbound))
    else:
        run_command(turn, inbound)


def _edited(turn: Turn, inbound: Inbound) -> None:
    """An edited message changes no stored answer, but its new words are screened like new ones."""
    hit = risk.screen_text(turn, inbound.text, f"{risk.where(turn)}, edited message")
    if hit is not None and hit.urgent:
        risk.hold_prompt(turn)
