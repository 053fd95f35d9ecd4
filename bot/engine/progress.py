"""Moving through the programme: entering a step, advancing, opening and finishing modules.

This is the spine every other concern returns to: after a command, a diary or a detour the participant
is shown where they are (``resume``) or what comes next (``check_unlocks``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.content.schema import ConsentStep, Module, QuestionnaireStep
from bot.engine import calendar, diary_rules, reminders, schedule, trial_calendar, weekly
from bot.engine.model import Frame, Outbound, TrialRequest
from bot.engine.steps import DECLINE, DONE, LEAVE, STAY, has_wording, present, prompt
from bot.engine.turn import ASK, Turn
from bot.engine.unlock_chart import unlock_picture
from bot.errors import InputRejected


def when(turn: Turn, moment: datetime) -> str:
    local = calendar.local_now(moment, turn.state.timezone)
    return f"{local:%A %-d %B}, {local:%H:%M}"


def enter(turn: Turn, frame: Frame) -> None:
    """Show the step a frame has just arrived at (skipping a questionnaire whose wording is missing)."""
    step = turn.step_of(frame)
    if isinstance(step, ConsentStep) and frame.detour is None and turn.rules.trial.wanted(turn):
        # Trial: the information pages are read, then the application; the decision comes only after
        # the therapist's include (onboarding.interviewed starts this module again: read, then decide).
        turn.state.frames.pop()
        turn.rules.trial.begin(turn)
        return
    if isinstance(step, QuestionnaireStep):
        instrument = turn.programme.instruments[step.instrument]
        if frame.detour == "module":
            # A measurement belongs to its week: reading the module again never gives it a second time.
            closed = turn.msg("review.questionnaire_closed")
            if not turn.effects.outbound or turn.effects.outbound[-1].text != closed:
                turn.say(closed)  # once for a run of questionnaires
            turn.audit("administration_closed", module=frame.module, step=step.id)
            advance(turn)
            return
        if not has_wording(turn, step):
            # Licensed wording not supplied by this site: skip rather than show empty items.
            turn.audit("questionnaire_skipped", instrument=instrument.id, reason="wording not supplied")
            advance(turn)
            return
    present(turn, frame, step)


def advance(turn: Turn, goto: str | None = None) -> None:
    """The step on top of the stack is over: go to the next one (or ``goto``), or close the frame."""
    state = turn.state
    frame = state.frames[-1]
    if frame.module == ASK or frame.daily or frame.detour in ("step", "report"):
        state.frames.pop()
        if frame.detour == "report":
            weekly.complete(turn, frame)
        if frame.daily and frame.day:
            if frame.draft.get("done") is False:
                turn.say(turn.msg("daily.not_now"))  # the offer's button still works later today
            else:
                state.daily_done[f"{frame.module}.{frame.daily}"] = frame.day
                diary_rules.mark_done(state, f"{frame.module}.{frame.daily}", frame.day)
                turn.say(daily_done_text(turn, frame))
        back_to_work(turn)
        return
    programme = turn.programme
    module = programme.modules[frame.module]
    index = programme.step_index(module.id, goto) if goto else programme.step_index(module.id, frame.step) + 1
    while index < len(module.steps) and weekly.is_report_step(module, module.steps[index].id):
        index += 1  # the weekly report is asked near the end of the week, not while reading
    if index >= len(module.steps):
        state.frames.pop()
        if frame.detour == "module":
            turn.say(turn.msg("review.finished", title=turn.t(module.title)))
            back_to_work(turn)
        else:
            finish_module(turn, module)
        return
    frame.step, frame.part, frame.stage, frame.entry, frame.draft = module.steps[index].id, 0, "main", None, {}
    enter(turn, frame)


def daily_done_text(turn: Turn, frame: Frame) -> str:
    """ "See you tomorrow" only while the diary has a tomorrow; its last day says it was the last."""
    module = turn.programme.modules[frame.module]
    prompt_ = next((p for p in module.daily if p.id == frame.daily), None)
    start = reminders.programme_start(turn.state)
    if prompt_ is None or start is None or frame.day is None:
        return turn.msg("daily.done")
    if date.fromisoformat(frame.day) < calendar.daily_window(start, module, prompt_)[1]:
        return turn.msg("daily.done")
    return turn.msg("daily.done_last", title=turn.t(prompt_.title))


def settle(turn: Turn, result: str) -> None:
    """Act on what a step said after an answer: stay, go on (or jump), or stop at a declined consent."""
    if result == STAY:
        return
    if result == DECLINE:
        turn.state.status, turn.state.frames = "declined", []
        turn.say(turn.msg("consent.declined"))
        return
    if result == LEAVE:  # stop reading a finished module again
        turn.state.frames.pop()
        back_to_work(turn)
        return
    advance(turn, goto=None if result == DONE else result)


def back_to_work(turn: Turn) -> None:
    """After a detour (diary, question, revisited form), return to the step underneath."""
    if turn.state.frames:
        turn.say(turn.msg("daily.back_to_step"))
        resume(turn, full=False)
    else:
        check_unlocks(turn, tell_wait=False)


def start_module(turn: Turn, module: Module, catch_up: bool = False) -> None:
    state = turn.state
    if module.week is not None:
        key = "module.catch_up" if catch_up else "module.opened"
        turn.send(Outbound(turn.msg(key, title=turn.t(module.title)), chart=unlock_picture(turn, module)))
    state.frames.append(Frame(module=module.id, step=module.steps[0].id))
    if module.id not in state.announced:
        state.announced.append(module.id)
    turn.audit("module_started", module=module.id)
    enter(turn, state.frames[-1])


def finish_module(turn: Turn, module: Module) -> None:
    state, programme = turn.state, turn.programme
    if module.id not in state.finished:
        state.finished.append(module.id)
    turn.audit("module_finished", module=module.id)
    if module.id in programme.onboarding:
        remaining = [m for m in programme.onboarding if m not in state.finished]
        if remaining:
            start_module(turn, programme.modules[remaining[0]])
            return
        trial = turn.policy.trial and state.trial_stage == "consent"
        state.status = "active"
        state.start_date = calendar.local_date(turn.now, state.timezone)
        turn.audit("programme_started", start_date=state.start_date.isoformat())
        if trial:
            # The seed's order: the baseline questionnaires and diary come first, the draw after them.
            state.trial_stage = "baseline"
            turn.say(turn.msg("trial.baseline_first"))
        else:
            turn.say(turn.msg("programme.started"))
        check_unlocks(turn, tell_wait=True)
        return
    turn.say(finished_text(turn, module))
    weekly.on_module_finished(turn, module)
    if trial_calendar.draw_due(turn.programme, state, turn.now):
        request_draw(turn)
        return
    check_unlocks(turn, tell_wait=True)


def request_draw(turn: Turn) -> None:
    """Baseline done (or its window closed): the trial service draws and tells the arm (bot/trial/chat.py)."""
    turn.state.trial_stage = "allocating"
    turn.audit("draw_requested")
    turn.effects.trial.append(TrialRequest("allocate"))


def finished_text(turn: Turn, module: Module) -> str:
    """Finishing a module's steps while its daily diary still runs is not finishing the module's weeks."""
    state = turn.state
    start = reminders.programme_start(state)  # moved on by any paused days, like the diary itself
    assert start is not None
    today = calendar.local_date(turn.now, state.timezone)
    running = [
        (calendar.daily_window(start, module, p)[1], p)
        for p in module.daily
        if p.after is None and calendar.daily_window(start, module, p)[1] > today
    ]
    if not running:
        return turn.msg("module.finished", title=turn.t(module.title))
    until, prompt_ = max(running, key=lambda pair: pair[0])
    return turn.msg("module.finished_daily_goes_on", title=turn.t(module.title), daily=turn.t(prompt_.title),
                    until=f"{until:%A %-d %B}")  # fmt: skip


def check_unlocks(turn: Turn, tell_wait: bool) -> None:
    """Open the next module if its day has come; say when it will otherwise."""
    state, programme = turn.state, turn.programme
    if state.status != "active" or state.frames or state.start_date is None:
        return
    module = schedule.next_unfinished(programme, state)
    if module is None:
        if trial_calendar.before_draw(programme, state):
            if tell_wait:
                turn.say(turn.msg("trial.draw_waits"))
            return  # baseline done: the draw comes at the start of the draw week
        if schedule.dailies_remaining(programme, state, turn.now):
            return  # the last weeks' diaries are still running
        if trial_calendar.crossover_pending(programme, state):
            return  # the waiting list's programme offer is still to come
        state.status = "completed"
        turn.audit("programme_completed")
        turn.say(turn.msg("programme.completed"))
        return
    opens = schedule.opens_at(programme, state, module)
    if opens <= turn.now:
        late = turn.now - opens >= timedelta(days=7) or module.id in state.announced
        start_module(turn, module, catch_up=late)
    elif tell_wait:
        turn.say(turn.msg("module.next_unlock", title=turn.t(module.title), when=when(turn, opens)))


def announce_opened(turn: Turn) -> None:
    """A newer module opened while the participant is still busy: say so, once."""
    state = turn.state
    module = schedule.next_unfinished(turn.programme, state, skip_announced=True)
    if module is not None and schedule.opens_at(turn.programme, state, module) <= turn.now:
        state.announced.append(module.id)
        turn.send(Outbound(turn.msg("module.opened_later", title=turn.t(module.title)),
                           dedup_key=f"opened:{state.code}:{module.id}"))  # fmt: skip


def resume(turn: Turn, full: bool = True) -> None:
    """Show again what the participant is in the middle of, or what comes next."""
    frame = turn.state.frame
    if frame is not None:
        present(turn, frame, turn.step_of(frame), full=full)
    elif turn.state.status == "active":
        check_unlocks(turn, tell_wait=True)


def reprompt(turn: Turn, exc: InputRejected) -> None:
    """A rejected answer: say why, with the current step's buttons again; nothing was stored."""
    frame = turn.state.frame
    reason = turn.msg(exc.reason_key, **exc.params)
    if frame is None:
        turn.say(reason)
        return
    current = prompt(turn, frame, turn.step_of(frame), full=False)
    turn.send(Outbound(text=reason, buttons=current.buttons))
