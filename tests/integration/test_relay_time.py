"""Therapist time on real storage: measured from the first look at a waiting week to the feedback,
corrected with /time, in the export's therapist_time.csv with its week, in `icbt staff time` by arm,
and never a measured zero where nothing was recorded."""

from __future__ import annotations

import asyncio
import csv
from datetime import timedelta

from sqlalchemy import select, update
from typer.testing import CliRunner

from bot.cli.app import app
from bot.measures import analysis
from bot.measures.dataset import ParticipantRecord, TrialDataset
from bot.measures.db_loader import load_dataset
from bot.measures.export import write_export
from bot.storage.models import Participant
from bot.storage.tables_relay import RelayLog
from tests.conftest import fresh_database, sqlite_url
from tests.support.relay import (
    FakeTopics,
    active_participant,
    directory,
    latest_post,
    report_in,
    staff_msg,
    staff_texts,
)
from tests.support.trial import new_participant


async def test_feedback_time_is_measured_from_the_first_look_and_reaches_the_export(
    service, relay, db, clock, sender, programme, tmp_path
):
    p = await active_participant(service)
    await report_in(db, relay, p, clock)
    await sender.drain()
    thread = await directory(db, clock, FakeTopics()).thread_for(p.id, p.code)
    clock.advance(timedelta(hours=2))
    await relay.handle_staff(staff_msg("/tpl steady", thread=thread))  # the first look
    clock.advance(timedelta(minutes=11, seconds=20))
    await relay.handle_staff(staff_msg("Well done this week.", thread=thread, reply_to=await latest_post(db, p.id)))
    assert (await staff_texts(db))[-1].startswith(f"⏱ 12 min recorded for {p.code}")
    async with db.reading() as session:
        measured = (await session.scalars(select(RelayLog).where(RelayLog.kind == "time"))).one()
    assert (measured.minutes, measured.week, measured.text) == (12, 2, "measured")
    await relay.handle_staff(staff_msg("/time 15", thread=thread))
    assert (await staff_texts(db))[-1] == f"⏱ {p.code}, week 3: your time is now 15 min (was 12 min)."
    dataset = await load_dataset(db, programme, allocations={p.code: ("treatment", clock.now().date())})
    write_export(dataset, tmp_path, programme.instruments, show_progress=False)  # the randomised only
    with (tmp_path / "therapist_time.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["code"], r["kind"], r["minutes"], r["week"]) for r in rows] == [(p.code, "feedback", "15.0", "2")]


async def test_a_reply_without_an_earlier_look_records_no_minutes(service, relay, db, clock, sender):
    p = await active_participant(service)
    await report_in(db, relay, p, clock)
    await sender.drain()
    thread = await directory(db, clock, FakeTopics()).thread_for(p.id, p.code)
    await relay.handle_staff(staff_msg("Thank you!", thread=thread, reply_to=await latest_post(db, p.id)))
    async with db.reading() as session:
        assert (await session.scalars(select(RelayLog).where(RelayLog.kind == "time"))).all() == []


def test_the_report_shows_no_measured_zeros_where_nothing_was_recorded():
    people = tuple(ParticipantRecord(f"P-{i:04d}", arm, "completed", None, None, None)  # type: ignore[arg-type]
                   for i, arm in enumerate(("treatment", "control")))  # fmt: skip
    shown = analysis.therapist_time(TrialDataset(participants=people))
    assert shown["treatment"][0] == "not recorded" and shown["control"][0] == "not recorded"
    assert analysis.minutes_per_week(TrialDataset(participants=people))["treatment"] == ("not recorded", 0)


def test_icbt_staff_time_prints_minutes_per_participant_week_by_arm(tmp_path, monkeypatch, clock):
    url = sqlite_url(tmp_path)
    monkeypatch.setenv("ICBT_DATABASE_URL", url)

    async def populate() -> None:
        db = await fresh_database("sqlite", tmp_path)
        for chat, arm, minutes in (("1", "programme_now", (12, 14)), ("2", "waiting_list", (9,))):
            pid = await new_participant(db, clock, chat)
            async with db.transaction() as session:
                await session.execute(update(Participant).where(Participant.id == pid).values(position={"arm": arm}))
                for week, value in enumerate(minutes, start=2):
                    session.add(RelayLog(at=clock.now(), participant_id=pid, therapist_id=11, kind="time", week=week,
                                         minutes=value, text="measured"))  # fmt: skip
        await db.dispose()

    asyncio.run(populate())
    result = CliRunner().invoke(app, ["staff", "time"])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    cells = [
        [c.strip() for c in line.strip("│").split("│")] for line in result.output.splitlines() if line.startswith("│")
    ]
    assert ["P-0001", "programme_now", "3", "12"] in cells and ["P-0002", "waiting_list", "3", "9"] in cells
    assert "the seed's guidance: 10–15 min a week" in result.output
    assert ["programme_now", "2", "13.0 (1.0)"] in cells, "minutes per participant-week, by arm"
