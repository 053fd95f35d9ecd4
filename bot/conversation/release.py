"""``/release`` in a participant's topic: staff lift the pause an urgent risk hit made.

The staff record and the participant's next step commit in the staff update's one transaction: the
participant is told the team lifted the pause and gets the interrupted step again, the topic is told
who did it. Registered into the relay's commands at the composition root (the relay knows no engine).
"""

from __future__ import annotations

from bot.conversation.decisions import Decisions
from bot.relay.commands import CommandContext, StaffCommand


def release_command(decisions: Decisions) -> StaffCommand:
    async def release(ctx: CommandContext) -> None:
        participant = ctx.participant
        if participant is None:
            await ctx.say(ctx.content.text("no_topic", usage="/release"))
            return
        if not (participant.position or {}).get("held"):
            await ctx.say(ctx.content.text("not_paused", code=participant.code))
            return
        by = f"therapist:{ctx.therapist}"
        await decisions.decide_in(
            ctx.store.session, participant.id, lambda state, now: decisions.engine.released(state, by, now)
        )
        ctx.store.audit(participant.id, by, "safety_pause_released", ctx.now)
        therapist = ctx.config.name_of(ctx.therapist)
        await ctx.say(ctx.content.text("released", code=participant.code, therapist=therapist))

    return StaffCommand("release", release, "/release (in the participant's topic)")
