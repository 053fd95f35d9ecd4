"""Withdrawal as consented and erasure that leaves nothing, walked through the real chat: one person
leaves keeping their data, one leaves asking for it to be removed (both counted the same by
``icbt trial status``, the report's flow and the export; the removed data in no analysis), and one is
erased after writing a marker in the chat, the application, a question, a baseline diary and a
chart: afterwards no table and no file holds the marker, and only the tombstone is left."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.engine import Inbound
from bot.measures.analysis import enrolment_flow
from bot.measures.db_loader import load_dataset
from bot.storage.models import AuditEntry, Participant
from bot.storage.tables_measures import ScoreRow
from bot.storage.tables_trial import TrialWithdrawal
from bot.trial.mydata import MyData
from bot.trial.privacy import ParticipantData
from bot.trial.report import TrialReport
from tests.conftest import DB_KINDS, database_fixture
from tests.support.chat import CHAT
from tests.support.stored import file_bytes, rows_holding
from tests.support.trial import build_every_path
from tests.support.trial_chat import answer_on, baseline_finished, to_consent, trial_chat_for

db = database_fixture(DB_KINDS)  # what storage keeps is the point here: SQLite and PostgreSQL

MARKER = "Kestrel-8830-only-mine"


async def test_withdrawing_with_and_without_data_is_counted_alike_everywhere(db, programme, clock, tmp_path):
    ids = await build_every_path(db, programme, clock)
    status = await TrialReport(db, programme, clock).status(by="statistician:1")
    dataset = await load_dataset(db, programme, now=clock.now())
    flow = enrolment_flow(dataset)
    assert status.stages["withdrawn"] == 2 and status.flow is not None
    left = sum(status.flow.arm(a, o) for a in status.flow.arms for o in ("withdrawn", "withdrawn_removed", "lost"))
    assert sum(flow.dropped_out.values()) == left
    assert sum(status.flow.analysed(a) for a in status.flow.arms) == status.flow.randomised - 1
    removed = f"P-{ids['withdrawn_removed']:04d}"
    assert removed not in {s.code for s in dataset.scores}
    async with db.reading() as session:
        choices = {w.participant_id: w.may_use_data for w in await session.scalars(select(TrialWithdrawal))}
    assert choices == {ids["withdrawn"]: True, ids["withdrawn_removed"]: False}


async def test_erasure_after_withdrawal_leaves_the_marker_in_no_table_and_no_file(
    db, programme, clock, sender, transport, tmp_path
):
    trial_chat, chat = trial_chat_for(db, programme, clock, sender, transport)
    trial_chat.mydata = MyData.build(db, programme, clock, retention_days=90, purge_days=30)
    await to_consent(chat, programme, trial_chat, sender, transport, "treatment")
    await answer_on(chat, lambda: baseline_finished(db))
    await chat.send(Inbound(kind="command", text="ask", args=f"{MARKER}: may I swim?"))
    clock.advance(timedelta(days=1))
    charts = tmp_path / "charts"
    charts.mkdir()
    (charts / "P-0001-1.png").write_bytes(MARKER.encode())  # a picture drawn for them
    await chat.send(Inbound(kind="command", text="withdraw"))
    await chat.press(programme.msg("en", "trial.withdraw_no_use"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.withdrawn_removed")
    assert "relay_items" in await rows_holding(db, MARKER)
    async with db.reading() as session:
        assert await session.scalar(select(ScoreRow)) is not None
    data = ParticipantData(db, programme, clock, retention_days=90, outbox_purge_days=30, charts_dir=charts)
    await data.erase("P-0001", by="admin:alice")
    assert await rows_holding(db, MARKER) == []
    assert list(charts.iterdir()) == []
    if db.is_sqlite:
        assert MARKER.encode() not in file_bytes(db)
    async with db.reading() as session:
        assert await session.scalar(select(ScoreRow)) is None
        tombstone = (await session.scalars(select(Participant))).one()
        erased = await session.scalar(select(AuditEntry).where(AuditEntry.action == "erased"))
    assert (tombstone.code, tombstone.status, tombstone.position) == ("P-0001", "erased", {})
    assert erased.actor == "admin:alice" and erased.participant_id == tombstone.id
