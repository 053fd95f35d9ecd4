"""Checking an edited copy of the content as an admin would: ``icbt content validate``."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from bot.cli.app import app

runner = CliRunner()


def validate(directory: Path) -> tuple[int, list[str]]:
    result = runner.invoke(app, ["content", "validate", str(directory)])
    return result.exit_code, result.stdout.splitlines()


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
