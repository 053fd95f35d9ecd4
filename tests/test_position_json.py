"""The stored position is what ``dataclasses.asdict`` would give, written without its cost."""

from __future__ import annotations

from dataclasses import asdict

from bot.engine.model import Frame, ParticipantState, Preferences


def test_a_frame_and_the_preferences_serialise_as_asdict_does():
    frame = Frame("week02", "goals", daily="diary", day="2026-03-29", part=2, stage="log", entry="e1",
                  draft={"pain": 4, "notes": ["a", {"b": 1}]}, detour="step")  # fmt: skip
    assert frame.as_json() == asdict(frame)
    assert frame.as_json()["draft"] is not frame.draft, "a copy, as asdict makes"
    state = ParticipantState(code="P-1", language="en", timezone="Europe/Stockholm", frames=[frame, Frame("m", "s")])
    state.prefs = Preferences(reminder_time="20:00", quiet_from="22:00", quiet_until="07:00", daily_cap=2)
    position = state.position_json()
    assert position["frames"] == [asdict(f) for f in state.frames]
    assert position["prefs"] == asdict(state.prefs)
    again = ParticipantState(code="P-1", language="en", timezone="Europe/Stockholm")
    again.load_position(position)
    assert again.frames == state.frames and again.prefs == state.prefs
