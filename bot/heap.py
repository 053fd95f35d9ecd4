"""What lives as long as the process, told to Python's garbage collector.

The content and its indexed safety rules are about a million objects that live until the process
ends. Left as they are, every full collection walks all of them again: a quarter of a second in the
running bot, during which no participant is answered, and a tenth of a simulated trial's time.
``gc.freeze`` moves them out of the collector's sight; anything made later is collected as before.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from bot.content.programme import Programme

YOUNG = 20_000  # first-generation threshold while settled (Python's default is 700)


def freeze_long_lived(programme: Programme) -> None:
    """Index the safety rules of every language now (they are otherwise indexed on first use), collect
    once, and freeze what is left: the bot calls this once its app is built."""
    for language in programme.spec.languages:
        rules = programme.safety_rules(language)
        if rules is not None:
            rules.compiled()
    gc.collect()
    gc.freeze()


@contextmanager
def settled_heap(programme: Programme) -> Iterator[None]:
    """``freeze_long_lived`` for a stretch of work that makes many short-lived objects (a simulated
    trial), with the collector also running less often; both undone afterwards, unless the process
    had frozen its heap already (the running bot): what was frozen before stays frozen."""
    thresholds, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    freeze_long_lived(programme)
    gc.set_threshold(YOUNG, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if not frozen_before:
            gc.unfreeze()
