"""One participant whose relay item cannot be posted never holds up anyone else's.

When posting an item fails (their stored state cannot be read, the item's data is malformed, a
bug), ``isolate_item`` posts the item's own words to the participant's topic as plain text, built from a
handful of plain columns (the item's kind and text, the participant's code) without loading the
participant or the item as objects; marks the item posted and the participant quarantined (sweeps
skip them until an admin runs ``icbt participants unquarantine``), in one transaction, with one
ERROR line. If even that fails, the item is set aside (``stage = failed``) so the relay goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update

from bot.clock import Clock
from bot.relay.content import RelayContent
from bot.storage.audit import audit
from bot.storage.database import Database
from bot.storage.models import Participant, RelayItem
from bot.storage.outbox import outbox_message

log = logging.getLogger(__name__)


async def isolate_item(
    db: Database, clock: Clock, content: RelayContent, staff: tuple[str, str], item_id: int, error: Exception
) -> bool:
    """True when the item reached the staff outbox as text."""
    now = clock.now()
    reason = type(error).__name__
    try:
        async with db.transaction() as session:
            query = select(RelayItem.participant_id, RelayItem.kind, RelayItem.text, RelayItem.stage).where(
                RelayItem.id == item_id
            )
            item = (await session.execute(query)).one_or_none()
            if item is None or item.stage != "new":
                return False
            code = await session.scalar(select(Participant.code).where(Participant.id == item.participant_id))
            code = code or f"P-{item.participant_id:04d}"
            text = content.text("plain", code=code, kind=item.kind, text=item.text or "")
            payload: dict[str, Any] = {"text": text, "buttons": [], "image": None,
                                       "relay": {"participant_id": item.participant_id, "topic_name": code}}  # fmt: skip
            if item.kind == "safety":
                payload["pin"] = True  # an URGENT alert is pinned, as when posted as usual
            session.add(outbox_message(None, staff, payload, now))
            await session.execute(
                update(RelayItem).where(RelayItem.id == item_id).values(stage="posted", posted_at=now)
            )
            await session.execute(
                update(Participant)
                .where(Participant.id == item.participant_id, Participant.quarantined_at.is_(None))
                .values(quarantined_at=now)
            )
            audit(session, at=now, participant_id=item.participant_id, actor="relay", action="quarantined",
                  detail={"error": reason, "item": item_id})  # fmt: skip
        log.error("relay item %d of %s could not be posted (%s); posted as text, %s quarantined", item_id, code,
                  reason, code)  # fmt: skip
        return True
    except Exception as again:
        log.error("relay item %d could not be posted even as text (%s, then %s); set aside", item_id, reason,
                  type(again).__name__)  # fmt: skip
        async with db.transaction() as session:
            await session.execute(update(RelayItem).where(RelayItem.id == item_id).values(stage="failed"))
        return False


async def quarantine_participant(
    db: Database,
    clock: Clock,
    staff: tuple[str, str],
    alert_text: Callable[[str, str], str],
    participant_id: int | None,
    where: str,
    error: Exception,
) -> None:
    """A timed pass failed on one item: quarantine its participant and, the first time, post one staff
    alert into their topic, both from plain columns only (their state is what broke, so the alert is
    written straight to the outbox, already posted, not built by the relay); one ERROR line. Everything
    else in the pass goes on."""
    now, reason = clock.now(), type(error).__name__
    if participant_id is None:
        log.error("relay %s: one item failed (%s); the others go on", where, reason)
        return
    try:
        async with db.transaction() as session:
            code = await session.scalar(select(Participant.code).where(Participant.id == participant_id))
            code = code or f"P-{participant_id:04d}"
            result = await session.execute(
                update(Participant)
                .where(Participant.id == participant_id, Participant.quarantined_at.is_(None))
                .values(quarantined_at=now)
            )
            fresh = bool(result.rowcount)  # type: ignore[attr-defined]
            if fresh:
                text = alert_text(code, reason)
                session.add(RelayItem(participant_id=participant_id, source="system:relay", kind="alert", text=text,
                                      status="open", created_at=now, data={"error": reason}, stage="posted",
                                      posted_at=now, nudges=0))  # fmt: skip
                payload = {"text": f"⚠️ {text}", "buttons": [], "image": None,
                           "relay": {"participant_id": participant_id, "topic_name": code}}  # fmt: skip
                session.add(outbox_message(None, staff, payload, now))
                audit(session, at=now, participant_id=participant_id, actor="relay", action="quarantined",
                      detail={"error": reason, "where": where})  # fmt: skip
    except Exception as again:
        log.error("relay %s for participant %d failed (%s) and could not be quarantined (%s); the others go on",
                  where, participant_id, reason, type(again).__name__)  # fmt: skip
        return
    if fresh:
        log.error("relay %s for %s failed (%s); %s quarantined, the others go on", where, code, reason, code)
    else:
        log.warning("relay %s for %s failed again (%s); already quarantined", where, code, reason)
