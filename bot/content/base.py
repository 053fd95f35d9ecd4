"""The basics every content model shares: frozen strict models, ids, texts and times of day."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

# A text is either one string (in the programme's default language) or a mapping language -> text.
LocalText = str | dict[str, str]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def check_hhmm(value: str) -> str:
    if not TIME_PATTERN.match(value):
        raise ValueError(f"{value!r} is not a time of day HH:MM")
    return value


def check_id(value: str) -> str:
    if not ID_PATTERN.match(value):
        raise ValueError(f"{value!r} must be lower_snake_case (a-z, 0-9, _) and start with a letter")
    return value


Ident = Annotated[str, Field(min_length=1, max_length=40)]
