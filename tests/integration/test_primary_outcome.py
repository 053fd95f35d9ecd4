"""No trial without its primary outcome: `icbt content validate --trial` and `icbt run` refuse, in one
line naming the file and the slot; the whole CSQ can be the scheduled primary outcome, as in the seed.

The wording in these tests is made up; the real instruments' wording never enters the repository.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from bot.cli.app import app
from bot.content.loader import load_programme
from bot.errors import ContentError
from bot.measures import analysis as an
from bot.measures.synthetic import synthetic_trial

CONTENT = Path(__file__).resolve().parents[2] / "content"
runner = CliRunner()


def site_with(tmp_path: Path, instrument: str, item_ids: list[str]) -> Path:
    folder = tmp_path / "site"
    (folder / "instruments").mkdir(parents=True, exist_ok=True)
    items = [{"id": i, "text": f"Made-up statement {n} for testing"} for n, i in enumerate(item_ids, 1)]
    (folder / "instruments" / f"{instrument}.yaml").write_text(yaml.safe_dump({"id": instrument, "items": items}))
    return folder


def test_validate_trial_refuses_a_trial_without_its_primary_outcomes_wording(tmp_path: Path) -> None:
    result = runner.invoke(app, ["content", "validate", str(CONTENT), "--trial"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        "<site_content_dir>/instruments/csq_catastrophizing.yaml: items.0.text: the primary outcome "
        "csq_catastrophizing.catastrophizing has no wording in slot 'c1'; the trial cannot run without it "
        "(the site supplies the licensed wording: docs/measures.md, 'Licensed slots')"
    )
    site = site_with(tmp_path, "csq_catastrophizing", [f"c{n}" for n in range(1, 7)])
    worded = runner.invoke(app, ["content", "validate", str(CONTENT), "--site", str(site), "--trial"])
    assert worded.exit_code == 0, worded.output
    assert worded.output.strip().splitlines()[-1] == "trial OK: its primary outcome can be given"
    plain = runner.invoke(app, ["content", "validate", str(CONTENT)])  # content alone is still valid
    assert plain.exit_code == 0


def test_icbt_run_refuses_to_start_the_trial_without_its_primary_outcome(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "1:x")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")  # must not be reached
    monkeypatch.setenv("ICBT_STAFF_CHAT_ID", "-100200")
    monkeypatch.setenv("ICBT_TRIAL_SEED", "a-long-enough-test-seed")
    monkeypatch.setenv("ICBT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}")
    monkeypatch.setenv("ICBT_SITE_CONTENT_DIR", str(site_with(tmp_path, "hads", [])))  # a site, but no CSQ
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output
    assert lines[0].startswith(
        f"content error: {tmp_path / 'site' / 'instruments' / 'csq_catastrophizing.yaml'}: items.0.text:"
    )


def _with_trial(tmp_path: Path, change) -> Path:
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    trial_file = content / "trial" / "trial.yaml"
    trial_file.write_text(change(trial_file.read_text(encoding="utf-8")), encoding="utf-8")
    return content


def test_a_primary_outcome_naming_nothing_is_a_content_error(tmp_path: Path) -> None:
    content = _with_trial(tmp_path, lambda t: t.replace("scale: catastrophizing}", "scale: worry}"))
    try:
        load_programme(content)
    except ContentError as exc:
        assert any("trial.yaml: primary_outcome.scale: instrument 'csq_catastrophizing' has no scale 'worry'" in p
                   for p in exc.problems)  # fmt: skip
    else:
        raise AssertionError("a primary outcome without its scale loaded")


def test_the_whole_csq_can_be_the_scheduled_primary_outcome_as_in_the_seed(tmp_path: Path) -> None:
    content = _with_trial(tmp_path, lambda t: t.replace("{instrument: csq_catastrophizing,", "{instrument: csq,"))
    for module in ("baseline", "post"):
        path = content / "modules" / f"{module}.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("instrument: csq_catastrophizing", "instrument: csq"))
    csq = load_programme(content).instruments["csq"]
    site = site_with(tmp_path, "csq", [item.id for item in csq.items])
    result = runner.invoke(app, ["content", "validate", str(content), "--site", str(site), "--trial"])
    assert result.exit_code == 0, result.output
    programme = load_programme(content, site)
    steps = [
        s for m in ("baseline", "post") for s in programme.modules[m].steps if getattr(s, "instrument", None) == "csq"
    ]
    assert len(steps) == 2  # given at baseline and at post
    found = an.measures(synthetic_trial(programme.instruments, seed=1), programme.instruments)
    assert {m.scale.id for m in found if m.instrument.id == "csq"} >= {
        "diverting",
        "praying",
        "catastrophizing",
        "activity",
    }
    assert an.primary_measure(found, ("csq", "catastrophizing")).key == ("csq", "catastrophizing")  # type: ignore[union-attr]
