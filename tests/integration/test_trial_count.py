"""One count: ``icbt trial status``, the report's enrolment flow and the research export agree about a
trial where every path has been taken (not eligible, excluded, declined, withdrawn with and without
data, lost, completed, crossed over, still under way)."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from bot.measures.analysis import enrolment_flow
from bot.measures.db_loader import load_dataset
from bot.measures.export import write_export
from bot.storage.tables_measures import ScoreRow
from bot.trial.report import TrialReport
from tests.support.trial import build_every_path

ARM_WORDS = {"treatment": "treatment", "waiting_list": "control"}  # the dataset's names for the arms


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
