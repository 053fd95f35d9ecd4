"""Open safety alerts and paused participants as lines for staff listings (``/queue``, ``/caseload``).

Kept apart from the commands so any listing can show them the same way: an URGENT alert or a pause
after a risk hit must never be missing from what staff look at.
"""

from __future__ import annotations

from datetime import datetime

from bot.relay import format as fmt
from bot.relay.content import RelayContent
from bot.relay.model import RelayConfig
from bot.relay.sla import age_text
from bot.relay.store import RelayStore


async def alert_lines(store: RelayStore, content: RelayContent, config: RelayConfig, now: datetime) -> list[str]:
    """One line per unacknowledged alert: URGENT first, then concern, oldest first in each."""
    rows = []
    for item in await store.open_alerts():
        participant = await store.participant(item.participant_id)
        rows.append(content.text(
            "queue_alert", code=participant.code if participant else "?", kind=fmt.KIND_WORDS[item.kind],
            age=age_text((now - item.created_at).total_seconds()), therapist=config.name_of(item.assigned_to),
            found=fmt.found_text(item.data or {}),
        ))  # fmt: skip
    return rows


async def paused_lines(store: RelayStore, content: RelayContent) -> list[str]:
    """One line per participant whose programme is paused after an urgent hit, with the reason."""
    return [
        content.text("paused", code=p.code or "?", reason=(p.position or {}).get("held_reason") or "risk hit")
        for p in await store.paused_participants()
    ]
