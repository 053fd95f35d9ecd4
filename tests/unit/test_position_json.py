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
    assert position["prefs"] == {k: v for k, v in asdict(state.prefs).items() if v}, "defaults left out"
    again = ParticipantState(code="P-1", language="en", timezone="Europe/Stockholm")
    again.load_position(position)
    assert again.frames == state.frames and again.prefs == state.prefs


def test_values_that_read_back_as_defaults_are_left_out_and_the_rest_round_trips():
    state = ParticipantState(code="P-1", language="en", timezone="Europe/Stockholm", finished=["welcome"],
                             reminder_count=2, applying={}, held=True)  # fmt: skip
    position = state.position_json()
    assert set(position) == {"finished", "reminder_count", "applying", "held"}, "empty, null, false and 0 left out"
    again = ParticipantState(code="P-1", language="en", timezone="Europe/Stockholm")
    again.load_position(position)
    assert again == state
    assert again.applying == {}, "applying with nothing answered yet is not the same as not applying"


def test_every_field_of_the_position_round_trips():
    from dataclasses import fields
    from datetime import date

    state = ParticipantState(
        code="P-1", language="en", timezone="Europe/Stockholm", status="active", paused=True,
        start_date=date(2026, 1, 5), frames=[Frame("week01", "intro", draft={"a": [1]})], finished=["welcome"],
        announced=["welcome", "week01"], daily_offered={"k": "2026-01-06"}, daily_done={"k": "2026-01-05"},
        daily_days={"k": ["2026-01-05"]}, held=True, reports={"week01": {"done": True}},
        log={"week01": {"numbers": {"x": [1]}}}, prefs=Preferences(reminder_time="19:30", daily_cap=1),
        snoozed={"k": "2026-01-06T19:00:00+00:00"}, reminded_on="2026-01-06", reminder_count=2, held_days=3,
        paused_on="2026-01-06", awaiting="reminder_time", confirming="a1b2", applying={"age": 40}, trial_stage="applied",
        arm="treatment", allocated_on=date(2026, 1, 5), check_ins=["2026-01-19"], crossover="offered",
        consent_given={"version": "v3", "at": "2026-01-05T07:00:00+00:00"}, planned=[{"at": "x", "text": "y"}],
        held_reason="thoughts or intent of suicide (urgent), diary", country="GB",
        safety_contact={"phone": "070-1234567", "doctor": "Centrum health centre"},
    )  # fmt: skip
    columns = {"code", "language", "timezone", "status", "paused", "start_date"}
    position = state.position_json()
    assert set(position) == {f.name for f in fields(ParticipantState)} - columns, "every field is written"
    again = ParticipantState(code="P-1", language="en", timezone="Europe/Stockholm", status="active", paused=True,
                             start_date=date(2026, 1, 5))  # fmt: skip
    again.load_position(position)
    assert again == state
    loaded = ParticipantState.loaded(position, code="P-1", language="en", timezone="Europe/Stockholm",
                                     status="active", paused=True, start_date=date(2026, 1, 5))  # fmt: skip
    assert loaded == state and vars(loaded).keys() == vars(state).keys(), "built directly, every field set"


def test_a_state_loaded_without_the_optional_columns_has_their_defaults_and_without_a_code_fails():
    import pytest

    loaded = ParticipantState.loaded(None, code="P-1", language="en", timezone="Europe/Stockholm")
    assert loaded == ParticipantState(code="P-1", language="en", timezone="Europe/Stockholm")
    with pytest.raises(TypeError, match="code"):
        ParticipantState.loaded(None, language="en", timezone="Europe/Stockholm")
