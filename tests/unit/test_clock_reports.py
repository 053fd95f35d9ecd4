"""The weekly report's reminder kind on the participant's clock: offered at 19:00 local on the
report day in Europe/Stockholm and America/New_York, also when that day is a daylight-saving change
(the other reminder kinds: tests/unit/test_participant_clock.py)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from tests.support import Participant, finish_current_module
from tests.support.clock import AUTUMN_CHANGES, SPRING_CHANGES, at, local, started, sweep_through


@pytest.mark.parametrize(("tz", "change_day"), SPRING_CHANGES + AUTUMN_CHANGES)
def test_the_weekly_report_comes_at_19_00_local_on_a_change_day_and_once(programme, tz, change_day):
    # The first weekly module (week 2) opens on the Monday six days before the change (a Sunday); its
    # report is due that Sunday evening.
    p = started(programme, tz, change_day - timedelta(days=20))

    def do_the_module(q: Participant) -> None:
        if q.state.frame is not None and not q.state.frame.daily and q.state.frame.detour is None:
            finish_current_module(q)

    sent = sweep_through(p, at(change_day + timedelta(days=1), 12, 0, tz), react=do_the_module)
    reports = [local(t, tz) for t, o in sent if o.dedup_key and o.dedup_key.startswith("report:")]
    assert [(t.date(), t.time()) for t in reports] == [(change_day, time(19, 0))]
