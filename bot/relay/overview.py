"""The pinned queue overview: one message in the staff group's general thread with what ``/queue``
shows (its first page), pinned once and edited in place whenever the queue changes.

The relay only writes outbox rows; the channel does the Bot API work at its edge (the payload's
``overview`` part: ``{"pin": true}`` for a new post, ``{"edit": message_id}`` for an edit, which
falls back to a new pinned post when the old message was deleted). Which message is the overview is
learnt from the latest row once sent (``relay_overview``): an edit keeps the id, a fallback brings
the new one. An unchanged queue (same fingerprint) writes nothing, so ages shown are as of the last
change, which the header says.
"""

from __future__ import annotations

from datetime import datetime

from bot.relay import format as fmt
from bot.relay.content import RelayContent
from bot.relay.queue import queue_text
from bot.relay.store import RelayStore
from bot.storage.models import OutboxMessage
from bot.storage.tables_relay import RelayOverview


async def _learn(store: RelayStore, state: RelayOverview) -> str | None:
    """The latest row's fate: its message id noted when sent; "pending" or "failed" otherwise."""
    if state.outbox_id is None:
        return "failed"
    row = await store.session.get(OutboxMessage, state.outbox_id)
    if row is None or row.status == "failed":
        return "failed"
    if row.status != "sent":
        return "pending"
    if row.channel_message_id and str(row.channel_message_id).isdigit():
        state.message_id = int(row.channel_message_id)
    return None


async def refresh(store: RelayStore, content: RelayContent, now: datetime) -> bool:
    """Post, or edit in place, the overview when the queue changed; True when a row was written."""
    config = store.config
    text, fingerprint = await queue_text(store, content, now)
    state = await store.session.get(RelayOverview, config.staff_chat_id)
    fate = await _learn(store, state) if state is not None else "failed"
    if state is not None and fate == "pending":
        return False  # the last post or edit is still on its way: its outcome tells the message id
    if state is not None and state.fingerprint == fingerprint and fate is None:
        return False
    header = content.text("overview_header", when=fmt.when_text(now, config.timezone))
    part = {"edit": state.message_id} if state is not None and state.message_id is not None else {"pin": True}
    row = await store.post_staff(now, f"{header}\n{text}", None, extra={"overview": part})
    await store.session.flush()
    if state is None:
        state = RelayOverview(chat_id=config.staff_chat_id, fingerprint=fingerprint, updated_at=now)
        store.session.add(state)
    state.outbox_id, state.fingerprint, state.updated_at = row.id, fingerprint, now
    return True
