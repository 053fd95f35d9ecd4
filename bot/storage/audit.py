"""The one place audit rows are written: ``audit`` adds one to a session, ``audit_row`` is the same row
as the plain values the hot path's batch INSERT takes (``EffectRows``).

An audit row says who (``actor``: engine, sweep, relay, sender, cli:<user>, ...) did what
(``action``) to whom (``participant_id``, None for the database as a whole) and when (``at``, the
time the action was decided at), with the particulars in ``detail``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.storage.models import AuditEntry


def audit_row(
    *, at: datetime, participant_id: int | None, actor: str, action: str, detail: dict[str, Any] | None = None
) -> dict[str, Any]:
    """An audit row as the ``audit_log`` INSERT takes it."""
    return {"at": at, "participant_id": participant_id, "actor": actor, "action": action,
            "detail": {} if detail is None else detail}  # fmt: skip


def audit(
    session: Session | AsyncSession,
    *,
    at: datetime,
    participant_id: int | None,
    actor: str,
    action: str,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write an audit row in the session's transaction (added; flushed with everything else)."""
    entry = AuditEntry(**audit_row(at=at, participant_id=participant_id, actor=actor, action=action, detail=detail))
    session.add(entry)
    return entry
