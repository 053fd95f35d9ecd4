"""``icbt bench``: every benchmark figure from one command, printed as a table, optionally as JSON.

    icbt bench [--quick | --smoke] [--json FILE] [--database-url postgresql+asyncpg://…]

Figures (the JSON keys): the inbound path on SQLite and PostgreSQL, closed loop (events/s) and open
loop at 300 events/s (p99 ms); the 100,000-participant sweep (seconds) and that process's peak RSS;
python-telegram-bot's ConversationHandler + PicklePersistence in the same run; and the sender's
figures when ``benchmarks.sender`` is present. The sweep runs three times, each in its own process,
and its figure is the median. ``--quick`` runs smaller loads and 20,000-participant sweeps scaled
linearly to 100,000 (the table says so); ``--smoke`` the smallest loads and one sweep, for the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks import inbound, ptb_baseline, sender

ROOT = Path(__file__).resolve().parent.parent
KEYS = (
    "engine.sqlite.events_per_s", "engine.postgresql.events_per_s", "engine.sqlite.p99_ms_at_300",
    "engine.postgresql.p99_ms_at_300", "sender.messages_per_s", "sender.http_429", "sweep.seconds_100k",
    "memory.peak_rss_mb_100k", "baseline.ptb.events_per_s",
)  # fmt: skip


async def sweep_in_own_process(participants: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.sweep", "--participants", str(participants),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"sweep benchmark exited with {proc.returncode}")
    return json.loads(out.decode().strip().splitlines()[-1])


async def sender_figures(quick: bool) -> dict[str, float]:
    """The real sender against the loopback fake Bot API with Telegram's limits (``benchmarks.sender``)."""
    result = await sender.measure(quick)
    return {"sender.messages_per_s": result["messages_per_s"], "sender.http_429": result["http_429"]}


SIZES = {  # participants, events each, open-loop seconds, participants swept, sweeps
    "full": (300, 25, 10.0, 100_000, 3),
    "quick": (100, 15, 3.0, 20_000, 3),
    "smoke": (20, 5, 1.0, 2_000, 1),  # the test's size: the command and its keys, not the figures
}


async def sweeps(participants: int, runs: int) -> dict[str, Any]:
    """The sweep ``runs`` times, each in a process of its own: the median of each time (one slow
    moment of a shared machine does not make the figure), the peak of each memory figure."""
    results = [await sweep_in_own_process(participants) for _ in range(runs)]
    summary: dict[str, Any] = {key: statistics.median(r[key] for r in results)
                               for key in ("seconds", "cpu_seconds", "workers_cpu_seconds")}  # fmt: skip
    summary |= {key: max(r[key] for r in results) for key in ("peak_pss_mb", "peak_rss_mb", "main_peak_rss_mb")}
    return summary | {"workers": results[0]["workers"], "runs": sorted(r["seconds"] for r in results)}


async def collect(size: str, postgres_url: str, console: Console) -> tuple[dict[str, float], list[tuple]]:
    participants, events, seconds, swept, runs = SIZES[size]
    quick = size != "full"
    figures: dict[str, float] = {}
    rows: list[tuple[str, str, str, str]] = []
    for name, url in (("sqlite", None), ("postgresql", postgres_url)):
        console.print(f"[dim]inbound on {name}: closed loop …[/dim]")
        closed = await inbound.closed_loop(url, participants, events)
        console.print(f"[dim]inbound on {name}: open loop at 300/s …[/dim]")
        opened = await inbound.open_loop(url, 300, seconds)
        figures[f"engine.{name}.events_per_s"] = round(closed["events_per_s"], 1)
        figures[f"engine.{name}.p99_ms_at_300"] = round(opened["p99_ms"], 1)
        rows.append((f"engine.{name}.events_per_s", f"{closed['events_per_s']:,.0f}", "≥ 1,000",
                     f"{closed['events']} events, {closed['cpu_ms_per_event']:.2f} ms CPU each"))  # fmt: skip
        rows.append((f"engine.{name}.p99_ms_at_300", f"{opened['p99_ms']:,.1f}", "< 50",
                     f"achieved {opened['achieved_per_s']:,.0f}/s, p50 {opened['p50_ms']:,.1f} ms"))  # fmt: skip
    console.print("[dim]python-telegram-bot baseline …[/dim]")
    ptb = await ptb_baseline.measure(participants, events)
    figures["baseline.ptb.events_per_s"] = round(ptb["events_per_s"], 1)
    rows.append(("baseline.ptb.events_per_s", f"{ptb['events_per_s']:,.0f}", "engine ≥ 4×", f"{ptb['events']} updates"))
    times = f", median of {runs}" if runs > 1 else ""
    console.print(f"[dim]sweep over {swept:,} participants (own process{times}) …[/dim]")
    sweep = await sweeps(swept, runs)
    scale = 100_000 / swept
    figures["sweep.seconds_100k"] = round(sweep["seconds"] * scale, 2)
    # The sweeping process and its tick workers together, each shared page counted once (PSS summed).
    figures["memory.peak_rss_mb_100k"] = round(sweep["peak_pss_mb"], 1)
    note = "" if scale == 1 else f" (measured {swept:,}, scaled ×{scale:g})"
    if runs > 1:
        note += f"; median of {', '.join(f'{t * scale:.2f}' for t in sweep['runs'])} s"
    rows.append(("sweep.seconds_100k", f"{sweep['seconds'] * scale:,.2f}", "< 5",
                 f"CPU {sweep['cpu_seconds'] * scale:,.1f} s + workers {sweep['workers_cpu_seconds'] * scale:,.1f} s"
                 f" ({sweep['workers']} workers){note}"))  # fmt: skip
    rows.append(("memory.peak_rss_mb_100k", f"{sweep['peak_pss_mb']:,.0f}", "< 300",
                 f"{swept:,} swept; process + workers, shared pages once; RSS summed {sweep['peak_rss_mb']:,.0f},"
                 f" the process alone {sweep['main_peak_rss_mb']:,.0f}"))  # fmt: skip
    sender = await sender_figures(quick)
    figures.update(sender)
    for key, value in sender.items():
        rows.append((key, f"{value:,.1f}", "≥ 28" if "per_s" in key else "0", "fake Bot API, 50 ms round trip"))
    ratio = figures["engine.sqlite.events_per_s"] / max(figures["baseline.ptb.events_per_s"], 0.001)
    rows.append(("engine.sqlite / baseline", f"{ratio:.1f}×", "≥ 4×", "same run"))
    return figures, rows


async def run_suite(size: str, json_file: Path | None, postgres_url: str) -> dict[str, Any]:
    """Everything, printed as a table; with ``json_file`` the figures as JSON (exactly ``KEYS``)."""
    console = Console(width=120)
    figures, rows = await collect(size, postgres_url, console)
    assert set(figures) == set(KEYS), sorted(set(figures) ^ set(KEYS))
    table = Table(title=f"icbt bench{'' if size == 'full' else ' --' + size}")
    for column in ("figure", "value", "target", "how"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if json_file is not None:
        json_file.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        console.print(f"figures written to {json_file}")
    return figures
