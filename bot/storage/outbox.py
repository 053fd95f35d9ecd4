"""The one place outbox rows are built: an ORM row (``outbox_message``) for code in a session, and the
plain values the bulk path writes (``outbox_values``, ``outbox_row``), with the same defaults.

A new message is always ``pending``, never tried, due at once (``not_before``) and stamped with the
time it was decided at; ``priority`` says who goes first (``PRIORITY_*`` in models.py) and
``dedup_key`` makes a second offer of the same message a no-op. Built here, every writer agrees.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.storage.models import PRIORITY_BULK, OutboxMessage

# The columns a new outbox row is written with, in the order ``outbox_values`` gives them.
OUTBOX_KEYS = ("participant_id", "channel", "chat_id", "payload", "status", "attempts", "not_before", "dedup_key",
               "created_at", "priority")  # fmt: skip


def outbox_values(
    pid: int | None, to: tuple[str, str], payload: Any, now: datetime, key: str | None, priority: int
) -> tuple[Any, ...]:
    """A new outbox row in the order of ``OUTBOX_KEYS`` (the sweep makes its rows without a dict)."""
    return pid, to[0], to[1], payload, "pending", 0, now, key, now, priority


def outbox_row(
    pid: int | None, to: tuple[str, str], payload: Any, now: datetime, key: str | None, priority: int
) -> dict[str, Any]:
    """A new outbox row as the outbox INSERT takes it (the keys of ``OUTBOX_KEYS``)."""
    return dict(zip(OUTBOX_KEYS, outbox_values(pid, to, payload, now, key, priority), strict=True))


def outbox_message(
    participant_id: int | None,
    to: tuple[str, str],
    payload: dict[str, Any],
    now: datetime,
    *,
    dedup_key: str | None = None,
    priority: int = PRIORITY_BULK,
) -> OutboxMessage:
    """A new outbox row for a session to add: ``payload`` for the chat ``to`` (channel, chat id), on
    behalf of ``participant_id`` (None for a staff message about nobody)."""
    return OutboxMessage(**outbox_row(participant_id, to, payload, now, dedup_key, priority))
