"""Real processes in tests: start one, wait for something it does, kill it (no fixed sleeps).

``until`` checks a condition (a file, a database row) and between checks waits on the process's exit
with the event loop's timeout: a process that dies early fails the test at once with its stderr.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def start(*args: str, env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    """``python -m args…`` from the repository root, stdout and stderr captured."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", *args, cwd=ROOT, env={**os.environ, **(env or {})},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def tick(seconds: float = 0.05) -> None:
    """Let ``seconds`` pass on the event loop (a wait on an event nobody sets, bounded by its timeout)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.Event().wait(), timeout=seconds)


async def until(
    check: Callable[[], bool], process: asyncio.subprocess.Process | None = None, timeout: float = 60.0
) -> None:
    """``check`` comes true within ``timeout``; with ``process``, that process must not exit first."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s")
        if process is None or process.returncode is not None:
            await tick()
            continue
        try:
            await asyncio.wait_for(process.wait(), timeout=0.05)
        except TimeoutError:
            continue
        err = (await process.stderr.read()).decode() if process.stderr else ""
        raise AssertionError(f"the process exited ({process.returncode}) first:\n{err[-3000:]}")


async def kill(process: asyncio.subprocess.Process) -> None:
    """SIGKILL: nothing of the process runs after this. Its end is seen when its output pipes close,
    which a child it left behind would hold open: that fails the test instead of waiting forever."""
    process.kill()
    try:
        await asyncio.wait_for(process.wait(), timeout=10)
    except TimeoutError:
        raise AssertionError("killed, but something it started still holds its output open") from None


async def stop(process: asyncio.subprocess.Process, timeout: float = 30.0) -> str:
    """SIGTERM and wait for a clean exit; returns what it logged."""
    process.terminate()
    _, err = await asyncio.wait_for(process.communicate(), timeout=timeout)
    return err.decode()
