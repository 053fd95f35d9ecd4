"""The report's figures as PNG bytes (matplotlib's Agg canvas; no pyplot, no global state)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from matplotlib.figure import Figure

from bot.charts.pictures import png
from bot.measures.analysis import ARMS, PrePost
from bot.measures.power import PowerPoint

COLOURS = {"treatment": "#1f77b4", "control": "#ff7f0e"}


def prepost_plot(rows: Sequence[PrePost], title: str) -> bytes:
    figure = Figure(figsize=(5, 3.4))
    ax = figure.add_subplot()
    for row in rows:
        if row.pre is None or row.post is None:
            continue
        ax.errorbar([0, 1], [row.pre[0], row.post[0]], yerr=[row.pre[1] / row.n_pre**0.5, row.post[1] / row.n_post**0.5],
                    marker="o", capsize=4, label=f"{row.arm} (n = {row.n_pre}/{row.n_post})", color=COLOURS[row.arm])  # fmt: skip
    ax.set_xticks([0, 1], ["pre", "post"])
    ax.set_xlim(-0.3, 1.3)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("mean ± SE")
    ax.legend(fontsize=8)
    return png(figure)


def trajectories(series: Mapping[tuple[str, str], Sequence[tuple[int, float]]], windows: tuple[str, str]) -> bytes:
    """Mean daily average pain by arm over the baseline and the post diary windows."""
    figure = Figure(figsize=(8, 3.2))
    axes = figure.subplots(1, 2, sharey=True)
    for ax, window in zip(axes, windows, strict=True):
        for arm in ARMS:
            points = series.get((arm, window), [])
            if points:
                ax.plot([d for d, _ in points], [v for _, v in points], marker=".", label=arm, color=COLOURS[arm])
        ax.set_title(f"pain diary: {window}", fontsize=10)
        ax.set_xlabel("day of the window")
        ax.set_ylim(0, 10)
    axes[0].set_ylabel("average pain (0–10)")
    if series:
        axes[0].legend(fontsize=8)
    return png(figure)


def completion_bars(rows: Sequence[tuple[str, int, int, int]]) -> bytes:
    figure = Figure(figsize=(7, 3))
    ax = figure.add_subplot()
    names = [r[0] for r in rows]
    ax.bar(names, [100 * r[3] / r[1] if r[1] else 0 for r in rows], color=COLOURS["treatment"])
    ax.set_ylim(0, 100)
    ax.set_ylabel("% of treated completing")
    ax.set_title("module completion (treatment arm)", fontsize=10)
    ax.tick_params(axis="x", labelsize=8)
    return png(figure)


def reliable_bars(counts: Mapping[str, Mapping[str, int]], n: Mapping[str, int], title: str) -> bytes:
    """Share of each arm reliably improved, unchanged and deteriorated (stacked, in %)."""
    figure = Figure(figsize=(5, 2.6))
    ax = figure.add_subplot()
    left = dict.fromkeys(ARMS, 0.0)
    for category, colour in (("improved", "#2a9d8f"), ("no reliable change", "#c9ced6"), ("deteriorated", "#e76f51")):
        shares = [100 * counts[arm].get(category, 0) / n[arm] if n[arm] else 0 for arm in ARMS]
        ax.barh(list(ARMS), shares, left=[left[a] for a in ARMS], color=colour, label=category)
        for arm, share in zip(ARMS, shares, strict=True):
            left[arm] += share
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of the arm")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return png(figure)


def power_curve(points: Sequence[PowerPoint]) -> bytes:
    """Power against the number randomized, with Wilson 95 % intervals and the 80 % line."""
    figure = Figure(figsize=(5, 3.4))
    ax = figure.add_subplot()
    xs = [p.participants for p in points]
    ys = [p.power for p in points]
    low = [p.power - p.interval[0] for p in points]
    high = [p.interval[1] - p.power for p in points]
    ax.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=4, color=COLOURS["treatment"])
    ax.axhline(0.8, color="#888", linestyle="--", linewidth=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("randomized")
    ax.set_ylabel("power (p < 0.05)")
    ax.set_title("simulated power of the primary analysis", fontsize=10)
    return png(figure)
