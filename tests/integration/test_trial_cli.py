"""`icbt participants …` and `icbt trial status` on a SQLite database, through typer's CliRunner."""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from bot.cli.app import app
from bot.errors import ConfigError
from bot.settings import load_settings
from bot.storage.database import Database
from bot.storage.models import OutboxMessage, Participant
from bot.storage.tables_trial import TrialAllocation
from bot.trial.seed import demo_seed, run_seed
from bot.trial.service import TrialService
from tests.support.trial import SEED, audits

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_trial_status_counts_each_stage(site):
    # P-0003's arm ran out (the command runs on today's clock) without a post measurement: lost, not completed.
    result = invoke("trial", "status", "--by", "admin:bob")
    assert result.exit_code == 0, result.output
    counts = dict(re.findall(r"│ (\w[\w :]*?)\s+│\s+(\d+) │", result.stdout.split("In each week")[0]))
    assert counts == {"applied": "4", "eligible": "3", "interviewed": "2", "included": "2", "consented": "2",
                      "randomized": "2", "completed": "0", "withdrawn": "1", "lost": "1"} | {
        k: v for k, v in counts.items() if k.startswith("randomized: ")}  # fmt: skip
    assert sum(int(v) for k, v in counts.items() if k.startswith("randomized: ")) == 2
    assert "In each week" in result.stdout
    assert "CONSORT flow" in result.stdout and re.search(r"│ lost\s+│\s+1 │", result.stdout)
    assert audits(site, "staff_read") == ["admin:bob"]


def test_list_and_show(site):
    listed = invoke("participants", "list", "--by", "admin:bob")
    assert listed.exit_code == 0
    for code, stage in [("P-0001", "not_eligible"), ("P-0002", "to_interview"), ("P-0004", "withdrawn")]:
        assert re.search(rf"{code}\s+│\s+\w+\s+│\s+{stage}", listed.stdout), listed.stdout
    shown = invoke("participants", "show", "p-0002", "--by", "therapist:1")
    assert shown.exit_code == 0
    assert "ring 0701-555 after five" in shown.stdout and "to_interview" in shown.stdout
    assert audits(site, "staff_read") == ["admin:bob", "therapist:1"]


def test_export_withdraw_and_erase(site, tmp_path):
    target = tmp_path / "p3.json"
    exported = invoke("participants", "export", "P-0003", "--out", str(target), "--by", "admin:bob")
    assert exported.exit_code == 0 and f"wrote {target}" in exported.stdout
    data = json.loads(target.read_text())
    assert data["code"] == "P-0003" and data["allocation"]["arm"] in ("treatment", "waiting_list")
    to_stdout = invoke("participants", "export", "P-0003", "--out", "-", "--by", "admin:bob")
    assert json.loads(to_stdout.stdout)["code"] == "P-0003"

    withdrawn = invoke("participants", "withdraw", "P-0003", "--no-use-data", "--by", "admin:bob")
    assert withdrawn.stdout.strip() == "P-0003 withdrawn"
    again = invoke("participants", "withdraw", "P-0003", "--no-use-data", "--by", "admin:bob")
    assert "already withdrawn" in again.stdout

    refused = runner.invoke(app, ["participants", "erase", "P-0003"], input="n\n")
    assert refused.exit_code == 1
    erased = invoke("participants", "erase", "P-0003", "--yes", "--by", "admin:bob")
    assert erased.exit_code == 0 and erased.stdout.startswith("P-0003 erased (")
    assert "kept: allocation" in erased.stdout
    assert audits(site, "export") == ["admin:bob", "admin:bob"]
    assert audits(site, "erased") == ["admin:bob"]
    assert audits(site, "withdrawn") == ["participant", "admin:bob"]


def test_unknown_code_is_one_line(site):
    result = invoke("participants", "show", "P-0099")
    assert result.exit_code == 1
    assert result.stderr.strip() == "no participant P-0099"


def test_run_without_a_trial_seed_stops_with_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "1:x")
    monkeypatch.delenv("ICBT_TRIAL_SEED", raising=False)
    result = invoke("run")
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("config error: ICBT_TRIAL_SEED: required to run the trial")
    assert len(result.stderr.strip().splitlines()) == 1


def test_audit_reproduces_every_allocation_from_the_seed(site, monkeypatch):
    monkeypatch.setenv("ICBT_TRIAL_SEED", SEED.decode())
    result = invoke("trial", "audit", "--by", "auditor:carol")
    assert (result.exit_code, result.stdout.strip()) == (
        0, "2 allocation(s) checked, 0 mismatch(es), 0 break(s) in the chain")  # fmt: skip
    asyncio.run(tamper(site))  # someone changes a stored allocation
    wrong = invoke("trial", "audit")
    assert wrong.exit_code == 1
    assert re.match(r"MISMATCH sex=female #0: stored (\w+), the seed gives (?!\1)\w+", wrong.stdout), wrong.stdout
    assert audits(site, "staff_read")[0] == "auditor:carol"


async def tamper(url: str) -> None:
    db = Database(url)
    async with db.transaction() as session:
        row = (await session.scalars(select(TrialAllocation).where(TrialAllocation.sequence_index == 0))).one()
        row.arm = "waiting_list" if row.arm == "treatment" else "treatment"
    await db.dispose()


def test_trial_settings_have_safe_defaults_and_hide_the_seed(monkeypatch):
    monkeypatch.setenv("ICBT_TRIAL_SEED", "s3cret-seed-value-for-the-trial")
    settings = load_settings()
    assert (settings.trial_retention_days, settings.trial_outbox_purge_days) == (90, 30)
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings.model_dump())
    assert run_seed(settings) == b"s3cret-seed-value-for-the-trial"
    monkeypatch.setenv("ICBT_TRIAL_SEED", "short")
    with pytest.raises(ConfigError, match="ICBT_TRIAL_SEED: must be at least 16 characters"):
        run_seed(load_settings())
    monkeypatch.setenv("ICBT_TRIAL_RETENTION_DAYS", "-1")
    with pytest.raises(ConfigError, match="ICBT_TRIAL_RETENTION_DAYS: Input should be greater than or equal to 0"):
        load_settings()
    assert demo_seed()[1].startswith("note: the demo draws with a fixed demo seed")


def test_interviewed_from_the_cli_records_it_and_brings_the_consent(site, programme):
    async def waiting() -> None:  # P-0002 applied in the chat: the engine knows it waits for the interview
        db = Database(site)
        async with db.transaction() as session:
            await session.execute(update(Participant).where(Participant.code == "P-0002")
                                  .values(status="onboarding", position={"trial_stage": "to_interview",
                                                                         "finished": ["welcome"]}))  # fmt: skip
        await db.dispose()

    async def outbox() -> list[str]:
        db = Database(site)
        async with db.reading() as session:
            rows = await session.scalars(select(OutboxMessage.payload).where(OutboxMessage.participant_id == 2))
            texts = [p["text"] for p in rows]
        await db.dispose()
        return texts

    asyncio.run(waiting())
    wrong = invoke("participants", "interviewed", "P-0002", "maybe")
    assert wrong.exit_code != 0 and "include or exclude" in wrong.output
    result = invoke("participants", "interviewed", "p-0002", "include", "--by", "therapist:ann")
    assert result.exit_code == 0, result.output
    texts = asyncio.run(outbox())
    assert programme.text(programme.trial.words.included, "en") in texts
    assert any(t.startswith(programme.text(programme.modules["consent"].steps[0].text, "en")) for t in texts)
    assert audits(site, "interviewed") == ["therapist:1", "therapist:1", "therapist:ann"]


async def delete_and_redraw(url: str, programme, clock, redraw: bool) -> None:
    """Someone with database access removes the first allocation (and, with ``redraw``, draws that
    participant again, as the service would: the counter moves on to the next index)."""
    db = Database(url)
    try:
        async with db.transaction() as session:
            row = (await session.scalars(select(TrialAllocation).order_by(TrialAllocation.id))).first()
            pid = row.participant_id
            await session.delete(row)
            await session.execute(delete(OutboxMessage).where(OutboxMessage.dedup_key == f"allocation:{pid}"))
        if redraw:
            await TrialService(db, programme, clock, seed=SEED).allocate(pid)
    finally:
        await db.dispose()


async def edit_date(url: str) -> None:
    db = Database(url)
    try:
        async with db.transaction() as session:
            row = (await session.scalars(select(TrialAllocation).order_by(TrialAllocation.id))).first()
            row.allocated_on = row.allocated_on.replace(year=row.allocated_on.year - 1)
    finally:
        await db.dispose()


@pytest.mark.parametrize("how", ["deleted", "redrawn", "edited"])
def test_audit_finds_a_deleted_edited_or_redrawn_allocation_in_the_chain(site, monkeypatch, programme, clock, how):
    monkeypatch.setenv("ICBT_TRIAL_SEED", SEED.decode())
    assert invoke("trial", "audit").exit_code == 0
    if how == "edited":
        asyncio.run(edit_date(site))
    else:
        asyncio.run(delete_and_redraw(site, programme, clock, redraw=how == "redrawn"))
    result = invoke("trial", "audit")
    assert result.exit_code == 1, result.stdout
    assert "0 mismatch(es)" in result.stdout, "the seed alone cannot see it: the arms stored are the seed's"
    expected = {"deleted": "is not stored", "redrawn": "missing (deleted or redrawn?)", "edited": "(edited?)"}[how]
    assert any(line.startswith("CHAIN ") and expected in line for line in result.stdout.splitlines()), result.stdout
