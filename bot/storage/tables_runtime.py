"""Tables of the inbound/sweep area: small runtime values that must survive a restart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class RuntimeValue(Base):
    """A named instant kept across restarts, e.g. the demo's simulated clock (``demo.clock``)."""

    __tablename__ = "runtime_values"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    at: Mapped[datetime]
    updated_at: Mapped[datetime]
