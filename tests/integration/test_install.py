"""What an install needs: the bot runs without the analysis extra, and the command line starts light.

scipy, statsmodels and pandas are the ``analysis`` extra (pyproject.toml): only the report and the
simulator's power estimate use them. ``icbt --help`` imports no database stack.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli.app import app

pytestmark = pytest.mark.slow  # processes of their own: minutes on a busy machine

ROOT = Path(__file__).resolve().parents[2]
ANALYSIS = ("scipy", "statsmodels", "pandas")
WITHOUT_ANALYSIS = "import sys\nfor name in ('scipy', 'statsmodels', 'pandas'):\n    sys.modules[name] = None\n"


def _icbt(args: list[str], prelude: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``icbt ARGS`` in a process of its own, after ``prelude`` (e.g. one that hides the extra)."""
    code = f"{prelude}\nfrom bot.cli.app import app\napp({args!r}, prog_name='icbt')\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICBT_")}
    env.update(ICBT_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}", ICBT_CONTENT_DIR=str(ROOT / "content"),
               ICBT_CHARTS_DIR=str(tmp_path / "charts"))  # fmt: skip
    return subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)  # fmt: skip


def test_help_imports_no_database_stack(tmp_path):
    report = (
        "import atexit, sys\natexit.register(lambda: print(sorted(m for m in ('sqlalchemy', 'alembic', 'asyncpg', *"
        + repr(ANALYSIS)
        + ") if m in sys.modules), file=sys.stderr))"
    )
    result = _icbt(["--help"], report, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "participants" in result.stdout and "report" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_the_demo_runs_without_the_analysis_extra(tmp_path):
    script = tmp_path / "script.txt"
    script.write_text("/start\n/menu\n")
    result = _icbt(["demo", "--start", "2026-01-05T07:00", "--script", str(script)], WITHOUT_ANALYSIS, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "you: /start" in result.stdout


def test_the_bot_process_imports_no_statistics():
    """``icbt run`` builds the app through bootstrap and the Telegram runner: neither loads the extra."""
    code = (
        "import sys, bot.bootstrap, bot.channels.telegram.runner, bot.channels.demo; "
        "print(sorted(m for m in ('scipy', 'statsmodels', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_report_without_the_extra_names_it_in_one_line(monkeypatch, tmp_path):
    for name in ("scipy.stats", "statsmodels.formula.api", "pandas"):
        monkeypatch.setitem(sys.modules, name, None)
    result = CliRunner().invoke(app, ["report", "--out", str(tmp_path / "r.html"), "--synthetic", "1"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "pip install 'icbt-bot[analysis]'" in lines[0], result.output
    assert not (tmp_path / "r.html").exists()


def _fake_python(folder: Path, name: str, version: str) -> None:
    """An interpreter that answers ./dev's two questions as Python ``version`` would."""
    major, minor = (int(n) for n in version.split("."))
    ok = 0 if (3, 11) <= (major, minor) <= (3, 13) else 1
    script = folder / name
    script.write_text(f'#!/bin/sh\ncase "$2" in *print*) echo "Python {version}";; *) exit {ok};; esac\n')
    script.chmod(0o755)


def test_dev_takes_the_newest_supported_python_and_says_which(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, version in (("python3.11", "3.11"), ("python3.12", "3.12"), ("python3", "3.14")):
        _fake_python(bin_dir, name, version)
    find = f'eval "$(sed -n "/^find_python() {{/,/^}}/p" {ROOT / "dev"})"; find_python'
    result = subprocess.run(["bash", "-c", find], env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert result.stdout.strip() == "python3.12", "3.13 is not installed here: 3.12 is the newest supported"
    assert result.stderr.strip() == f"using Python 3.12 ({bin_dir / 'python3.12'})"
    _fake_python(bin_dir, "python3.13", "3.13")
    newest = subprocess.run(["bash", "-c", find], env={"PATH": f"{bin_dir}:/usr/bin:/bin"}, capture_output=True,
                            text=True, check=True)  # fmt: skip
    assert newest.stdout.strip() == "python3.13"
