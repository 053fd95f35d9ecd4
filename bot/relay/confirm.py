"""A destructive staff command is asked back before it acts: "Exclude P-0007? …" with two buttons.

The command's handler calls ``ask`` instead of acting; the question's buttons carry a one-time
nonce (``staff:ok:<nonce>`` / ``staff:no:<nonce>``) whose row remembers the command, its arguments,
the participant and the therapist who gave it. ``answer`` runs the command only for that nonce,
only once, only for that therapist, only within ``LIFETIME``: forged, stale, reused or someone
else's button data is refused and nothing is done. A fresh question each time, so an old button
never confirms a new command.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.content.programme import Programme
from bot.relay.commands import CommandContext, StaffCommand
from bot.relay.content import RelayContent
from bot.relay.model import StaffInbound
from bot.relay.store import RelayStore
from bot.storage.models import Participant
from bot.storage.tables_relay import StaffConfirmation

YES, NO = "staff:ok:", "staff:no:"  # button data prefixes; the nonce follows (under Telegram's 64 bytes)
LIFETIME = timedelta(minutes=15)


def is_confirmation(button: str | None) -> bool:
    return (button or "").startswith((YES, NO))


async def ask(
    ctx: CommandContext, command: str, args: str, question: str, yes_label: str, where: Participant | None
) -> None:
    """Store a fresh nonce for ``command args`` and post ``question`` with its Yes / Cancel buttons
    (in ``where``'s topic: the participant the command is about)."""
    nonce = secrets.token_hex(12)
    ctx.store.session.add(StaffConfirmation(
        nonce=nonce, command=command, args=args, therapist_id=ctx.therapist, chat_id=ctx.msg.chat_id,
        participant_id=where.id if where is not None else None, created_at=ctx.now,
    ))  # fmt: skip
    cancel = ctx.content.text("confirm_cancel")
    buttons = [[{"label": yes_label, "data": YES + nonce}, {"label": cancel, "data": NO + nonce}]]
    topic = await ctx.store.topic_name(where.id) if where is not None else None
    await ctx.store.post_staff(ctx.now, question, where, topic_name=topic, buttons=buttons)


async def answer(
    store: RelayStore,
    content: RelayContent,
    programme: Programme | None,
    commands: Mapping[str, StaffCommand],
    now: datetime,
    msg: StaffInbound,
) -> str:
    """A press of a confirmation button: run the stored command once, or refuse; the toast to show."""
    data = msg.button or ""
    yes = data.startswith(YES)
    nonce = data[len(YES if yes else NO) :]
    query = select(StaffConfirmation).where(StaffConfirmation.nonce == nonce)
    row = await store.session.scalar(query.with_for_update() if store.lock_rows else query)
    if row is None or row.used_at is not None or row.therapist_id != msg.user_id or row.chat_id != msg.chat_id \
            or now - row.created_at > LIFETIME or row.command not in commands:  # fmt: skip
        store.audit(None, f"therapist:{msg.user_id}", "confirmation_refused", now, known=row is not None)
        return content.text("confirm_stale")
    row.used_at = now
    participant = await store.participant(row.participant_id) if row.participant_id is not None else None
    if not yes:
        store.audit(row.participant_id, f"therapist:{msg.user_id}", "confirmation_cancelled", now, command=row.command)
        return content.text("confirm_cancelled")
    ctx = CommandContext(store, content, msg, row.args, now, participant, programme, commands, confirmed=True)
    await commands[row.command].handler(ctx)
    store.audit(row.participant_id, f"therapist:{msg.user_id}", "staff_command", now, command=row.command,
                confirmed=True)  # fmt: skip
    return content.text("confirm_done")
