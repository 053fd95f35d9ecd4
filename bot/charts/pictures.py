"""The pictures: a participant's own pain diary and practice, a module unlock, the week-8 look back,
and the therapist's week of pain.

Warm and plain: the person's own numbers, their own words from the message catalogue (``ChartWords``),
no statistics, no jargon, large type. Values in (``bot/engine/charts.py``), PNG bytes out
(matplotlib's Agg canvas). Drawn at the edge, when a message is written for sending
(``bot/charts/files.py``), never by the engine.

matplotlib is imported on the first picture drawn, not with this module: a sweep or an inbound
worker that never draws should not carry matplotlib's start-up time and memory (about 100 MB with
its numpy).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.engine.charts import Chart, ChartWords, LookBack, LookBackChart, ProgressChart, UnlockChart

if TYPE_CHECKING:
    from matplotlib.figure import Figure

CALM = "#3d7ea6"
DONE = "#5fa777"
LATER = "#d9dee4"


def new_figure(**kwargs: Any) -> Figure:
    from matplotlib.figure import Figure  # lazily: see the module docstring

    return Figure(**kwargs)


def png(figure: Figure) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazily, as above

    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def progress_chart(
    diary: Sequence[tuple[date, float | None]], homework: Sequence[tuple[str, bool]], words: ChartWords
) -> bytes:
    """The pain diary as a line (missing days left as gaps) and the practice done as ticks (for /progress)."""
    figure = new_figure(figsize=(7, 4.6 if homework else 3.2))
    axes = figure.subplots(2, 1, height_ratios=[3, 2]) if homework else [figure.add_subplot()]
    ax = axes[0]
    if diary:
        days = [d for d, _ in diary]
        ax.plot(days, [float("nan") if v is None else v for _, v in diary], marker="o", color=CALM, linewidth=2)
        figure.autofmt_xdate()
    else:
        ax.text(0.5, 0.5, words.no_entries, ha="center", va="center", fontsize=13, transform=ax.transAxes)
    ax.set_ylim(0, 10)
    ax.set_title(words.diary_title, fontsize=14)
    ax.set_ylabel(words.diary_axis, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    if homework:
        hx = axes[1]
        labels = [label for label, _ in homework]
        hx.barh(labels, [1] * len(homework), color=[DONE if done else LATER for _, done in homework])
        for index, (_, done) in enumerate(homework):
            hx.text(0.5, index, words.done if done else words.not_yet, ha="center", va="center", fontsize=10)
        hx.set_xlim(0, 1)
        hx.set_xticks([])
        hx.invert_yaxis()
        hx.set_title(words.homework_title, fontsize=12)
    return png(figure)


@lru_cache(maxsize=64)
def unlock_chart(number: int, total: int, words: ChartWords) -> bytes:
    """A row of circles: modules behind, the one just opened, the ones still to come.

    Cached: it depends on nothing but its arguments, and a sweep that opens module 3 for a whole
    cohort draws it once, not once a participant (a drawing costs tens of milliseconds).
    """
    if not 1 <= number <= total:
        raise ValueError(f"module {number} of {total} is not a place in the programme")
    figure = new_figure(figsize=(6, 1.5))
    ax = figure.add_subplot()
    for index in range(1, total + 1):
        colour = DONE if index < number else CALM if index == number else LATER
        ax.scatter([index], [0], s=500 if index == number else 260, color=colour, zorder=2)
        ax.text(
            index, 0, str(index), ha="center", va="center", fontsize=9, color="white" if index <= number else "#555"
        )
    ax.plot([1, total], [0, 0], color=LATER, zorder=1, linewidth=3)
    ax.set_xlim(0.4, total + 0.6)
    ax.axis("off")
    ax.set_title(words.unlock_title.format(n=number, total=total), fontsize=12)
    return png(figure)


def look_back_chart(items: Sequence[LookBack], words: ChartWords) -> bytes:
    """The week-8 look back: for each thing, the person's start beside their now, on its own scale."""
    if not items:
        raise ValueError("a look back needs at least one thing to compare")
    figure = new_figure(figsize=(7, 1.1 + 1.2 * len(items)))
    axes = figure.subplots(len(items), 1, squeeze=False)[:, 0]
    for ax, item in zip(axes, items, strict=True):
        ax.barh(
            [words.now, words.start], [item.now - item.low, item.start - item.low], left=item.low, color=[CALM, LATER]
        )
        for y, value in ((0, item.now), (1, item.start)):
            ax.text(value, y, f"  {value:g}", va="center", fontsize=10)
        ax.set_xlim(item.low, item.high)
        ax.set_title(item.label, fontsize=11, loc="left")
        ax.tick_params(labelsize=9)
    figure.suptitle(words.lookback_title, fontsize=13)
    return png(figure)


@dataclass(frozen=True)
class WeekChartWords:
    """The staff's words for a week's pain chart (``content/relay/<lang>.yaml``, ``week_chart_*``)."""

    title: str
    axis: str
    average: str
    worst: str


def week_pain_chart(
    days: Sequence[str], average: Sequence[float | None], worst: Sequence[float | None], words: WeekChartWords
) -> bytes:
    """A participant's week for their therapist: the daily average and worst pain, seven columns, a
    day without an entry left empty (never drawn as zero). Small: it sits under the week's post."""
    figure = new_figure(figsize=(5, 2.4))
    ax = figure.add_subplot()
    x = list(range(len(days)))
    gaps = [[float("nan") if v is None else v for v in series] for series in (average, worst)]
    ax.plot(x, gaps[1], marker="v", color="#c2563a", linewidth=1.5, label=words.worst)
    ax.plot(x, gaps[0], marker="o", color=CALM, linewidth=2, label=words.average)
    ax.set_xticks(x, list(days), fontsize=9)
    ax.set_ylim(0, 10)
    ax.set_ylabel(words.axis, fontsize=9)
    ax.set_title(words.title, fontsize=11)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", frameon=False, ncols=2)
    return png(figure)


def draw(chart: Chart) -> bytes:
    """The picture a chart value asks for."""
    if isinstance(chart, UnlockChart):
        return unlock_chart(chart.number, chart.total, chart.words)
    if isinstance(chart, ProgressChart):
        return progress_chart(chart.diary, chart.homework, chart.words)
    if isinstance(chart, LookBackChart):
        return look_back_chart(chart.items, chart.words)
    raise TypeError(f"no drawing for {type(chart).__name__}")
