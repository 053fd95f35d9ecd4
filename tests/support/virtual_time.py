"""Fake time for asyncio code that sleeps: an event loop whose clock jumps to the next timer.

``asyncio.sleep`` and ``loop.time()`` are the real functions, so the limiter and the sender run
unchanged; a sleep takes no real time. When the loop has nothing ready it looks for I/O (a database
thread handing back a result) for at most a couple of milliseconds before jumping to the next
timer, so database calls still complete; time measured here is the limits' time, not the machine's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
IO_GRACE = 0.002  # real seconds to wait for I/O before jumping the clock


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._virtual = 0.0
        real_select = self._selector.select  # type: ignore[attr-defined]

        def select(timeout: float | None = None) -> Any:
            events = real_select(0)
            if events or (timeout is not None and timeout <= 0):
                return events
            if timeout is None:  # no timer at all: only I/O can move us on
                return real_select(None)
            events = real_select(min(timeout, IO_GRACE))
            if not events:
                self._virtual += timeout
            return events

        self._selector.select = select  # type: ignore[attr-defined]

    def time(self) -> float:
        return self._virtual


def run_virtual(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run ``main()`` to completion on a fresh virtual-time loop."""
    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(main())


def now() -> float:
    return asyncio.get_running_loop().time()


async def elapse(seconds: float) -> None:
    """Let ``seconds`` of simulated time pass (inside ``run_virtual``: no real time at all). The
    limiter is handed this too, so the test and the code under test wait on the same clock."""
    await asyncio.sleep(seconds)
