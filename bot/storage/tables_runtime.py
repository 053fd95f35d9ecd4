"""Tables of the inbound/sweep area: small runtime values that must survive a restart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class RuntimeValue(Base):
    """A named instant kept across restarts, e.g. the demo's simulated clock (``demo.clock``)."""

    __tablename__ = "runtime_values"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime]
    updated_at: Mapped[datetime]


class InboxUpdate(Base):
    """A Telegram update recorded before Telegram is told it was handled (``bot/channels/telegram/inbox.py``);
    the row goes once the update was processed. What is left after a crash is processed at the next start."""

    __tablename__ = "telegram_inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime]
