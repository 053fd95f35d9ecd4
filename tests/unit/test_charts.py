"""The participant's charts render from plain values, in the participant's own words."""

from __future__ import annotations

import struct
from datetime import date, timedelta

import pytest

from bot.charts.pictures import look_back_chart, progress_chart, unlock_chart
from bot.content.programme import Programme
from bot.engine.charts import ChartWords, LookBack


def size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


@pytest.fixture
def words(programme: Programme) -> ChartWords:
    return ChartWords.from_messages(lambda key: programme.msg("en", key))


def test_words_come_from_the_message_catalogue(words: ChartWords):
    assert words.diary_title == "Your pain diary"
    assert words.unlock_title.format(n=3, total=8) == "Module 3 of 8 is open"


def test_progress_chart_shows_diary_with_gaps_and_homework(words: ChartWords):
    first = date(2026, 1, 5)
    diary = [(first + timedelta(days=i), None if i == 3 else float(6 - i % 4)) for i in range(14)]
    homework = [("Breathing practice", True), ("Activity plan", False), ("Thought diary", True)]
    chart = progress_chart(diary, homework, words)
    width, height = size(chart)
    assert 400 < width < 1200 and 250 < height < 800
    without_homework = progress_chart(diary, [], words)
    assert size(without_homework)[1] < height
    assert chart != progress_chart(diary, [("Breathing practice", False)], words)


def test_progress_chart_with_no_entries_yet_still_renders(words: ChartWords):
    width, height = size(progress_chart([], [], words))
    assert width > 300 and height > 150


def test_unlock_chart_for_every_place_and_never_outside(words: ChartWords):
    charts = [unlock_chart(n, 8, words) for n in range(1, 9)]
    assert len(set(charts)) == 8
    assert all(size(c)[0] > 300 for c in charts)
    with pytest.raises(ValueError, match="not a place"):
        unlock_chart(9, 8, words)


def test_week_8_look_back_compares_their_own_start_and_now(words: ChartWords):
    items = [LookBack("Average pain", 6.5, 4.0, 0, 10), LookBack("Worrying thoughts about pain", 18, 9, 0, 36)]
    chart = look_back_chart(items, words)
    width, height = size(chart)
    assert width > 400 and height > size(look_back_chart(items[:1], words))[1]
    with pytest.raises(ValueError, match="at least one"):
        look_back_chart([], words)
