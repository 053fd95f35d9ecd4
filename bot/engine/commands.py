"""Slash commands: /start, /help, /menu, /pause, /resume, /ask, /skip.

They work from any step and never lose the participant's place: after a command the participant is
shown the step they were on, or told what comes next.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.engine.model import Frame, Inbound
from bot.engine.turn import Turn

if TYPE_CHECKING:
    from bot.engine.flow import Engine


def run_command(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    name = inbound.text.lower().lstrip("/").split("@", 1)[0]
    handler = COMMANDS.get(name)
    if handler is None:
        turn.say(turn.msg("command.unknown", command=name))
        return
    handler(engine, turn, inbound)


def _start(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    state = turn.state
    if state.status == "new":
        engine._start(turn)
    elif state.status == "declined":
        state.status = "onboarding"
        turn.say(turn.msg("start.declined_again"))
        consent_module = next(
            mid for mid in engine.programme.onboarding
            if any(s.kind == "consent" for s in engine.programme.modules[mid].steps)
        )  # fmt: skip
        state.finished = [m for m in state.finished if m != consent_module]
        engine._start_module(turn, engine.programme.modules[consent_module])
    elif state.status in ("completed", "withdrawn"):
        turn.say(turn.msg("menu.completed"))
    else:
        turn.say(turn.msg("start.welcome_back"))
        engine._resume(turn)


def _help(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    turn.say(turn.msg("help"))
    engine._resume(turn, full=False)  # and the buttons of the current step again


def _menu(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    state, programme = turn.state, engine.programme
    if state.status in ("new", "onboarding", "declined"):
        turn.say(turn.msg("menu.onboarding"))
        engine._resume(turn, full=False)
        return
    if state.status in ("completed", "withdrawn"):
        turn.say(turn.msg("menu.completed"))
        return
    lines: list[str] = []
    frame = next((f for f in reversed(state.frames) if f.module in programme.modules and not f.daily), None)
    if frame is not None:
        module = programme.modules[frame.module]
        step = programme.step(frame.module, frame.step)
        number = programme.step_index(frame.module, frame.step) + 1
        lines.append(turn.msg("menu.current", module=turn.t(module.title), step=turn.t(step.title) or step.id,
                              n=number, total=len(module.steps)))  # fmt: skip
    else:
        lines.append(turn.msg("menu.waiting"))
    upcoming = engine._next_unfinished(state)
    if upcoming is not None:
        lines.append(turn.msg("menu.next_unlock", title=turn.t(upcoming.title),
                              when=engine._when(turn, engine._opens_at(state, upcoming))))  # fmt: skip
    done = [turn.t(programme.modules[m].title) for m in state.finished if programme.modules[m].week is not None]
    lines.append(turn.msg("menu.done_modules", modules=", ".join(done)) if done else turn.msg("menu.none_done"))
    if state.paused:
        lines.append(turn.msg("pause.reminder_note"))
    turn.say("\n\n".join(lines))
    engine._resume(turn, full=False)


def _pause(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    if turn.state.paused:
        turn.say(turn.msg("pause.already"))
        return
    turn.state.paused = True
    turn.audit("paused")
    turn.say(turn.msg("pause.paused"))


def _resume(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    if not turn.state.paused:
        turn.say(turn.msg("pause.not_paused"))
        engine._resume(turn, full=False)
        return
    turn.state.paused = False
    turn.audit("resumed")
    turn.say(turn.msg("pause.resumed"))
    engine._resume(turn)


def _ask(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    from bot.engine.flow import ASK

    state = turn.state
    if inbound.args.strip():
        engine._idle_text(turn, inbound.args, asked=True)
        if state.frame is not None:
            engine._resume(turn, full=False)
        return
    if state.status == "new":
        engine._start(turn)
        return
    if state.frame is None or state.frame.module != ASK:
        state.frames.append(Frame(module=ASK, step="ask"))
    engine._resume(turn)


def _skip(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    engine._answer(turn, Inbound(kind="text", text="/skip"))


def _mywork(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    from bot.engine.mywork import show_menu

    show_menu(engine, turn)


def _modules(engine: Engine, turn: Turn, inbound: Inbound) -> None:
    from bot.engine.mywork import show_modules

    show_modules(engine, turn)


COMMANDS = {
    "start": _start,
    "help": _help,
    "menu": _menu,
    "pause": _pause,
    "resume": _resume,
    "ask": _ask,
    "skip": _skip,
    "mywork": _mywork,
    "modules": _modules,
}
