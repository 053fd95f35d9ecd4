"""A therapist's words on their way to a participant: signed, copied (never forwarded), and the
participant's open items closed with the time they waited logged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.relay import timing
from bot.relay.content import RelayContent
from bot.relay.model import RelayConfig
from bot.relay.store import RelayStore
from bot.storage.models import Participant


def signed(config: RelayConfig, therapist_id: int, text: str) -> str:
    """The reply as the participant sees it: the therapist's words and the site's signature only."""
    name = config.therapist_names.get(therapist_id, "").strip()
    signature = config.signature.format(name=name).replace("  ", " ").strip()
    return f"{text.strip()}\n\n{signature}".strip() if signature else text.strip()


async def deliver(
    store: RelayStore,
    now: datetime,
    participant: Participant,
    therapist_id: int,
    text: str,
    copy_from: dict[str, Any] | None = None,
    message_id: int | None = None,
    content: RelayContent | None = None,
) -> int:
    """Queue the reply for the participant and close what they were waiting for; returns items closed.

    ``message_id`` is the staff message the words came from: an edit of it later becomes a correction.
    Feedback on a waiting week stops the therapist's clock (``bot.relay.timing``); with ``content`` the
    minutes are told in the topic."""
    config = store.config
    minutes = await timing.replied(store, participant, therapist_id, now)
    if copy_from is not None:
        copy_from = {**copy_from, "caption": signed(config, therapist_id, text)}
        await store.post_participant(now, participant, "", copy_from=copy_from)
    else:
        await store.post_participant(now, participant, signed(config, therapist_id, text))
    store.log("sent", now, participant, therapist_id, text=text, message_id=message_id)
    closed = 0
    for item in await store.open_items(participant.id):
        item.status, item.answered_at, item.answered_by = "closed", now, therapist_id
        waited = int((now - item.created_at).total_seconds() // 60)
        store.log("response", now, participant, therapist_id, minutes=waited, item_id=item.id)
        closed += 1
    store.audit(participant.id, f"therapist:{therapist_id}", "relay_reply", now, closed=closed,
                attachment=copy_from is not None)  # fmt: skip
    if minutes is not None and content is not None:
        note = content.text("time_measured", minutes=minutes, code=participant.code)
        await store.post_staff(now, note, participant, topic_name=await store.topic_name(participant.id))
    return closed
