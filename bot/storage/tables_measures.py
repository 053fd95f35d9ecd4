"""The measures' table: one row per scored administration of a questionnaire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class ScoreRow(Base):
    """A questionnaire's score as it was computed when the participant finished it.

    One row per participant and administration (the module and step where it was given): once stored, an
    administration is closed and its row never changes (``bot/measures/store.py``). ``content_version`` names the scoring rules used.
    """

    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("participant_id", "module_id", "step_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    instrument: Mapped[str] = mapped_column(String(40))
    module_id: Mapped[str] = mapped_column(String(40))
    step_id: Mapped[str] = mapped_column(String(40))
    total: Mapped[float | None] = mapped_column(Float)
    subscales: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    band: Mapped[str | None] = mapped_column(String(40))
    items_missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    prorated: Mapped[bool] = mapped_column(Boolean, default=False)
    content_version: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]


class ScoreCorrection(Base):
    """A correction of a closed administration: a new record beside the score it corrects, never an edit.

    Written by ``icbt participants correct`` with who, when and why (and an audit row); the analysis
    uses the newest correction of an administration and marks the value as corrected, so a reader of
    the export sees both that it changed and from what (``bot/measures/corrections.py``).
    """

    __tablename__ = "score_corrections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    instrument: Mapped[str] = mapped_column(String(40))
    module_id: Mapped[str] = mapped_column(String(40))
    step_id: Mapped[str] = mapped_column(String(40))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # item id -> answer, as corrected
    changed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # item id -> [before, after]
    total: Mapped[float | None] = mapped_column(Float)
    subscales: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    band: Mapped[str | None] = mapped_column(String(40))
    items_missing: Mapped[list[str]] = mapped_column(JSON, default=list)
    prorated: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(String(500))
    by: Mapped[str] = mapped_column(String(80))
    content_version: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
