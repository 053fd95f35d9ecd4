"""``icbt demo`` as a real process on a SQLite file, with a scripted participant."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

START = "2026-01-05T07:00"  # a Monday morning in Stockholm
ICBT = [sys.executable, "-m", "bot.cli.app"]


def env_for(db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICBT_")}
    env.update(ICBT_DATABASE_URL=f"sqlite+aiosqlite:///{db}", ICBT_CHARTS_DIR=str(db.parent / "charts"),
               PYTHONUNBUFFERED="1")  # fmt: skip
    return env


def demo(db: Path, script: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ICBT, "demo", "--start", START, "--script", str(script)], cwd=ROOT, env=env_for(db),
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)  # fmt: skip
