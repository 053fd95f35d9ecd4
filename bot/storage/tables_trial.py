"""The trial's tables: applications, interview outcomes, allocations, stratum counters, withdrawals.

An allocation is written once and never changed: one row per participant (unique), one row per
(stratum, sequence index) (unique), and the next index of each stratum in a counter row that the
allocating transaction locks (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one writer at a time).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class TrialApplication(Base):
    """One application: the answers, the eligibility result and where the applicant stands."""

    __tablename__ = "trial_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    eligible: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # reason ids and kinds, screen totals
    contact: Mapped[str | None] = mapped_column(Text)  # how the interviewer may reach the applicant
    status: Mapped[str] = mapped_column(String(16))  # not_eligible | to_interview | included | excluded
    applied_on: Mapped[date] = mapped_column(Date)
    content_version: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class TrialInterview(Base):
    """A therapist's interview outcome; the latest one decides the gate."""

    __tablename__ = "trial_interviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[str] = mapped_column(String(8))  # include | exclude
    reason: Mapped[str | None] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]


class TrialAllocation(Base):
    __tablename__ = "trial_allocations"
    __table_args__ = (UniqueConstraint("stratum", "sequence_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), unique=True)
    arm: Mapped[str] = mapped_column(String(40))
    stratum: Mapped[str] = mapped_column(String(120))
    sequence_index: Mapped[int] = mapped_column(Integer)
    allocated_on: Mapped[date] = mapped_column(Date)  # the participant's local date of the draw
    at: Mapped[datetime]
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # the allocation made before (bot/trial/chain.py)
    hash: Mapped[str | None] = mapped_column(String(64))


class TrialStratumCounter(Base):
    """The next sequence index of a stratum; locked by the transaction that allocates."""

    __tablename__ = "trial_stratum_counters"

    stratum: Mapped[str] = mapped_column(String(120), primary_key=True)
    next_index: Mapped[int] = mapped_column(Integer)


class TrialWithdrawal(Base):
    __tablename__ = "trial_withdrawals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), unique=True)
    may_use_data: Mapped[bool] = mapped_column(Boolean)
    by: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime]


class TrialRequestRow(Base):
    """What an event asked of the trial (apply, allocate, withdraw, /mydata), written in that event's
    transaction and completed exactly once by ``bot/conversation/requests.py``: the step's own rows and
    ``status = done`` commit together. The answers are blanked when it is done (they live on in the
    application); a request that cannot be completed is ``failed`` and staff are told."""

    __tablename__ = "trial_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), index=True)  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
