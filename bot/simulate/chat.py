"""One synthetic person at the other end of the real chat: reads what the bot sent, answers it.

The person sends what a participant sends — ``/start``, button presses (the button's own data),
typed numbers and words — through the conversation service, one sitting in one transaction
(``bot/conversation/batch.py``). What to answer is decided by the
kind of step the participant stands on (from the stored position), so a new step kind in the content
still gets a sensible answer: an application question as the person's model answers it, a
questionnaire item or a diary scale from the person's model, the consent's agree button, any other
button, or a number or a few words when the bot waits for text. The draw is made in the chat after the
consent and the baseline; the person learns the arm from the stored state (``on_arm``), as a participant from the message.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select, update
from sqlalchemy.engine import Connection

from bot.clock import Clock
from bot.content.programme import Programme
from bot.content.schema import ConsentStep, ExerciseStep, FieldSpec, FormStep, QuestionnaireStep, Step
from bot.conversation.batch import NextEvent, SoFar, handle_batch
from bot.conversation.service import ConversationService
from bot.engine import Inbound
from bot.engine.model import Frame, ParticipantState
from bot.engine.risk import HOLD_TOKEN
from bot.engine.trial_calendar import CROSSOVER_TOKEN
from bot.simulate.people import Person, administer, application, diary_values, reached_at
from bot.storage.database import Database
from bot.storage.models import Participant
from bot.storage.repository import to_state
from bot.storage.rows import OUTBOX, Target
from bot.trial.application import application_plan, questions_to_ask
from bot.trial.arms import local_day
from bot.trial.steps.application import APPLY_TOKEN, NO, YES

CHANNEL = "sim"
GO_ON = ("Continue ›", "Next ›", "Done ›", "Start ›")
WORDS = "Walked for ten minutes and it went fine"
DIARY_FIELDS = ("average_pain", "worst_pain", "activity_today")
NUMERIC_HINTS = ("minute", "number", "0 (", "from 0", "100", "how many", "hours")

# The statements of the simulated phones (a batch runs two of them for every sitting), built once:
# building them is most of their cost.
_o = OUTBOX.c
CHAT_DUE = (
    select(_o.payload)
    .where(_o.status == "pending", _o.channel == CHANNEL, _o.chat_id == bindparam("chat_id"),
           _o.not_before <= bindparam("now"))
    .order_by(_o.id)
)  # fmt: skip
DUE = (
    select(_o.chat_id, _o.payload)
    .where(_o.status == "pending", _o.channel == CHANNEL, _o.not_before <= bindparam("now"))
    .order_by(_o.id)
)
MARK_DUE_SENT = (
    update(OUTBOX)
    .where(_o.status == "pending", _o.channel == CHANNEL, _o.not_before <= bindparam("at"))
    .values(status="sent", sent_at=bindparam("at"), attempts=_o.attempts + 1)
)
MARK_CHAT_SENT = (
    update(OUTBOX)
    .where(_o.status == "pending", _o.channel == CHANNEL, _o.chat_id == bindparam("chat"),
           _o.not_before <= bindparam("at"))
    .values(status="sent", sent_at=bindparam("at"), attempts=_o.attempts + 1)
)  # fmt: skip


class SimTransport:
    """The simulated people's phones: takes due outbox rows and keeps their payloads per chat.

    The real sender (pacing, claims, retries) is tested on its own; here it would cost three
    transactions per message, so the simulator reads what is due and marks it sent in one statement."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db, self.clock = db, clock
        self.sent: dict[str, list[dict[str, Any]]] = {}

    async def deliver(self) -> int:
        """Hand over every due message of every simulated chat, in order: one read and, when something
        is due, one UPDATE marking the same rows sent, in one transaction."""
        now = self.clock.now()

        def hand_over(conn: Connection) -> list[Any]:
            rows = conn.execute(DUE, {"now": now}).all()
            if rows:
                conn.execute(MARK_DUE_SENT, {"at": now})
            return rows

        rows = await self.db.run_write(hand_over)
        for chat, payload in rows:
            self.sent.setdefault(chat, []).append(dict(payload))
        return len(rows)

    def read_in(self, conn: Connection, chat_id: str) -> int:
        """What waits for one chat, read inside the caller's transaction (a batch of that chat's answers);
        the batch marks it handed over when it ends (``Chat._delivered``), with the replies it read."""
        payloads = conn.execute(CHAT_DUE, {"chat_id": chat_id, "now": self.clock.now()}).scalars().all()
        self.sent.setdefault(chat_id, []).extend(dict(payload) for payload in payloads)
        return len(payloads)


class Chat:
    """A person's side of the conversation; ``seen`` counts the messages they have read."""

    def __init__(self, person: Person, transport: SimTransport, rng: np.random.Generator, timezone: str,
                 on_arm: Callable[[Person], None]) -> None:  # fmt: skip
        self.person, self.transport, self.rng = person, transport, rng
        self.timezone, self.on_arm = timezone, on_arm
        self.events = itertools.count(1)
        self.seen = 0
        self.diary: dict[str, dict[str, int]] = {}
        self.stuck = 0
        self.previous = ""

    def unread(self) -> bool:
        return len(self.transport.sent.get(self.person.chat, [])) > self.seen

    def last(self) -> dict[str, Any] | None:
        sent = self.transport.sent.get(self.person.chat, [])
        self.seen = len(sent)
        return sent[-1] if sent else None

    async def state(self, service: ConversationService) -> ParticipantState | None:
        async with service.db.reading() as session:
            row = await session.scalar(
                select(Participant).where(Participant.channel == CHANNEL, Participant.chat_id == self.person.chat)
            )
        return None if row is None else self.known(Target(row.id, row.code, CHANNEL, self.person.chat), to_state(row))

    def known(self, target: Target, state: ParticipantState) -> ParticipantState:
        """Take note of who the person is in the trial: their code and, once drawn, their arm."""
        self.person.participant_id, self.person.code = target.participant_id, target.code
        if state.arm is not None and self.person.arm is None:  # the draw in the chat has just been made
            self.person.arm = state.arm
            self.on_arm(self.person)
        return state

    def reprompted(self, payload: dict[str, Any] | None) -> bool:
        """Counts the bot's re-prompts in a row ("Sorry, ..."): a sign the answer did not fit."""
        text = str((payload or {}).get("text", ""))
        again = text.startswith("Sorry") or text == self.previous
        self.previous = text
        self.stuck = self.stuck + 1 if again else 0
        return again

    @staticmethod
    def buttons(payload: dict[str, Any] | None) -> list[dict[str, str]]:
        return [b for row in (payload or {}).get("buttons") or [] for b in row]

    def busy(self, state: ParticipantState, payload: dict[str, Any] | None) -> bool:
        """Something waits: a step, a diary offer, or the pause after a safety answer."""
        data = [b["data"] for b in self.buttons(payload)]
        offer = any(d.startswith("D|") for d in data)
        return (
            bool(state.frames)
            or state.applying is not None
            or offer
            or (state.held and any(d.startswith(f"{HOLD_TOKEN}|") for d in data))
            or state.crossover == "offered"  # the waiting list's offer waits for a yes or a no
        )

    def reply(self, programme: Programme, state: ParticipantState, payload: dict[str, Any] | None) -> Inbound:
        """What this person answers to the last message, decided by the pending step's kind."""
        buttons = self.buttons(payload)
        by_label = {b["label"]: b["data"] for b in buttons}
        hold = next((b["data"] for b in buttons if b["data"].startswith(f"{HOLD_TOKEN}|")), None)
        if hold is not None:
            return Inbound(kind="choice", text=hold)
        if state.crossover == "offered" and not state.frames:  # the waiting list's offer, once nothing else waits
            return Inbound(kind="choice", text=f"{CROSSOVER_TOKEN}|{'yes' if self.person.takes_crossover else 'no'}")
        if state.applying is not None:
            return self.apply(programme, state.applying)
        frame = state.frame
        step = _step_of(programme, frame)
        if isinstance(step, ConsentStep):
            agree = programme.text(step.agree, state.language)
            if agree in by_label:
                return Inbound(kind="choice", text=by_label[agree])
        for label in GO_ON:
            if label in by_label:
                return Inbound(kind="choice", text=by_label[label])
        if frame is not None and isinstance(step, QuestionnaireStep):
            instrument = programme.instruments[step.instrument]
            answers = administer(self.person, instrument, (frame.module, step.id, frame.entry or ""),
                                 reached_at(frame.module), self.rng)  # fmt: skip
            item = instrument.items[min(frame.part, len(instrument.items) - 1)]
            return Inbound(kind="text", text=str(answers[item.id]))
        fld = _field_of(step, frame)
        if frame is not None and fld is not None and fld.kind in ("scale", "number"):
            return Inbound(kind="text", text=str(self.number(frame, fld)))
        offer = next((b["data"] for b in buttons if b["data"].startswith("D|")), None)
        if offer is not None:
            return Inbound(kind="choice", text=offer)
        choices = [b for b in buttons if b["label"] != "Skip" and not b["data"].startswith(("Z|", "D|"))]
        if choices:
            chosen = choices[min(3, len(choices) - 1)] if choices[0]["label"] == "0" else choices[0]
            return Inbound(kind="choice", text=chosen["data"])
        text = (payload or {}).get("text", "").lower()
        if fld is not None and fld.kind == "date":
            return Inbound(kind="text", text="2026-01-01")
        if fld is not None and fld.kind == "time":
            return Inbound(kind="text", text="18:00")
        return Inbound(kind="text", text="10" if any(k in text for k in NUMERIC_HINTS) else WORDS)

    def apply(self, programme: Programme, applying: dict[str, Any]) -> Inbound:
        """The next application question as this person answers it (a button where the chat offers
        one, else typed), then each screening item, mildly."""
        if not self.person.answers:
            self.person.answers = application(
                self.person, local_day(self.transport.clock.now(), self.timezone), self.rng
            )
        pending = questions_to_ask(programme, applying.get("given", {}))
        if pending:
            question, value = pending[0], self.person.answers[pending[0].id]
            if question.kind == "yes_no":
                return Inbound(kind="choice", text=f"{APPLY_TOKEN}|{question.id}|{YES if value else NO}")
            if question.kind == "choice":
                return Inbound(kind="choice", text=f"{APPLY_TOKEN}|{question.id}|{value}")
            return Inbound(kind="text", text=str(value))
        screens = applying.get("screens", {})
        for instrument in application_plan(programme).screens:
            for item in instrument.items:
                if item.id not in screens.get(instrument.id, {}):
                    return Inbound(kind="choice", text=f"{APPLY_TOKEN}|{instrument.id}.{item.id}|{item.min}")
        return Inbound(kind="text", text=WORDS)  # nothing left: the chat completes the application itself

    def number(self, frame: Frame, fld: FieldSpec) -> float:
        if fld.id in DIARY_FIELDS:  # one day's three numbers drawn together, so worst >= average
            key = f"{frame.module}:{frame.entry}"
            if key not in self.diary:
                self.diary = {key: diary_values(self.person, frame.module, self.rng)}
            return self.diary[key][fld.id]
        low = fld.min if fld.min is not None else 0
        high = fld.max if fld.max is not None else low + 10
        return round(low + (high - low) * float(self.rng.uniform(0.3, 0.7)))

    async def answer_until_idle(
        self, service: ConversationService, programme: Programme, first: Inbound | None = None, limit: int = 300
    ) -> int:
        """Answer message after message until nothing waits; returns how many answers were sent.

        The answers go through the service in batches (``bot/conversation/batch.py``): one transaction
        for everything the person answers in one go, a new one after an answer that asked the trial for
        something (the application's assessment, the draw), so its outcome is read before answering on.
        Inside the batch the bot's replies are handed over after each answer, so the next one is read as
        sent."""
        sent = 0
        pending = [first] if first is not None else []
        while sent < limit:
            result = await handle_batch(service, CHANNEL, self.person.chat, self._next(programme, pending),
                                        limit=limit - sent, done=self._delivered)  # fmt: skip
            sent += result.events
            if not result.asked_trial:
                break
        return sent

    def _delivered(self, conn: Connection) -> None:
        """End of a batch: the replies the person read during it are marked as handed over."""
        conn.execute(MARK_CHAT_SENT, {"chat": self.person.chat, "at": self.transport.clock.now()})

    def _next(self, programme: Programme, pending: list[Inbound]) -> NextEvent:
        """The batch's source of events: read what the bot sent, decide the answer.

        At the batch's start the person's waiting messages are read and the batch gives the stored
        state; after each answer the bot's replies and the state come from the batch itself."""

        def upcoming(conn: Connection, so_far: SoFar) -> tuple[str, Inbound] | None:
            if so_far.start:
                self.transport.read_in(conn, self.person.chat)
                if pending:
                    inbound: Inbound | None = pending.pop()
                elif so_far.target is None or so_far.state is None:
                    inbound = None  # no participant yet, or a state that cannot be used: nothing to answer
                else:
                    inbound = self.decide(programme, self.known(so_far.target, so_far.state))
            else:
                self.transport.sent.setdefault(self.person.chat, []).extend(so_far.replies)
                assert so_far.target is not None and so_far.state is not None, (
                    "a batch goes on only with a usable state"
                )
                inbound = self.decide(programme, self.known(so_far.target, so_far.state))
            return None if inbound is None else (f"{self.person.chat}-{next(self.events)}", inbound)

        return upcoming

    def decide(self, programme: Programme, state: ParticipantState) -> Inbound | None:
        """The person's next answer to what they have read, or None when nothing waits (or they give up)."""
        payload = self.last()
        if state.status not in ("onboarding", "active", "new") or not self.busy(state, payload):
            return None
        inbound = self.reply(programme, state, payload)
        if self.reprompted(payload):  # the bot did not take the last answer: press what it offers
            if self.stuck >= 3 or not self.buttons(payload):
                return None  # give up for now, as a real person might; the step waits
            inbound = Inbound(kind="choice", text=self.buttons(payload)[0]["data"])
        return inbound


def _step_of(programme: Programme, frame: Frame | None) -> Step | None:
    if frame is None:
        return None
    try:
        if frame.daily:
            return programme.daily(frame.module, frame.daily).step
        return programme.step(frame.module, frame.step)
    except KeyError:
        return None  # /ask and other frames without a content step: answered with words


def _field_of(step: Step | None, frame: Frame | None) -> FieldSpec | None:
    if frame is None:
        return None
    if isinstance(step, FormStep) and frame.stage == "main" and frame.part < len(step.fields):
        return step.fields[frame.part]
    if isinstance(step, ExerciseStep) and frame.stage == "log" and frame.part < len(step.log):
        return step.log[frame.part]
    return None
