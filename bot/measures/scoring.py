"""Score a questionnaire from its answers, exactly as the instrument's YAML says.

The rules (items per scale, reverse items, item values, sums or means, how many missing items may be
prorated, bands, cut-offs, alert items) live in content so a researcher can read and check them; this
module only applies them. Values in, a ``Score`` out: no storage, no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.content.schema import Instrument, InstrumentItem, Scale


class ScoringError(ValueError):
    """An answer that cannot belong to this instrument (unknown item, out of range)."""


@dataclass(frozen=True)
class ScaleScore:
    value: float | None  # None: too many items missing to score
    items_missing: tuple[str, ...]
    prorated: bool
    band: str | None
    screen_positive: bool | None


@dataclass(frozen=True)
class Score:
    """One administration's result: the total (primary scale), every scale, and what was missing."""

    instrument: str
    total: float | None
    band: str | None
    items_missing: tuple[str, ...]
    prorated: bool
    screen_positive: bool | None
    alerts: tuple[str, ...]  # item ids whose answer reached the item's alert_at
    scales: Mapping[str, ScaleScore] = field(default_factory=dict)

    @property
    def subscales(self) -> dict[str, float | None]:
        return {name: s.value for name, s in self.scales.items()}


def item_value(item: InstrumentItem, answer: int, reverse: bool = False) -> float:
    """The scored value of one answer: checked against the response format, reversed (by the item, or
    by the scale when ``reverse``) and mapped as the item says."""
    if isinstance(answer, bool) or not isinstance(answer, int | float) or int(answer) != answer:
        raise ScoringError(f"item {item.id!r}: answer {answer!r} is not a whole number")
    answer = int(answer)
    if not item.min <= answer <= item.max:
        raise ScoringError(f"item {item.id!r}: answer {answer} is outside {item.min}..{item.max}")
    if answer not in item.answers:
        raise ScoringError(f"item {item.id!r}: answer {answer} is not one of {list(item.answers)}")
    if item.values is not None:
        value = float(item.values[answer])
        low, high = min(item.values.values()), max(item.values.values())
        return low + high - value if item.reverse or reverse else value
    if item.reverse or reverse:
        answer = item.min + item.max - answer
    return float(answer)


def score(instrument: Instrument, answers: Mapping[str, int]) -> Score:
    """Score ``answers`` (item id -> answer; unanswered items absent or None)."""
    by_id = {item.id: item for item in instrument.items}
    unknown = sorted(set(answers) - set(by_id))
    if unknown:
        raise ScoringError(f"{instrument.id}: no item {unknown[0]!r}")
    values = {k: item_value(by_id[k], v) for k, v in answers.items() if v is not None}
    scales = {}
    for scale in instrument.scales:
        flipped = {k: item_value(by_id[k], answers[k], reverse=True) for k in scale.reverse if k in values}
        scales[scale.id] = _scale(instrument, scale, values | flipped)
    total_scale = instrument.total_scale
    total = scales[total_scale.id] if total_scale else None
    missing = tuple(item.id for item in instrument.items if item.id not in values)
    alerts = tuple(
        item.id
        for item in instrument.items
        if item.alert_at is not None and answers.get(item.id) is not None and answers[item.id] >= item.alert_at
    )
    return Score(
        instrument=instrument.id,
        total=total.value if total else None,
        band=total.band if total else None,
        items_missing=missing,
        prorated=any(s.prorated for s in scales.values()),
        screen_positive=total.screen_positive if total else None,
        alerts=alerts,
        scales=scales,
    )


def _scale(instrument: Instrument, scale: Scale, values: Mapping[str, float]) -> ScaleScore:
    items = instrument.scale_items(scale)
    if scale.method == "weighted_mean":
        # An area counts when both its weight and its value are answered; areas of weight 0 are not
        # part of the person's life that matters to them and are left out of the mean.
        missing = tuple(i.id for i in items if i.id not in values or (i.weight or "") not in values)
        weights = {i.id: values[i.weight or ""] for i in items if i.id not in missing}
        rated = [values[item_id] * weight for item_id, weight in weights.items() if weight > 0]
        if len(missing) > scale.max_missing or not rated:
            # No area rated important: there is nothing to weigh, so no score (not a neutral 0).
            return ScaleScore(None, missing, False, None, None)
        return _finish(scale, sum(rated) / len(rated), missing)
    missing = tuple(i.id for i in items if i.id not in values)
    if len(missing) > scale.max_missing:
        return ScaleScore(None, missing, False, None, None)
    answered = [values[i.id] for i in items if i.id in values]
    mean = sum(answered) / len(answered)
    value = mean * len(items) if scale.method == "sum" else mean
    return _finish(scale, value, missing)


def _finish(scale: Scale, value: float, missing: tuple[str, ...]) -> ScaleScore:
    value = round(value, 4)
    return ScaleScore(
        value=value,
        items_missing=missing,
        prorated=bool(missing),
        band=band_of(scale, value),
        screen_positive=scale.positive(value),
    )


def band_of(scale: Scale, value: float) -> str | None:
    """The label of the highest band whose ``min`` is at or below ``value``."""
    label = None
    for band in scale.bands:
        if value >= band.min:
            label = band.label
    return label
