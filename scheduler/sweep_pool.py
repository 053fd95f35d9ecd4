"""Worker processes for a sweep's ticks: the engine's CPU work on every core, the SQL in one place.

A Python process ticks participants on one core; at 100,000 due at 20:00 that core is the limit.
The pool's workers are forked from the bot's process when it starts sweeping, so they hold the same
engine (programme, policy) and picture writer without pickling them; each receives rows as read and
returns ``TickedChunk``s (``scheduler/sweep_ticks.py``). They never touch the database or the clock.

A worker dies with the process that forked it (``PR_SET_PDEATHSIG``) and keeps none of its sockets:
a killed sweeper's database connections, and with them the sweep lock, close at once.

``fork`` is Linux's start method and what this relies on; where it does not exist (or with
``workers=0``) the sweep ticks in its own process, with the same code.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import multiprocessing
import os
import signal
import stat
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from pathlib import Path

from bot.engine import Engine
from scheduler.sweep_ticks import Pictures, RawRow, TickedChunk, Writes, tick_rows

log = logging.getLogger(__name__)

_engine: Engine | None = None  # in a worker: the engine it was forked with
_pictures: Pictures | None = None
_writes: Writes | None = None


def default_workers() -> int:
    """One worker per core when there is more than one core; none (tick in-process) otherwise."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return cores if cores > 1 else 0


class TickPool:
    def __init__(self, engine: Engine, pictures: Pictures, writes: Writes, workers: int) -> None:
        self.engine, self.pictures, self.writes = engine, pictures, writes
        self.workers = workers if "fork" in multiprocessing.get_all_start_methods() else 0
        self._executor: ProcessPoolExecutor | None = None

    @property
    def enabled(self) -> bool:
        return self.workers > 0

    def start(self) -> None:
        """Fork the workers now (at start-up, while the process is small and has few threads)."""
        if self._executor is None and self.enabled:
            self._executor = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_init_worker,
                initargs=(self.engine, self.pictures, self.writes, os.getpid()),  # inherited through fork
            )
            self._executor.submit(_alive)  # the executor forks its workers on the first task: now

    def submit(self, rows: Sequence[RawRow], now: datetime) -> Future[TickedChunk]:
        self.start()
        assert self._executor is not None
        return self._executor.submit(_tick, list(rows), now)

    def pids(self) -> list[int]:
        """The workers' process ids (the benchmark samples their memory)."""
        executor = self._executor
        return list(getattr(executor, "_processes", None) or {}) if executor is not None else []

    def restart(self) -> None:
        """After a worker died (``BrokenProcessPool``): the next chunk forks a new pool. The broken
        pool's other chunks are not cancelled: they fail with ``BrokenProcessPool`` too, and each is
        ticked in the sweeping process when its turn to be written comes (a pool forked meanwhile,
        which is not broken, is kept)."""
        if self._executor is None:
            return
        try:
            self._executor.submit(_alive).result()
        except BrokenProcessPool:
            self._executor.shutdown(wait=True, cancel_futures=False)
            self._executor = None

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None


def _init_worker(engine: Engine, pictures: Pictures, writes: Writes, parent: int) -> None:
    global _engine, _pictures, _writes
    die_with_parent(parent)
    drop_inherited_sockets()
    _engine, _pictures, _writes = engine, pictures, writes
    gc.freeze()  # what the worker inherited is never garbage: the collector need not scan it


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def die_with_parent(parent: int) -> None:
    """The kernel sends this worker SIGKILL when the process that forked it dies (Linux ``prctl``); a
    parent that died before that call is noticed by its pid. Elsewhere the pool's own pipes end it."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        log.debug("prctl is not available; the worker ends when its pool's pipes close")
    if os.getppid() != parent:
        signal.raise_signal(signal.SIGKILL)  # the parent is gone already: go at once, like its death signal


def drop_inherited_sockets() -> None:
    """A forked worker holds a copy of every socket of its parent, the database connections among them:
    while it lives, a dead parent's connection (and the sweep lock it held) would stay open. Each is
    pointed at /dev/null instead (not closed: the number stays taken, so nothing reuses it). The pool
    talks to its workers over pipes, which are kept."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return
    null = os.open(os.devnull, os.O_RDWR)
    try:
        for entry in fds.iterdir():
            fd = int(entry.name)
            try:
                if fd != null and stat.S_ISSOCK(os.fstat(fd).st_mode):
                    os.dup2(null, fd)
            except OSError:  # the directory's own descriptor, gone already
                continue
    finally:
        os.close(null)


def _alive() -> bool:
    return True


def _tick(rows: list[RawRow], now: datetime) -> TickedChunk:
    assert _engine is not None and _pictures is not None and _writes is not None
    return tick_rows(_engine, rows, now, _pictures, _writes)
