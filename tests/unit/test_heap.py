"""The content and its safety rules frozen for the garbage collector (``bot/heap.py``)."""

from __future__ import annotations

import gc

from bot.content.programme import Programme
from bot.heap import freeze_long_lived, settled_heap


def test_a_run_freezes_its_content_for_the_collector_and_leaves_the_collector_as_it_found_it(
    programme: Programme,
) -> None:
    before = gc.get_threshold()
    with settled_heap(programme):
        assert gc.get_freeze_count() > 100_000, "the content and the indexed rules are frozen"
        assert gc.get_threshold()[0] > before[0]
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_the_bot_indexes_every_languages_rules_before_freezing_them(programme: Programme) -> None:
    try:
        freeze_long_lived(programme)
        for language in programme.spec.languages:
            rules = programme.safety_rules(language)
            assert rules is None or rules._compiled is not None, f"{language}: indexed before the freeze"
        assert gc.get_freeze_count() > 100_000
    finally:
        gc.unfreeze()


def test_a_run_in_a_process_that_froze_its_heap_leaves_it_frozen(programme: Programme) -> None:
    try:
        freeze_long_lived(programme)
        with settled_heap(programme):
            pass
        assert gc.get_freeze_count() > 100_000, "what the process froze before the run stays frozen"
    finally:
        gc.unfreeze()
