"""`icbt demo` as its users run it: a real process, a real SQLite file, a scripted participant."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from tests.conftest import ROOT
from tests.support.demo import ICBT, START, demo, env_for

SCRIPT = ROOT / "tests" / "fixtures" / "demo_to_week2_homework.txt"


def answers(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT module_id, step_id, field_id, entry_id, value, content_version FROM answers ORDER BY id"
        ).fetchall()


def position(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT position FROM participants").fetchone()[0]


def test_script_goes_from_start_through_consent_into_week_2_homework(tmp_path):
    db = tmp_path / "demo.sqlite3"
    result = demo(db, SCRIPT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for expected in (
        "you: /start",
        "Thank you. Your consent has been saved.",
        "A new module is open: Getting started",
        "Stand-in statement 1 of CSQ – catastrophizing subscale, for the demo only (not the licensed wording",
        "When the two weeks of diary are over, we tell you your group here.",
        "The draw has been made: you start the programme now.",
        "you: /advance 15d",
        "A new module is open: Module 1: Understanding pain.",
        "Thank you, your practice is saved.",
        "You are in Module 1: Understanding pain",
    ):
        assert expected in out, expected
    assert (
        out.index("Your consent has been saved")
        < out.index("Module 1: Understanding pain.")
        < out.index("practice is saved")
    )
    assert "Traceback" not in out + result.stderr
    rows = answers(db)
    breathing = {r[2]: r[4] for r in rows if r[:2] == ("week02", "breathing")}
    assert breathing == {"done": "true", "minutes": 10, "tension_before": 4, "tension_after": 4}  # JSON values
    assert len({r[5] for r in rows}) == 1, "every answer records the one content version"


def test_killed_mid_conversation_resumes_at_the_same_step_without_loss_or_duplicates(tmp_path):
    lines = SCRIPT.read_text().splitlines()
    cut = 54  # somewhere inside the baseline module (after the application, interview and consent)
    first, rest = lines[:cut], lines[cut:]
    db = tmp_path / "demo.sqlite3"
    proc = subprocess.Popen([*ICBT, "demo", "--start", START], cwd=ROOT, env=env_for(db), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
    assert proc.stdin and proc.stdout
    for line in first:
        proc.stdin.write(line + "\n")
    proc.stdin.write("/menu\n")
    proc.stdin.flush()
    for out_line in proc.stdout:  # wait on the process's own output, not on a timer
        if "You are in" in out_line:
            break
    proc.kill()  # SIGKILL: no clean shutdown
    proc.wait(timeout=30)
    frames_at_kill, answers_at_kill = position(db), answers(db)

    resumed = tmp_path / "rest.txt"
    resumed.write_text("/menu\n" + "\n".join(rest) + "\n")
    result = demo(db, resumed)
    assert result.returncode == 0, result.stdout[-3000:]
    assert answers(db)[: len(answers_at_kill)] == answers_at_kill
    assert "Thank you, your practice is saved." in result.stdout

    uninterrupted = tmp_path / "whole.sqlite3"
    assert demo(uninterrupted, SCRIPT).returncode == 0
    strip = lambda rows: [r[:3] + r[4:] for r in rows]  # noqa: E731  (entry ids are random per run)
    assert strip(answers(db)) == strip(answers(uninterrupted)), "nothing lost, nothing stored twice"
    assert frames_at_kill != position(db)


def test_engine_error_in_a_script_exits_non_zero(tmp_path, monkeypatch):
    from bot.engine import Engine

    def broken(self, state, inbound, now):
        raise RuntimeError("simulated engine bug")

    monkeypatch.setattr(Engine, "handle", broken)
    monkeypatch.setenv("ICBT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    script = tmp_path / "s.txt"
    script.write_text("/start\n")
    result = CliRunner().invoke(app, ["demo", "--script", str(script)])
    assert result.exit_code == 1
    assert "error: the bot failed on the last input" in result.stdout


@pytest.mark.parametrize("line", ["/advance banana", "/advance 3"])
def test_bad_advance_is_explained(tmp_path, line):
    script = tmp_path / "s.txt"
    script.write_text(f"/start\n{line}\n")
    result = demo(tmp_path / "d.sqlite3", script)
    assert result.returncode == 0
    assert "(cannot advance:" in result.stdout


def test_a_restarted_demo_keeps_its_simulated_clock_and_does_not_crash(tmp_path):
    db = tmp_path / "demo.sqlite3"
    first = tmp_path / "first.txt"
    first.write_text("/start\n/advance 2d\n/now\n")
    result = demo(db, first)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "(simulated time: Wed 07 Jan 2026 07:00 UTC)" in result.stdout
    # Restarted without --start (as `./dev demo` twice in a row): the reminders of the days already
    # simulated are not made again, and time goes on from where it was.
    second = tmp_path / "second.txt"
    second.write_text("/now\n/advance 1d\n/now\n")
    again = subprocess.run([*ICBT, "demo", "--script", str(second)], cwd=ROOT, env=env_for(db),
                           capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)  # fmt: skip
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "Traceback" not in again.stdout + again.stderr
    assert "(simulated time: Wed 07 Jan 2026 07:00 UTC)" in again.stdout
    assert "(simulated time: Thu 08 Jan 2026 07:00 UTC)" in again.stdout
    with sqlite3.connect(db) as conn:
        keys = [k for (k,) in conn.execute("SELECT dedup_key FROM outbox WHERE dedup_key IS NOT NULL")]
    assert len(keys) == len(set(keys))


# -- in-process: the demo's own entry point, on a SQLite file in a temp folder -----------------------
TO_THE_DRAW = SCRIPT.read_text().splitlines()[:77]  # application, interview, consent, the baseline's first day
THROUGH_THE_APPLICATION = TO_THE_DRAW[:40]  # the application, the staff's include, the consent


async def run_in_process(tmp_path: Path, script: list[str], **options) -> int:
    from datetime import UTC, datetime

    from bot.channels.demo import run_demo
    from bot.settings import Settings

    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}", charts_dir=tmp_path / "charts")
    return await run_demo(settings, iter(script), start=datetime(2026, 1, 5, 7, tzinfo=UTC), **options)


def rows(tmp_path: Path, query: str) -> list[tuple]:
    with sqlite3.connect(tmp_path / "demo.sqlite3") as conn:
        return conn.execute(query).fetchall()


async def test_demo_fresh_starts_a_clean_demo_however_often_it_is_run(tmp_path, capsys, caplog):
    for run in range(3):
        assert await run_in_process(tmp_path, THROUGH_THE_APPLICATION, fresh=True) == 0, run
        out = capsys.readouterr().out
        assert out.index("you: /start") < out.index("Hello, and welcome."), "each run starts at the welcome"
        assert "📞 Interview task · P-0001" in out, "staff hear of the applicant every time"
        assert "interview recorded as include" in out and "not expected" not in out
    assert "not done yet" not in caplog.text and "IntegrityError" not in caplog.text
    assert rows(tmp_path, "SELECT chat_id, code FROM participants") == [("demo", "P-0001")]
    keys = [k for (k,) in rows(tmp_path, "SELECT dedup_key FROM outbox WHERE dedup_key IS NOT NULL")]
    assert len(keys) == len(set(keys))


async def test_a_second_participant_with_as_name_lets_both_arms_be_seen_in_one_database(tmp_path, capsys):
    second = [line.replace("P-0001", "P-0002") for line in TO_THE_DRAW]
    script = [*TO_THE_DRAW, "/as anna", *second, "/advance 15d", "/as demo", "/menu", "/as anna", "/menu"]
    assert await run_in_process(tmp_path, script, fresh=True) == 0
    out = capsys.readouterr().out
    assert "(you are now typing as anna; /start if they are new)" in out
    assert "bot → anna: Hello, and welcome." in out, "a new name is a new participant, from the welcome"
    drawn = rows(tmp_path, "SELECT p.chat_id, p.code, a.arm FROM participants p "
                           "JOIN trial_allocations a ON a.participant_id = p.id ORDER BY p.id")  # fmt: skip
    assert drawn == [("demo", "P-0001", "treatment"), ("demo-anna", "P-0002", "waiting_list")]
    assert "bot: Thank you for your two weeks of diary and questionnaires. The draw has been made: you start" in out
    assert (
        "bot → anna: Thank you for your two weeks of diary and questionnaires. The draw has been made: you are in the waiting-list group"
        in out
    )


async def test_participant_option_types_as_that_person_and_as_without_a_good_name_explains(tmp_path, capsys):
    assert await run_in_process(tmp_path, ["/start", "/as", "/as no spaces!"], participant="Bea") == 0
    out = capsys.readouterr().out
    assert "bot → bea: Hello, and welcome." in out
    assert out.count("(usage: /as NAME") == 2
    assert rows(tmp_path, "SELECT chat_id FROM participants") == [("demo-bea",)]


def test_a_participant_name_that_cannot_be_one_is_refused_in_one_line(tmp_path):
    script = tmp_path / "s.txt"
    script.write_text("/start\n")
    result = CliRunner().invoke(app, ["demo", "--script", str(script), "--participant", "no spaces!",
                                      "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"])  # fmt: skip
    assert result.exit_code != 0 and "--participant" in result.output and "Traceback" not in result.output


def test_the_demo_seed_draws_the_programme_first_then_the_waiting_list(programme):
    from bot.trial.allocation import ArmWeight, sequence
    from bot.trial.seed import demo_seed

    spec = programme.trial
    weights = [ArmWeight(a.id, a.weight) for a in spec.arms]
    drawn = sequence(demo_seed()[0], weights, spec.block_sizes, "sex=female", 2, spec.max_imbalance)
    assert drawn == ["treatment", "waiting_list"], "the demo scripts' applicants, first and second"


async def test_after_a_restart_a_typed_number_presses_the_button_of_the_message_still_shown(tmp_path, capsys):
    """The mood questions of the application are answered "1" = the first button, "Not at all": the demo
    stops after the second question and starts again, and the rest are still read as that button."""
    first_mood_answer = THROUGH_THE_APPLICATION.index("Weekday mornings") + 1  # the good time to call
    split = first_mood_answer + 2  # two of the nine mood questions before the restart
    assert await run_in_process(tmp_path, THROUGH_THE_APPLICATION[:split]) == 0
    capsys.readouterr()
    assert await run_in_process(tmp_path, THROUGH_THE_APPLICATION[split:]) == 0
    out = capsys.readouterr().out
    assert "(the buttons of your last message: [1] Not at all  [2] Several days" in out
    (answers,) = rows(tmp_path, "SELECT answers FROM trial_applications")[0]
    assert json.loads(answers)["phq9"] == {f"q{i}": 0 for i in range(1, 10)}, "every typed 1 pressed 'Not at all'"
