"""Slash commands: /start, /help, /menu, /pause, /resume, /ask, /skip, /mywork, /modules.

They work from any step and never lose the participant's place: after a command the participant is
shown the step they were on, or told what comes next.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.engine import (
    detours,
    onboarding,
    preferences,
    reminders,
    risk,
    schedule,
    this_week,
)
from bot.engine.model import Inbound
from bot.engine.progress import check_unlocks, resume, settle, when
from bot.engine.progress_chart import show_progress
from bot.engine.questions import help_text, in_trial, open_ask, open_tech_help, relay_free_text
from bot.engine.steps import place_in_module, skip
from bot.engine.turn import Turn

Command = Callable[[Turn, Inbound], None]


def run_command(turn: Turn, inbound: Inbound) -> None:
    name = inbound.text.lower().lstrip("/").split("@", 1)[0]
    handler = COMMANDS.get(name)
    if name == "withdraw" and in_trial(turn):
        handler = turn.rules.trial.withdraw  # trial only: outside a trial there is nothing to withdraw from
    if handler is None:
        turn.say(turn.msg("command.unknown", command=name))
        if turn.state.status == "new":
            onboarding.begin(turn)
        else:
            resume(turn, full=False)  # and what they were asked, again
        return
    handler(turn, inbound)


def _start(turn: Turn, inbound: Inbound) -> None:
    status = turn.state.status
    if status == "new":
        onboarding.begin(turn)
    elif status == "declined":
        onboarding.offer_consent_again(turn)
    elif status == "withdrawn":
        turn.say(turn.msg("trial.withdrawn_here"))
    elif status == "completed":
        turn.say(turn.msg("menu.completed"))
    elif turn.rules.trial.tell_where(turn, welcome_back=True):
        return
    else:
        turn.say(turn.msg("start.welcome_back"))
        resume(turn)


def _help(turn: Turn, inbound: Inbound) -> None:
    turn.say(help_text(turn))
    if turn.state.status == "new":
        onboarding.begin(turn)  # a newcomer who opens with /help still gets something to tap
    else:
        resume(turn, full=False)  # and the buttons of the current step again


def _medical(turn: Turn, inbound: Inbound) -> None:
    """When to get medical help, from any step; then the step again (a newcomer gets the start)."""
    turn.say(turn.msg("content.medical_help"))
    if turn.state.status == "new":
        onboarding.begin(turn)
    else:
        resume(turn, full=False)


def _menu(turn: Turn, inbound: Inbound) -> None:
    state = turn.state
    if state.status == "new":
        onboarding.begin(turn)
        return
    if state.status == "onboarding" and turn.rules.trial.tell_where(turn, welcome_back=False):
        return
    if state.status in ("onboarding", "declined"):
        turn.say(turn.msg("menu.onboarding"))
        resume(turn, full=False)
        return
    if state.status in ("completed", "withdrawn"):
        turn.say(turn.msg("menu.completed" if state.status == "completed" else "trial.withdrawn_here"))
        return
    lines = [*_where_now(turn), *this_week.lines(turn), *_what_next(turn), turn.msg("menu.safety")]
    turn.say("\n\n".join(lines))
    if state.frame is not None:
        resume(turn, full=False)
    else:
        check_unlocks(turn, tell_wait=False)  # the menu has just said when the next module opens


def _where_now(turn: Turn) -> list[str]:
    """The participant's real place (not a module they are only reading again) and what is left."""
    state, programme = turn.state, turn.programme
    lines: list[str] = []
    top = state.frame
    if top is not None and top.detour == "module":
        lines.append(turn.msg("menu.reviewing", module=turn.t(programme.modules[top.module].title)))
    frame = next((f for f in reversed(state.frames) if f.module in programme.modules and not f.daily
                  and f.detour is None), None)  # fmt: skip
    if frame is not None:
        module = programme.modules[frame.module]
        step = programme.step(frame.module, frame.step)
        number, total = place_in_module(turn, module, frame.step)
        key = "menu.current" if number < total else "menu.current_last"
        lines.append(turn.msg(key, module=turn.t(module.title), step=turn.t(step.title) or step.id,
                              n=number, total=total, left=total - number + 1))  # fmt: skip
    else:
        lines.append(turn.msg("menu.waiting"))
    return lines


def _what_next(turn: Turn) -> list[str]:
    state, programme = turn.state, turn.programme
    lines: list[str] = []
    upcoming = schedule.next_unfinished(programme, state)
    if upcoming is not None:
        opens = schedule.opens_at(programme, state, upcoming)
        if opens <= turn.now:
            lines.append(turn.msg("menu.open_now", title=turn.t(upcoming.title)))
        else:
            lines.append(turn.msg("menu.next_unlock", title=turn.t(upcoming.title), when=when(turn, opens)))
    done = [turn.t(programme.modules[m].title) for m in state.finished if programme.modules[m].week is not None]
    lines.append(turn.msg("menu.done_modules", modules=", ".join(done)) if done else turn.msg("menu.none_done"))
    if state.paused:
        lines.append(turn.msg("pause.reminder_note"))
    return lines


def _pause(turn: Turn, inbound: Inbound) -> None:
    if turn.state.paused:
        turn.say(turn.msg("pause.already"))
        return
    turn.state.paused = True
    reminders.hold(turn.state, turn.now)
    turn.audit("paused")
    turn.say(turn.msg("pause.paused"))


def _resume(turn: Turn, inbound: Inbound) -> None:
    if risk.release(turn) and not turn.state.paused:  # carrying on after the pause a risk hit made
        resume(turn)
        return
    if not turn.state.paused:
        turn.say(turn.msg("pause.not_paused"))
        resume(turn, full=False)
        return
    turn.state.paused = False
    turn.audit("resumed", calendar_moved_days=reminders.release(turn.state, turn.now))
    turn.say(turn.msg("pause.resumed"))
    resume(turn)


def _ask(turn: Turn, inbound: Inbound) -> None:
    if turn.state.status == "new":
        if inbound.args.strip():  # a newcomer's first words still reach a person
            relay_free_text(turn, inbound.args, asked=True, attachment=turn.attachment)
        onboarding.begin(turn)
        return
    open_ask(turn, inbound.args)


def _techhelp(turn: Turn, inbound: Inbound) -> None:
    """Something in the bot isn't working: the words go to staff as a technical-help task."""
    if turn.state.status == "new":
        onboarding.begin(turn)
        return
    open_tech_help(turn, inbound.args)


def _skip(turn: Turn, inbound: Inbound) -> None:
    frame = turn.state.frame
    if frame is None:
        turn.say(turn.msg("skip.nothing"))
        resume(turn, full=False)
        return
    settle(turn, skip(turn, frame, turn.step_of(frame)))


def _mywork(turn: Turn, inbound: Inbound) -> None:
    detours.show_menu(turn)


def _modules(turn: Turn, inbound: Inbound) -> None:
    detours.show_modules(turn)


COMMANDS: dict[str, Command] = {
    "start": _start,
    "help": _help,
    "medical": _medical,
    "menu": _menu,
    "pause": _pause,
    "resume": _resume,
    "ask": _ask,
    "techhelp": _techhelp,
    "skip": _skip,
    "mywork": _mywork,
    "modules": _modules,
    "settings": preferences.open_settings,
    "consent": lambda turn, inbound: turn.rules.trial.show_consent(turn, inbound),
    "mydata": lambda turn, inbound: turn.rules.trial.request_mydata(turn, inbound),
    "progress": show_progress,
}
