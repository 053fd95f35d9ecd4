"""The simulator's behaviour parameters from ``content/trial/simulation.yaml`` (see its comments for
how each is calibrated against the seed). A broken file stops with ``file: path: what is wrong``."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.errors import ContentError

FILE = Path("trial") / "simulation.yaml"


class PrimaryChange(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    treatment: float
    control: float
    sd: float = Field(gt=0)


class Calibration(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    adherence: float = Field(default=0.85, ge=0.05, le=1)
    dropout: float = Field(default=0.074, ge=0, le=1)
    effect: float = Field(default=1.0, ge=0)
    crossover_accept: float = Field(default=0.8, ge=0, le=1)
    primary_change: PrimaryChange = PrimaryChange(treatment=-6.0, control=-0.6, sd=4.2)
    other_change_sd: float = Field(default=0.55, gt=0)


def load_calibration(content_dir: Path) -> Calibration:
    """The calibration in ``content_dir`` (the defaults above when the file is absent)."""
    file = content_dir / FILE
    if not file.exists():
        return Calibration()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        return Calibration.model_validate(data)
    except yaml.YAMLError as exc:
        raise ContentError([f"{file}: (top): not valid YAML ({exc.__class__.__name__})"]) from None
    except ValidationError as exc:
        raise ContentError(
            [f"{file}: {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}" for err in exc.errors()]
        ) from None
