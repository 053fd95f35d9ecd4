"""No trial without its primary outcome: the check ``icbt run`` and ``icbt content validate --trial`` make.

The primary outcome (trial.yaml ``primary_outcome``) is a licensed questionnaire whose wording a site
supplies; a trial started without it would randomize people whose main result is never measured.
The check names the one file and slot to fill, in the ``file: path: what is wrong`` form.
"""

from __future__ import annotations

from pathlib import Path

from bot.content.programme import Programme
from bot.content.trial_loader import TRIAL_FILE

GUIDE = "docs/measures.md, 'Licensed slots'"


def primary_outcome_problem(programme: Programme, content_dir: Path, site_dir: Path | None) -> str | None:
    """One line saying why the trial cannot run without its primary outcome, or None when it can."""
    trial = programme.trial
    if trial is None:
        return None
    if trial.primary_outcome is None:
        return f"{content_dir / TRIAL_FILE}: primary_outcome: a trial needs its primary outcome (instrument and scale)"
    instrument = programme.instruments[trial.primary_outcome.instrument]
    empty = next(((i, item) for i, item in enumerate(instrument.items) if not item.text), None)
    if empty is None:
        return None
    index, item = empty
    where = (
        (site_dir / "instruments" / f"{instrument.id}.yaml")
        if site_dir
        else Path("<site_content_dir>") / "instruments" / f"{instrument.id}.yaml"
    )
    return (
        f"{where}: items.{index}.text: the primary outcome {instrument.id}.{trial.primary_outcome.scale} has no "
        f"wording in slot {item.id!r}; the trial cannot run without it (the site supplies the licensed wording: {GUIDE})"
    )
