"""``/interviewed P-0007 include|exclude <reason>`` in the staff group, through the relay's registry.

The relay runs a staff command inside the update's one transaction; the handler records the outcome
(``TrialService.record_interview``) and moves the participant on (the engine's ``interviewed``: an
include opens the consent, an exclude sends the content's kind words) in that same transaction, so
the staff record and what the participant sees commit together or not at all. An exclude cannot be
undone, so it is asked back first (``bot.relay.confirm``) and runs when its button is pressed. The relay wakes the
sender once the update is committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine import Engine
from bot.engine.model import Effects, ParticipantState
from bot.errors import InterviewClosed, TrialStateError
from bot.relay import confirm
from bot.relay.commands import CommandContext, StaffCommand
from bot.trial.commands import USAGE, CommandRejected, Interviewed, parse_interviewed
from bot.trial.service import TrialService

# Decisions.decide_in (bot/conversation/decisions.py): one engine decision for a participant in the
# caller's session, handed in by the composition root
DecideIn = Callable[[AsyncSession, int, Callable[[ParticipantState, datetime], Effects]], Awaitable[None]]


def interviewed_command(trial: TrialService, engine: Engine, decide_in: DecideIn) -> StaffCommand:
    """The registry entry."""

    async def handler(ctx: CommandContext) -> None:
        args = ctx.args.strip()
        if ctx.participant is not None and args.split(" ", 1)[0].lower() in ("include", "exclude"):
            args = f"{ctx.participant.code} {args}"  # in the participant's topic the code may be left out
        try:
            command = parse_interviewed(args)
            if command.outcome == "exclude" and not ctx.confirmed:  # it cannot be undone: ask back first
                await _ask_to_exclude(ctx, trial, command)
                return
            await trial.record_interview(ctx.store.session, command.code, command.outcome, command.reason,
                                                 by=f"therapist:{ctx.therapist}")  # fmt: skip
        except InterviewClosed as exc:
            lang = trial.programme.spec.default_language
            await ctx.say(trial.programme.msg(lang, "trial.staff_interview_closed", code=exc.code))
            return
        except (CommandRejected, TrialStateError) as exc:
            await ctx.say(str(exc) if str(exc) else USAGE)
            return
        participant = await ctx.store.participant_by_code(command.code)
        assert participant is not None  # record_interview has just found it
        await ctx.store.close_items(participant.id, "interview", ctx.now, ctx.therapist)
        await decide_in(ctx.store.session, participant.id,
                        lambda state, now: engine.interviewed(state, command.outcome, now))  # fmt: skip
        lang = trial.programme.spec.default_language
        words = trial.programme.msg(lang, f"trial.staff_interviewed_{command.outcome}", code=command.code)
        await ctx.say(words, participant)

    return StaffCommand("interviewed", handler, USAGE)


async def _ask_to_exclude(ctx: CommandContext, trial: TrialService, command: Interviewed) -> None:
    """An exclusion tells the person at once that they cannot take part: a fresh question with a
    one-time button first (``bot.relay.confirm``); the button runs this command again, confirmed.
    After "I agree" nothing is asked: the correction is refused at once (``InterviewClosed``)."""
    participant = await ctx.store.participant_by_code(command.code)
    if participant is None:
        raise TrialStateError(ctx.content.text("unknown_participant", code=command.code))
    await trial.interview_open(ctx.store.session, participant.id, command.code)
    question = ctx.content.text("confirm_exclude", code=command.code, reason=command.reason or "")
    args = f"{command.code} exclude {command.reason or ''}".strip()
    await confirm.ask(ctx, "interviewed", args, question, ctx.content.text("confirm_exclude_yes", code=command.code),
                      participant)  # fmt: skip
