"""The demo's stand-in wording for the trial's primary outcome, so ``icbt demo`` walks the whole trial.

The primary outcome (trial.yaml ``primary_outcome``, the licensed CSQ catastrophizing subscale) ships
without its wording, and a questionnaire without wording is skipped: the demo would never show the
trial's main measure. When no site supplies wording (``site_content_dir`` unset), the demo writes a
site overlay of that one instrument whose statements say plainly that they are a stand-in, not the
licensed wording, and runs with it. ``icbt run`` never does this: it refuses a trial whose primary
outcome has no wording (``bot/measures/primary_outcome.py``). Only the YAML is read here, not the
whole programme, so the demo starts no slower.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.content.trial_loader import TRIAL_FILE
from bot.settings import Settings

STAND_IN = "Stand-in statement {n} of {title}, for the demo only (not the licensed wording, which a site supplies)"


def _read(file: Path) -> Any:
    return yaml.safe_load(file.read_text(encoding="utf-8")) if file.is_file() else None


def stand_in_settings(settings: Settings, folder: Path) -> Settings:
    """``settings`` with a stand-in site overlay for the primary outcome written into ``folder``; the
    same settings when a site supplies its own wording, or there is no trial or no primary outcome."""
    if settings.site_content_dir is not None:
        return settings
    trial = _read(settings.content_dir / TRIAL_FILE)
    primary = (trial or {}).get("primary_outcome") or {}
    instrument = _read(settings.content_dir / "instruments" / f"{primary.get('instrument')}.yaml")
    if not instrument or instrument.get("licence") != "licensed":
        return settings
    title = instrument.get("title", instrument["id"])
    title = title if isinstance(title, str) else next(iter(title.values()))
    items = [{"id": item["id"], "text": STAND_IN.format(n=n, title=title)}
             for n, item in enumerate(instrument.get("items") or [], start=1)]  # fmt: skip
    (folder / "instruments").mkdir(parents=True, exist_ok=True)
    data = {"id": instrument["id"], "items": items}
    (folder / "instruments" / f"{instrument['id']}.yaml").write_text(yaml.safe_dump(data, sort_keys=False),
                                                                     encoding="utf-8")  # fmt: skip
    return settings.model_copy(update={"site_content_dir": folder})
