"""The conversation-state engine: one participant, one event, one set of effects.

``Engine.handle`` takes what the participant did; ``Engine.tick`` takes the passing of time (module
unlocks, daily prompts). Both mutate the given ``ParticipantState`` and return ``Effects`` for the
service to write in one transaction. The engine knows no channel, database or scheduler.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from bot.content.programme import Programme
from bot.content.schema import DailyPrompt, Module, QuestionnaireStep, QuestionStep, Step
from bot.engine import calendar
from bot.engine.model import (
    Button,
    Effects,
    Frame,
    Inbound,
    Outbound,
    ParticipantState,
    RelayRecord,
    StoredAnswer,
)
from bot.engine.steps import DECLINE, DONE, STAY, accept, present, prompt
from bot.engine.turn import Turn, frame_token
from bot.errors import InputRejected

ASK = "@ask"  # the frame of a question the participant started with /ask
DAILY_TOKEN = "D"
DETOUR_TOKENS = ("W", "A", "R")  # /mywork view, add an entry, reopen a module


def daily_key(module: Module, daily: DailyPrompt) -> str:
    return f"{module.id}.{daily.id}"


def _short(key: str) -> str:
    return hashlib.blake2s(key.encode(), digest_size=5).hexdigest()


class Engine:
    def __init__(self, programme: Programme) -> None:
        self.programme = programme

    # -- entry points -------------------------------------------------------------------------
    def handle(
        self, state: ParticipantState, inbound: Inbound, now: datetime, history: Sequence[StoredAnswer] = ()
    ) -> Effects:
        """``history`` (the participant's stored answers) is needed only when ``wants_history``."""
        turn = Turn(self.programme, state, now, history=history)
        try:
            if inbound.kind == "command":
                self._command(turn, inbound)
            else:
                self._answer(turn, inbound)
        except InputRejected as exc:
            self._reprompt(turn, exc)
        return turn.effects

    @staticmethod
    def wants_history(inbound: Inbound) -> bool:
        from bot.engine.mywork import WORK_TOKEN

        return (inbound.kind == "command" and inbound.text.lower() == "mywork") or (
            inbound.kind == "choice" and inbound.text.startswith(WORK_TOKEN + "|")
        )

    def tick(self, state: ParticipantState, now: datetime) -> Effects:
        turn = Turn(self.programme, state, now)
        if state.status == "active" and not state.paused:
            if state.frames:
                self._announce_opened(turn)
            else:
                self._check_unlocks(turn, tell_wait=False)
            self._offer_dailies(turn)
        return turn.effects

    def next_due(self, state: ParticipantState, now: datetime) -> datetime | None:
        """When ``tick`` next has something to do for this participant (None: nothing planned)."""
        if state.status != "active" or state.paused or state.start_date is None:
            return None
        tz, start, due = state.timezone, state.start_date, []
        pending = self._next_unfinished(state, skip_announced=bool(state.frames))
        if pending is not None:
            due.append(calendar.module_opens_at(start, pending, self.programme.spec.release_hour, tz))
        today = calendar.local_date(now, tz).isoformat()
        for module, prompt_ in self._daily_prompts(state):
            key = daily_key(module, prompt_)
            at = calendar.daily_due_at(start, module, prompt_, now, tz)
            if at is not None and today in (
                state.daily_offered.get(key),
                state.daily_done.get(key),
            ):
                at = calendar.daily_due_at(start, module, prompt_, now + timedelta(days=1), tz)
                if at is not None and calendar.local_date(at, tz).isoformat() == today:
                    at = None
            if at is not None:
                due.append(at)
        if not due and not state.frames:
            # Everything is done and no diary is left: the next sweep marks the programme complete.
            last_day = max((calendar.daily_window(start, m, d)[1] for m, d in self._daily_prompts(state)), default=None)
            release = time(self.programme.spec.release_hour)
            due.append(now if last_day is None else calendar.at_local(last_day + timedelta(days=1), release, tz))
        return min(due) if due else None

    # -- answers --------------------------------------------------------------------------------
    def _answer(self, turn: Turn, inbound: Inbound) -> None:
        state = turn.state
        if state.status == "new":
            self._start(turn)
            return
        if state.status == "declined":
            turn.say(turn.msg("consent.declined"))
            return
        value, via_button = inbound.text, inbound.kind == "choice"
        if via_button:
            token, _, value = inbound.text.partition("|")
            if token == DAILY_TOKEN:
                self._open_daily(turn, value)
                return
            if token in DETOUR_TOKENS:
                from bot.engine.mywork import open_detour

                open_detour(self, turn, token, value)
                return
            if state.frame is None or token != frame_token(state.frame):
                turn.say(turn.msg("reprompt.stale_button"))
                self._resume(turn, full=False)
                return
        frame = state.frame
        if frame is None:
            self._idle_text(turn, value if not via_button else "")
            return
        result = accept(turn, frame, self._step_of(turn, frame), value, via_button)
        if result == STAY:
            return
        if result == DECLINE:
            state.status, state.frames = "declined", []
            turn.say(turn.msg("consent.declined"))
            return
        self._advance(turn, goto=None if result == DONE else result)

    def _idle_text(self, turn: Turn, text: str, asked: bool = False) -> None:
        """Free text with no question open: it goes to the therapist (always, when sent with /ask)."""
        text = text.strip()
        if not text or (not asked and turn.state.status not in ("active", "completed")):
            turn.say(turn.msg("help"))
            return
        turn.effects.relays.append(RelayRecord(source="free", text=text))
        turn.say(turn.msg("relay.idle_forwarded"))

    def _reprompt(self, turn: Turn, exc: InputRejected) -> None:
        frame = turn.state.frame
        reason = turn.msg(exc.reason_key, **exc.params)
        if frame is None:
            turn.say(reason)
            return
        current = prompt(turn, frame, self._step_of(turn, frame), full=False)
        turn.send(Outbound(text=reason, buttons=current.buttons))

    def _step_of(self, turn: Turn, frame: Frame) -> Step:
        if frame.module == ASK:
            return QuestionStep(id="ask", kind="question", text=turn.msg("question.ask_prompt"))
        if frame.daily:
            return self.programme.daily(frame.module, frame.daily).step
        return self.programme.step(frame.module, frame.step)

    # -- moving through a module ----------------------------------------------------------------
    def _advance(self, turn: Turn, goto: str | None = None) -> None:
        state = turn.state
        frame = state.frames[-1]
        if frame.module == ASK or frame.daily or frame.detour == "step":
            state.frames.pop()
            if frame.daily and frame.day:
                state.daily_done[f"{frame.module}.{frame.daily}"] = frame.day
                turn.say(turn.msg("daily.done"))
            self._back_to_work(turn)
            return
        module = self.programme.modules[frame.module]
        index = (
            self.programme.step_index(module.id, goto) if goto else self.programme.step_index(module.id, frame.step) + 1
        )
        if index >= len(module.steps):
            state.frames.pop()
            if frame.detour == "module":
                turn.say(turn.msg("review.finished", title=turn.t(module.title)))
                self._back_to_work(turn)
            else:
                self._finish_module(turn, module)
            return
        frame.step, frame.part, frame.stage, frame.entry, frame.draft = (
            module.steps[index].id,
            0,
            "main",
            None,
            {},
        )
        self._enter(turn, frame)

    def _back_to_work(self, turn: Turn) -> None:
        """After a detour (diary, question, revisited form), return to the step underneath."""
        if turn.state.frames:
            turn.say(turn.msg("daily.back_to_step"))
            self._resume(turn, full=False)
        else:
            self._check_unlocks(turn, tell_wait=False)

    def _enter(self, turn: Turn, frame: Frame) -> None:
        step = self._step_of(turn, frame)
        if isinstance(step, QuestionnaireStep):
            instrument = self.programme.instruments[step.instrument]
            if any(not turn.t(item.text) for item in instrument.items):
                # Licensed wording not supplied by this site: skip rather than show empty items.
                turn.audit("questionnaire_skipped", instrument=instrument.id, reason="wording not supplied")
                self._advance(turn)
                return
        present(turn, frame, step)

    def _start_module(self, turn: Turn, module: Module, catch_up: bool = False) -> None:
        state = turn.state
        if module.week is not None:
            key = "module.catch_up" if catch_up else "module.opened"
            turn.say(turn.msg(key, title=turn.t(module.title)))
        state.frames.append(Frame(module=module.id, step=module.steps[0].id))
        if module.id not in state.announced:
            state.announced.append(module.id)
        turn.audit("module_started", module=module.id)
        self._enter(turn, state.frames[-1])

    def _finish_module(self, turn: Turn, module: Module) -> None:
        state = turn.state
        if module.id not in state.finished:
            state.finished.append(module.id)
        turn.audit("module_finished", module=module.id)
        if module.id in self.programme.onboarding:
            remaining = [m for m in self.programme.onboarding if m not in state.finished]
            if remaining:
                self._start_module(turn, self.programme.modules[remaining[0]])
                return
            state.status = "active"
            state.start_date = calendar.local_date(turn.now, state.timezone)
            turn.audit("programme_started", start_date=state.start_date.isoformat())
            turn.say(turn.msg("programme.started"))
            self._check_unlocks(turn, tell_wait=True)
            return
        turn.say(turn.msg("module.finished", title=turn.t(module.title)))
        self._check_unlocks(turn, tell_wait=True)

    def _check_unlocks(self, turn: Turn, tell_wait: bool) -> None:
        """Open the next module if its day has come; say when it will otherwise."""
        state = turn.state
        if state.status != "active" or state.frames or state.start_date is None:
            return
        module = self._next_unfinished(state)
        if module is None:
            if self._dailies_remaining(state, turn.now):
                return  # the last weeks' diaries are still running
            state.status = "completed"
            turn.audit("programme_completed")
            turn.say(turn.msg("programme.completed"))
            return
        opens = self._opens_at(state, module)
        if opens <= turn.now:
            self._start_module(
                turn,
                module,
                catch_up=turn.now - opens >= timedelta(days=7) or module.id in state.announced,
            )
        elif tell_wait:
            turn.say(turn.msg("module.next_unlock", title=turn.t(module.title), when=self._when(turn, opens)))

    def _announce_opened(self, turn: Turn) -> None:
        """A newer module opened while the participant is still busy: say so, once."""
        module = self._next_unfinished(turn.state, skip_announced=True)
        if module is not None and self._opens_at(turn.state, module) <= turn.now:
            turn.state.announced.append(module.id)
            turn.send(Outbound(turn.msg("module.opened_later", title=turn.t(module.title)),
                               dedup_key=f"opened:{turn.state.code}:{module.id}"))  # fmt: skip

    def _next_unfinished(self, state: ParticipantState, skip_announced: bool = False) -> Module | None:
        busy = {f.module for f in state.frames}
        for module in self.programme.scheduled:
            if module.id in state.finished or module.id in busy:
                continue
            if skip_announced and module.id in state.announced:
                continue
            return module
        return None

    def _opens_at(self, state: ParticipantState, module: Module) -> datetime:
        assert state.start_date is not None
        return calendar.module_opens_at(state.start_date, module, self.programme.spec.release_hour, state.timezone)

    def _daily_prompts(self, state: ParticipantState) -> list[tuple[Module, DailyPrompt]]:
        """The daily prompts this participant has reached: module started, ``after`` step done."""
        active = []
        for module in self.programme.scheduled:
            if module.id not in state.announced:
                continue
            for prompt_ in module.daily:
                if prompt_.after is None or self._passed(state, module, prompt_.after):
                    active.append((module, prompt_))
        return active

    def _dailies_remaining(self, state: ParticipantState, now: datetime) -> bool:
        assert state.start_date is not None
        today = calendar.local_date(now, state.timezone)
        return any(
            calendar.daily_window(state.start_date, module, prompt_)[1] >= today
            for module, prompt_ in self._daily_prompts(state)
        )

    def _passed(self, state: ParticipantState, module: Module, step_id: str) -> bool:
        if module.id in state.finished:
            return True
        frame = next((f for f in state.frames if f.module == module.id and not f.daily), None)
        index = self.programme.step_index(module.id, step_id)
        return frame is not None and self.programme.step_index(module.id, frame.step) > index

    def _when(self, turn: Turn, moment: datetime) -> str:
        local = calendar.local_now(moment, turn.state.timezone)
        return f"{local:%A %-d %B}, {local:%H:%M}"

    # -- daily prompts ----------------------------------------------------------------------------
    def _offer_dailies(self, turn: Turn) -> None:
        state = turn.state
        assert state.start_date is not None
        local = calendar.local_now(turn.now, state.timezone)
        today = local.date().isoformat()
        for module, prompt_ in self._daily_prompts(state):
            key = daily_key(module, prompt_)
            first, last = calendar.daily_window(state.start_date, module, prompt_)
            if not first <= local.date() <= last or local.time() < calendar.parse_hhmm(prompt_.at):
                continue
            if today in (state.daily_offered.get(key), state.daily_done.get(key)):
                continue
            state.daily_offered[key] = today
            data = f"{DAILY_TOKEN}|{_short(key)}|{local.date():%Y%m%d}"
            turn.send(Outbound(
                text=turn.msg("daily.offer", title=turn.t(prompt_.title)),
                buttons=((Button(turn.msg("buttons.start_diary"), data),),),
                dedup_key=f"daily:{state.code}:{key}:{today}",
            ))  # fmt: skip

    def _open_daily(self, turn: Turn, value: str) -> None:
        state = turn.state
        short, _, ymd = value.partition("|")
        for module, prompt_ in self._daily_prompts(state):
            key = daily_key(module, prompt_)
            if _short(key) != short:
                continue
            day = f"{ymd[:4]}-{ymd[4:6]}-{ymd[6:8]}"
            if state.daily_done.get(key) == day:
                turn.say(turn.msg("daily.already_done"))
                return
            top = state.frame
            if top is not None and top.daily == prompt_.id and top.module == module.id and top.day == day:
                self._resume(turn, full=True)
                return
            frame = Frame(
                module=module.id,
                step=prompt_.step.id,
                daily=prompt_.id,
                day=day,
                entry=f"{prompt_.id}:{day}",
            )
            state.frames.append(frame)
            present(turn, frame, prompt_.step)
            return
        turn.say(turn.msg("reprompt.stale_button"))
        self._resume(turn, full=False)

    # -- commands ------------------------------------------------------------------------------------
    def _command(self, turn: Turn, inbound: Inbound) -> None:
        from bot.engine.commands import run_command

        run_command(self, turn, inbound)

    def _start(self, turn: Turn) -> None:
        state = turn.state
        state.status = "onboarding"
        turn.audit("first_contact")
        self._start_module(turn, self.programme.modules[self.programme.onboarding[0]])

    def _resume(self, turn: Turn, full: bool = True) -> None:
        """Show again what the participant is in the middle of, or what comes next."""
        frame = turn.state.frame
        if frame is not None:
            present(turn, frame, self._step_of(turn, frame), full=full)
        elif turn.state.status == "active":
            self._check_unlocks(turn, tell_wait=True)
