"""One count: ``icbt trial status``, the report's enrolment flow and the research export agree about a
trial where every path has been taken (not eligible, excluded, declined, withdrawn with and without
data, lost, completed, crossed over, still under way)."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from bot.measures.analysis import enrolment_flow
from bot.measures.db_loader import load_dataset
from bot.measures.export import write_export
from bot.measures.scoring import score
from bot.measures.store import store_score
from bot.storage.models import Consent, Participant
from bot.storage.tables_measures import ScoreRow
from bot.trial.report import TrialReport
from bot.trial.service import TrialService
from tests.integration.test_trial_rules import good_answers
from tests.integration.test_trial_service import SEED, agree, new_participant, ready_for_draw

ARM_WORDS = {"treatment": "treatment", "waiting_list": "control"}  # the dataset's names for the arms


async def _position(db, pid: int, **position: object) -> None:
    async with db.transaction() as session:
        row = await session.get(Participant, pid)
        row.position = {**(row.position or {}), **position}


async def build_every_path(db, programme, clock) -> dict[str, int]:
    """One person per path, written through the trial service; returns path -> participant id."""
    trial = TrialService(db, programme, clock, seed=SEED)
    ids: dict[str, int] = {}
    ids["not_eligible"] = await new_participant(db, clock, "ne")
    await trial.apply(ids["not_eligible"], good_answers(age=17))
    ids["excluded"] = await new_participant(db, clock, "ex")
    await trial.apply(ids["excluded"], good_answers())
    await trial.interviewed(f"P-{ids['excluded']:04d}", "exclude", "prefers face to face", by="therapist:1")
    ids["declined"] = await new_participant(db, clock, "de")
    await trial.apply(ids["declined"], good_answers())
    await trial.interviewed(f"P-{ids['declined']:04d}", "include", None, by="therapist:1")
    async with db.transaction() as session:
        session.add(Consent(participant_id=ids["declined"], version="v", agreed=False, content_version="x",
                            at=clock.now()))  # fmt: skip
        await session.execute(update(Participant).where(Participant.id == ids["declined"]).values(status="declined"))
    ids["to_interview"] = await new_participant(db, clock, "ti")
    await trial.apply(ids["to_interview"], good_answers())
    phq9 = programme.instruments["phq9"]
    for path in ("withdrawn", "withdrawn_removed", "lost", "completed", "crossed_over", "ongoing"):
        ids[path] = await ready_for_draw(db, clock, trial, path, sex="male" if path == "crossed_over" else "female")
        await trial.allocate(ids[path])
        async with db.transaction() as session:
            await session.execute(update(Participant).where(Participant.id == ids[path]).values(status="active"))
            await store_score(session, ids[path], "baseline", "phq9", score(phq9, {f"q{i}": 1 for i in range(1, 10)}),
                              programme.version, clock.now())  # fmt: skip
    await trial.withdraw(f"P-{ids['withdrawn']:04d}", may_use_data=True, by="participant")
    await trial.withdraw(f"P-{ids['withdrawn_removed']:04d}", may_use_data=False, by="participant")
    async with db.transaction() as session:
        await session.execute(update(Participant).where(Participant.id == ids["lost"]).values(unreachable=True))
    await _position(db, ids["completed"], finished=["baseline", "post"])
    await _position(db, ids["crossed_over"], finished=["baseline", "post"], crossover="accepted")
    await agree(db, clock, ids["to_interview"])  # a stray consent row before an interview changes nothing
    return ids


async def test_status_report_and_export_count_the_same_people(db, programme, clock, tmp_path):
    await build_every_path(db, programme, clock)
    clock.advance(timedelta(weeks=5))  # every arm still under way: nobody lost to the calendar
    status = await TrialReport(db, programme, clock).status(by="statistician:1")
    flow = status.flow
    assert flow is not None
    assert flow.applied == status.stages["applied"] == 10
    assert flow.before_draw == {"not_eligible": 1, "excluded": 1, "declined": 1, "to_interview": 1}
    assert flow.randomised == status.stages["randomized"] == 6
    outcomes = Counter()
    for by_outcome in flow.arms.values():
        outcomes.update(by_outcome)
    assert outcomes == {"withdrawn": 1, "withdrawn_removed": 1, "lost": 1, "completed": 2, "ongoing": 1}
    assert (status.stages["completed"], status.stages["lost"], status.stages["withdrawn"]) == (2, 1, 2)
    assert flow.crossed_over == 1

    dataset = await load_dataset(db, programme, now=clock.now())
    report = enrolment_flow(dataset)
    assert report.randomized == flow.randomised
    for arm, words in ARM_WORDS.items():
        allocated = sum(flow.arms.get(arm, {}).values())
        assert report.allocated[words] == allocated
        left = flow.arm(arm, "lost") + flow.arm(arm, "withdrawn") + flow.arm(arm, "withdrawn_removed")
        assert report.dropped_out[words] == left
    assert sum(p.status == "completed" for p in dataset.participants) == status.stages["completed"]

    write_export(dataset, tmp_path / "export", programme.instruments, show_progress=False)
    exported = Counter((row["arm"], row["outcome"]) for row in _csv(tmp_path / "export" / "participants.csv"))
    assert exported == Counter(
        {(ARM_WORDS[arm], outcome): n for arm, counts in flow.arms.items() for outcome, n in counts.items()
         if outcome != "withdrawn_removed"}
    )  # fmt: skip
    info = {row["key"]: row["value"] for row in _csv(tmp_path / "export" / "export_info.csv")}
    left_out = {ARM_WORDS[arm]: flow.arm(arm, "withdrawn_removed") for arm in flow.arms}
    assert sum(exported.values()) + sum(left_out.values()) == flow.randomised
    assert {w: int(info[f"left_out_remove_data_{w}"]) for w in left_out} == left_out
    screened = Counter(row["stage"] for row in _csv(tmp_path / "export" / "screening.csv"))
    assert screened == flow.before_draw


def _csv(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


async def test_data_marked_for_removal_are_counted_but_never_analysed_or_exported(db, programme, clock, tmp_path):
    ids = await build_every_path(db, programme, clock)
    removed = f"P-{ids['withdrawn_removed']:04d}"
    async with db.reading() as session:  # stored (until erased), but out of every analysis
        assert await session.scalar(select(ScoreRow).where(ScoreRow.participant_id == ids["withdrawn_removed"]))
    dataset = await load_dataset(db, programme, now=clock.now())
    assert removed in {p.code for p in dataset.participants}, "counted in the flow"
    assert removed not in {s.code for s in dataset.scores} | {a.code for a in dataset.answers}
    kept = f"P-{ids['withdrawn']:04d}"
    assert kept in {s.code for s in dataset.scores}, "withdrawn keeping their data: still analysed"
    write_export(dataset, tmp_path / "export", programme.instruments, show_progress=False)
    for path in (tmp_path / "export").glob("*.csv"):
        assert removed not in path.read_text(encoding="utf-8"), path.name
