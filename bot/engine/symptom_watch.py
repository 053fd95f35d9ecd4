"""The mood questions between modules: the waiting list answers the symptom instrument at each of its
check-ins, so both arms are watched every second week (the treatment arm answers it inside modules).

Each check-in week is its own administration (the watch module's step named after the programme week):
it is given once, answered once, and a check left unanswered closes when the next one comes, so a late
answer can never be filed under the wrong week. A risk item (PHQ-9 item 9) alerts as anywhere else.
"""

from __future__ import annotations

from datetime import date

from bot.engine.model import Frame
from bot.engine.progress import enter
from bot.engine.turn import Turn


def step_for(turn: Turn, day: date) -> str | None:
    """The watch's step for a check-in on ``day``: ``weekNN`` by the programme week (None: none given)."""
    module_id, start = turn.programme.spec.symptom_watch, turn.state.start_date
    if module_id is None or start is None:
        return None
    step_id = f"week{(day - start).days // 7:02d}"
    return step_id if any(s.id == step_id for s in turn.programme.modules[module_id].steps) else None


def give(turn: Turn, day: date) -> bool:
    """Start the mood questions of the check-in on ``day`` on top of whatever the participant is doing;
    an earlier check still open closes unanswered. Given once: ``trial_calendar.offer_due`` records the
    check-in day in ``state.check_ins`` in the same turn. True when the questions were started."""
    state, module_id = turn.state, turn.programme.spec.symptom_watch
    step_id = step_for(turn, day)
    if module_id is None or step_id is None:
        return False
    for frame in [f for f in state.frames if f.module == module_id]:
        state.frames.remove(frame)
        turn.audit("administration_missed", module=module_id, step=frame.step)
    frame = Frame(module=module_id, step=step_id, detour="step")
    state.frames.append(frame)
    turn.audit("symptom_watch_given", module=module_id, step=step_id)
    enter(turn, frame)
    return True
