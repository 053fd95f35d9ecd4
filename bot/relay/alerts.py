"""Participants paused after a risk hit, as lines for staff listings (``/queue``, ``/caseload``).

Kept apart from the commands so any listing can show them the same way: a pause after a risk hit must
never be missing from what staff look at (open alerts are ranked first in ``bot.relay.queue``).
"""

from __future__ import annotations

from bot.relay.content import RelayContent
from bot.relay.store import RelayStore


async def paused_lines(store: RelayStore, content: RelayContent) -> list[str]:
    """One line per participant whose programme is paused after an urgent hit, with the reason."""
    return [
        content.text("paused", code=p.code or "?", reason=(p.position or {}).get("held_reason") or "risk hit")
        for p in await store.paused_participants()
    ]
