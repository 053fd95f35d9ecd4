"""A bad setting stops start-up with one readable line naming it, exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app
from bot.errors import ConfigError
from bot.settings import load_settings

runner = CliRunner()


def test_defaults_are_the_embedded_sqlite(monkeypatch):
    monkeypatch.delenv("ICBT_DATABASE_URL", raising=False)
    settings = load_settings()
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.telegram_base_url == "https://api.telegram.org/bot"


def test_environment_overrides_file(monkeypatch, tmp_path: Path):
    config = tmp_path / "icbt.toml"
    config.write_text('timezone = "Europe/London"\ntherapist_ids = [1, 2]\n')
    monkeypatch.setenv("ICBT_TIMEZONE", "America/New_York")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:8081/bot")
    settings = load_settings(config)
    assert settings.timezone == "America/New_York"
    assert settings.therapist_ids == [1, 2]
    assert settings.telegram_base_url == "http://127.0.0.1:8081/bot"


def test_comma_separated_ids_and_secret_token(monkeypatch):
    monkeypatch.setenv("ICBT_ADMIN_IDS", "7, 8")
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "123:s3cr3tvalue")
    settings = load_settings()
    assert settings.admin_ids == [7, 8]
    assert "s3cr3tvalue" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ICBT_TIMEZONE", "Mars/Olympus", "config error: ICBT_TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ("ICBT_DATABASE_URL", "mysql://x", "config error: ICBT_DATABASE_URL: must be sqlite+aiosqlite"),
        ("ICBT_WEBHOOK_PORT", "99999", "config error: ICBT_WEBHOOK_PORT:"),
        ("ICBT_STAFF_CHAT_ID", "the-group", "config error: ICBT_STAFF_CHAT_ID:"),
    ],
)
def test_invalid_setting_is_one_line_and_exit_2(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    result = runner.invoke(app, ["demo", "--script", "/dev/null"])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(expected)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def test_run_without_token_explains_itself(monkeypatch):
    monkeypatch.delenv("ICBT_TELEGRAM_TOKEN", raising=False)
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 2
    assert (
        result.stderr.strip() == "config error: ICBT_TELEGRAM_TOKEN: required for `icbt run` (get one from @BotFather)"
    )


def test_run_with_an_unreachable_bot_api_says_so_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("ICBT_TELEGRAM_TOKEN", "1:x")
    monkeypatch.setenv("ICBT_TELEGRAM_BASE_URL", "http://127.0.0.1:9/bot")  # nothing listens there
    monkeypatch.setenv("ICBT_STAFF_CHAT_ID", "-100200")  # else it stops earlier, on the missing staff chat
    monkeypatch.setenv("ICBT_TRIAL_SEED", "a-long-enough-test-seed")
    monkeypatch.setenv("ICBT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}")
    site = tmp_path / "site" / "instruments"  # the primary outcome's wording (made up), else it stops on that
    site.mkdir(parents=True)
    items = "".join(f"  - {{id: c{n}, text: 'Made-up statement {n}'}}\n" for n in range(1, 7))
    (site / "csq_catastrophizing.yaml").write_text(f"id: csq_catastrophizing\nitems:\n{items}", encoding="utf-8")
    monkeypatch.setenv("ICBT_SITE_CONTENT_DIR", str(site.parent))
    result = runner.invoke(app, ["run"])
    assert result.exit_code == 3
    assert result.stderr.strip().splitlines()[-1].startswith("cannot reach the Bot API at http://127.0.0.1:9/bot")
    assert "Traceback" not in result.output
