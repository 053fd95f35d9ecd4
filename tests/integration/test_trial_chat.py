"""The trial in the chat, through the real service on SQLite and PostgreSQL: a newcomer goes from /start
through the welcome to the application and the screens, and is told the result in the content's words;
nobody sees the consent before a therapist's include."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bootstrap import bootstrap
from bot.engine import Inbound
from bot.errors import TrialStateError
from bot.relay import confirm
from bot.settings import Settings
from bot.storage.models import AuditEntry, Consent, OutboxMessage, Participant, RelayItem
from bot.storage.tables_measures import ScoreRow
from bot.storage.tables_relay import StaffConfirmation
from bot.storage.tables_trial import TrialAllocation, TrialApplication, TrialInterview, TrialWithdrawal
from bot.trial.service import TrialService
from tests.conftest import ROOT
from tests.support.chat import CHAT, Driver
from tests.support.relay import ANNA, relay_config, relay_service, staff_msg
from tests.support.trial import SEED
from tests.support.trial_chat import (
    TYPED,
    answer_on,
    apply,
    baseline_finished,
    consent_shown,
    include_and_agree,
    through_welcome,
    to_allocation,
    to_consent,
    told,
)


@pytest.fixture
def trial(trial_chat) -> TrialService:
    return trial_chat.trial


async def test_a_newcomer_goes_from_start_to_the_to_interview_message(db, programme, chat, transport):
    await through_welcome(chat, programme)
    # The consent is not shown after the welcome: the application comes first.
    assert not any("I agree to take part" in str(p["buttons"]) for p in transport.sent[CHAT])
    await apply(chat, programme, TYPED)
    texts = transport.texts(CHAT)
    assert texts[-2] == programme.msg("en", "trial.applied")
    assert texts[-1] == programme.text(programme.trial.words.to_interview, "en")
    async with db.reading() as session:
        application = await session.scalar(select(TrialApplication))
        assert application.status == "to_interview" and application.eligible
        assert application.answers["age"] == 47 and application.answers["sick_leave_months"] == 2
        assert application.answers["phq9"] == {f"q{i}": 0 for i in range(1, 10)}
        assert await session.scalar(select(Consent)) is None
    async with db.reading() as session:  # the interview is a task for the participant's topic
        task = await session.scalar(select(RelayItem).where(RelayItem.kind == "interview"))
    assert task.status == "open" and "P-0001" in task.text and "Contact: 070-123 45 67; Weekday mornings" in task.text
    # Back later: no consent yet, only where things stand.
    await chat.send(Inbound(kind="command", text="start"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.start_waiting")
    assert not any("I agree to take part" in str(p["buttons"]) for p in transport.sent[CHAT])


async def test_the_phone_is_asked_once_and_serves_the_interview_and_the_safety_net(db, programme, chat, transport):
    await through_welcome(chat, programme)
    await apply(chat, programme, TYPED)
    asked = [t for t in transport.texts(CHAT) if "phone number" in t or "number and a good time" in t]
    assert len(asked) == 1, asked
    assert "interview" in asked[0] and "safety" in asked[0], "the question says what the number is for"
    assert any("health centre" in t for t in transport.texts(CHAT)), "the GP question is still asked"
    async with db.reading() as session:
        application = await session.scalar(select(TrialApplication))
        state = await session.scalar(select(Participant))
    assert application.contact == "070-123 45 67; Weekday mornings"
    assert (state.position or {}).get("safety_contact", {}).get("phone") == "070-123 45 67"


async def test_a_bad_answer_is_asked_again_and_loses_nothing(db, programme, chat, transport):
    await through_welcome(chat, programme)
    await chat.send(Inbound(kind="text", text="forty"))
    texts = transport.texts(CHAT)
    assert texts[-1] == programme.text(programme.trial.questions[0].text, "en")
    assert texts[-2] == programme.msg("en", "reprompt.number", min="0", max="120")
    await apply(chat, programme, TYPED)
    assert transport.texts(CHAT)[-1] == programme.text(programme.trial.words.to_interview, "en")


async def test_not_eligible_gets_the_reason_and_where_to_seek_help(db, programme, chat, transport):
    await through_welcome(chat, programme)
    await apply(chat, programme, {**TYPED, "age": "66"})
    last = transport.texts(CHAT)[-1]
    spec = programme.trial
    assert last.startswith(programme.text(spec.not_eligible_intro, "en"))
    assert programme.text(spec.criteria[0].not_eligible, "en") in last
    assert programme.text(spec.seek_help, "en") in last
    async with db.reading() as session:
        assert (await session.scalar(select(TrialApplication.status))) == "not_eligible"
        row = await session.scalar(select(Participant))
        assert row.position["trial_stage"] == "not_eligible"
    await chat.send(Inbound(kind="command", text="start"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.start_not_eligible")


async def test_a_risk_answer_in_the_screen_starts_the_safety_protocol(db, programme, chat, transport):
    await through_welcome(chat, programme)
    await apply(chat, programme, TYPED, mood=1)  # "several days" on every item, item 9 included
    texts = transport.texts(CHAT)
    assert any("112" in t and "get in touch with you today" in t for t in texts), "a concern: resources, same day"
    async with db.reading() as session:
        items = (await session.scalars(select(RelayItem))).all()
        assert [i.kind for i in items] == ["concern"] and items[0].source == "safety:phq9.q9"
    assert transport.texts(CHAT)[-1].startswith(programme.text(programme.trial.not_eligible_intro, "en"))
    async with db.reading() as session:
        application = await session.scalar(select(TrialApplication))
        assert not application.eligible and application.result["reasons"][0]["risk"]


async def test_the_safety_gate_screens_what_an_applicant_types(db, programme, chat, transport):
    await through_welcome(chat, programme)
    question = programme.text(programme.trial.questions[0].text, "en")
    await chat.send(Inbound(kind="text", text="I want to kill myself"))
    texts = transport.texts(CHAT)
    assert "112" in texts[-2] and texts[-1] == programme.msg("en", "safety.hold"), "no re-prompt for a number"
    async with db.reading() as session:
        item = await session.scalar(select(RelayItem))
        assert item.kind == "safety" and item.source == "safety:application"
        audit = (await session.scalars(select(AuditEntry.action))).all()
        assert "safety_alert" in audit
    await chat.press("Carry on when I'm ready")
    assert transport.texts(CHAT)[-1] == question, "the same question again, nothing lost"
    await apply(chat, programme, TYPED)
    assert transport.texts(CHAT)[-1] == programme.text(programme.trial.words.to_interview, "en")


async def test_the_consent_comes_only_after_the_therapists_include(db, programme, chat, trial_chat, sender, transport):
    await through_welcome(chat, programme)
    with pytest.raises(TrialStateError):  # still applying: no interview expected yet
        await trial_chat.record_interview("P-0001", "include", None, by="therapist:1")
    await apply(chat, programme, TYPED)
    await chat.send(Inbound(kind="text", text="when will you call?"))  # goes to the team, no consent
    assert not consent_shown(transport)
    await trial_chat.record_interview("P-0001", "include", None, by="therapist:1")
    await sender.drain()
    assert programme.text(programme.trial.words.included, "en") in transport.texts(CHAT)
    for _ in range(10):  # the consent module's pages, then its "I agree"
        if consent_shown(transport):
            break
        await chat.press()
    await chat.press("I agree to take part")
    async with db.reading() as session:
        consent = await session.scalar(select(Consent))
        assert consent.agreed and consent.version


async def test_interviewed_in_the_staff_group_reaches_the_participant_through_the_relay(
    db, programme, clock, chat, trial_chat, sender, transport
):
    relay = relay_service(db, clock, programme, relay_config(), wake=sender.wake.set)
    trial_chat.register(relay.registry)
    await through_welcome(chat, programme)
    await relay.handle_staff(staff_msg("/interviewed P-0001 include"))  # too early: told, nothing changes
    await sender.drain()
    assert "an interview outcome is not expected" in transport.texts("staff")[-1] and not consent_shown(transport)
    await apply(chat, programme, TYPED)
    await relay.handle_staff(staff_msg("/interviewed P-0001 maybe"))
    await sender.drain()
    assert "include or exclude" in transport.texts("staff")[-1] and not consent_shown(transport)
    await relay.handle_staff(staff_msg("/interviewed P-0001 include", user=ANNA))
    await sender.drain()
    assert transport.texts("staff")[-1].startswith(programme.msg("en", "trial.staff_interviewed_include",
                                                                 code="P-0001"))  # fmt: skip
    assert programme.text(programme.trial.words.included, "en") in transport.texts(CHAT)
    for _ in range(10):
        if consent_shown(transport):
            break
        await chat.press()
    assert consent_shown(transport)
    async with db.reading() as session:
        interview = await session.scalar(select(TrialInterview))
        assert (interview.outcome, interview.by) == ("include", f"therapist:{ANNA}")
        actions = await session.scalars(select(AuditEntry.action).where(AuditEntry.actor == f"therapist:{ANNA}"))
        assert {"interviewed", "staff_command"} <= set(actions.all())


async def test_an_exclusion_is_told_kindly_and_no_consent_follows(db, programme, chat, trial_chat, sender, transport):
    await through_welcome(chat, programme)
    await apply(chat, programme, TYPED)
    await trial_chat.record_interview("P-0001", "exclude", "prefers other care", by="therapist:1")
    await sender.drain()
    assert transport.texts(CHAT)[-1] == programme.text(programme.trial.words.excluded, "en")
    await chat.send(Inbound(kind="command", text="start"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.start_not_eligible")
    assert not consent_shown(transport)


async def test_consent_then_baseline_then_the_draw_is_told_and_the_treatment_calendar_runs(
    db, programme, chat, trial_chat, sender, transport, clock
):
    await to_consent(chat, programme, trial_chat, sender, transport, "treatment")
    texts = transport.texts(CHAT)
    assert programme.msg("en", "trial.baseline_first") in texts
    baseline = programme.text(programme.modules["baseline"].title, "en")
    assert any(baseline in t for t in texts)
    await answer_on(chat, lambda: baseline_finished(db))
    await chat.service.tick_due()
    async with db.reading() as session:
        assert await session.scalar(select(TrialAllocation)) is None, "no draw before the two weeks of baseline"
        row = await session.scalar(select(Participant))
        scored = {s.step_id for s in await session.scalars(select(ScoreRow))}
    assert {"phq9", "pain_rating", "gad7"} <= scored, "baseline questionnaires answered before the draw"
    assert not any(told(programme, arm) in t for t in transport.texts(CHAT) for arm in ("treatment", "waiting_list"))
    consented_on = row.start_date
    clock.advance(timedelta(days=14, hours=10))
    await chat.service.tick_due()
    await sender.drain()
    texts = transport.texts(CHAT)
    at = next(i for i, t in enumerate(texts) if t.strip() == told(programme, "treatment"))
    async with db.reading() as session:
        allocation = await session.scalar(select(TrialAllocation))
        row = await session.scalar(select(Participant))
    assert allocation.arm == "treatment" and row.status == "active"
    assert row.start_date == consented_on and (allocation.allocated_on - consented_on).days == 14
    week2 = programme.text(programme.modules["week02"].title, "en")
    assert not any(week2 in t for t in texts[:at])
    assert any(week2 in t for t in texts[at:]), "module 1 opens right after the draw, in week 2"


async def test_an_unfinished_baseline_is_closed_when_its_window_ends_and_the_draw_goes_ahead(
    db, programme, chat, trial_chat, sender, transport, clock
):
    await to_consent(chat, programme, trial_chat, sender, transport, "treatment")
    clock.advance(timedelta(days=14, hours=10))
    await chat.service.tick_due()
    async with db.reading() as session:
        assert await session.scalar(select(TrialAllocation)) is None, "the baseline still has a week"
    clock.advance(timedelta(days=7))
    await chat.service.tick_due()
    await sender.drain()
    async with db.reading() as session:
        allocation = await session.scalar(select(TrialAllocation))
        row = await session.scalar(select(Participant))
    assert allocation is not None
    assert not any(f["module"] == "baseline" for f in row.position.get("frames", []))


async def test_the_waiting_list_gets_check_ins_and_then_the_crossover_offer(
    db, programme, chat, trial_chat, sender, transport, clock
):
    await to_allocation(chat, programme, trial_chat, sender, transport, "waiting_list", clock)
    assert told(programme, "waiting_list") in [t.strip() for t in transport.texts(CHAT)]
    check_in = programme.msg("en", "trial.check_in")
    offer = programme.text(programme.trial.arm("waiting_list").crossover_offer, "en")
    week2 = programme.text(programme.modules["week02"].title, "en")
    for _ in range(13 * 7):
        clock.advance(timedelta(days=1))
        await chat.service.tick_due()
        await sender.drain()
    texts = transport.texts(CHAT)
    assert texts.count(check_in) == 4  # the start of weeks 2, 4, 6 and 8
    assert texts.count(offer) == 1
    assert not any(week2 in t for t in texts)  # no treatment module while waiting
    await chat.press("Yes, let's start")
    assert any(week2 in t for t in transport.texts(CHAT)[-3:]), [t[:50] for t in transport.texts(CHAT)[-6:]]


async def pass_days(chat: Driver, sender, clock, days: int) -> None:
    for _ in range(days):
        clock.advance(timedelta(days=1))
        await chat.service.tick_due()
        await sender.drain()


async def watch_state(db) -> tuple[list[tuple[str, float | None]], list[str], list[dict], list[RelayItem]]:
    """The waiting list's mood checks as stored: scores, missed administrations, frames, relay items."""
    async with db.reading() as session:
        scores = [(s.step_id, s.total) for s in await session.scalars(
            select(ScoreRow).where(ScoreRow.module_id == "mood_watch").order_by(ScoreRow.id))]  # fmt: skip
        missed = [a.detail["step"] for a in await session.scalars(
            select(AuditEntry).where(AuditEntry.action == "administration_missed"))]  # fmt: skip
        row = await session.scalar(select(Participant))
        relays = list(await session.scalars(select(RelayItem).order_by(RelayItem.id)))
    return scores, missed, row.position.get("frames", []), relays


async def test_the_waiting_list_answers_the_mood_questions_every_second_week_while_it_waits(
    db, programme, chat, trial_chat, sender, transport, clock
):
    await to_allocation(chat, programme, trial_chat, sender, transport, "waiting_list", clock)
    await pass_days(chat, sender, clock, 1)
    check_in = programme.msg("en", "trial.check_in")
    intro = programme.text(programme.modules["mood_watch"].steps[0].text, "en").strip()
    texts = [t.strip() for t in transport.texts(CHAT)]
    assert texts.count(check_in) == 1 and any(intro in t for t in texts[texts.index(check_in) :]), texts[-4:]
    for _ in range(9):  # "Not at all" to every item
        await chat.press("Not at all")
    scores, missed, frames, relays = await watch_state(db)
    assert scores == [("week02", 0.0)] and frames == []
    note = next(r for r in relays if r.source == "alert:symptom_check:mood_watch.week02")
    assert note.text.startswith("P-0001: phq9 at week02: 0 (minimal)"), "the therapist sees the score and the week"

    await pass_days(chat, sender, clock, 14)  # week 4: asked, left unanswered
    _, _, frames, _ = await watch_state(db)
    assert [(f["module"], f["step"]) for f in frames] == [("mood_watch", "week04")]
    await pass_days(chat, sender, clock, 14)  # week 6: the week-4 check closes unanswered
    scores, missed, frames, _ = await watch_state(db)
    assert missed == ["week04"] and [(f["module"], f["step"]) for f in frames] == [("mood_watch", "week06")]
    assert scores == [("week02", 0.0)], "nothing is filed under week 4"

    for _ in range(8):
        await chat.press("Not at all")
    await chat.press("Several days")  # item 9: thoughts of being better off dead
    scores, _, _, relays = await watch_state(db)
    assert scores == [("week02", 0.0), ("week06", 1.0)]
    risk = [r for r in relays if r.source == "safety:phq9.q9"]
    assert [r.kind for r in risk] == ["concern"] and "Several days" in risk[0].text  # graded: item 9 at 1
    said = transport.texts(CHAT)[-1]  # the warm words and the resources, in the same event, last
    assert "get in touch with you today" in said and "112" in said, said
    assert transport.texts(CHAT).count(check_in) == 3


async def test_the_treatment_arm_answers_the_mood_questions_in_modules_2_4_6_and_8(programme):
    checks = [m.id for m in programme.scheduled for s in m.steps if getattr(s, "instrument", None) == "phq9"]
    assert checks == ["baseline", "week03", "week05", "week07", "week09", "post"]
    watch = programme.modules[programme.spec.symptom_watch]
    assert [s.id for s in watch.steps] == ["week02", "week04", "week06", "week08"]  # the waiting list's check-ins


async def test_bootstrap_runs_the_trial_in_the_chat_only_with_a_seed(tmp_path, clock, transport):
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'boot.sqlite3'}", content_dir=ROOT / "content")
    plain = await bootstrap(settings, clock, {"test": transport}, staff_target=("test", "staff"))
    await plain.db.dispose()
    assert plain.trial_chat is None and not plain.service.engine.policy.trial
    app = await bootstrap(settings, clock, {"test": transport}, staff_target=("test", "staff"), trial_seed=SEED)
    await app.db.dispose()
    assert app.trial_chat is not None and app.service.engine.policy.trial
    assert (
        app.trial_chat.decide_in == app.service.decisions.decide_in and app.service.requests.step == app.trial_chat.run
    )


async def test_withdraw_asks_about_the_data_then_stops_every_message(
    db, programme, chat, trial_chat, sender, transport, clock
):
    await to_allocation(chat, programme, trial_chat, sender, transport, "treatment", clock)
    await chat.send(Inbound(kind="command", text="withdraw"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.withdraw_ask")
    await chat.press(programme.msg("en", "trial.withdraw_stay"))  # staying changes nothing
    assert transport.texts(CHAT)[-2] == programme.msg("en", "trial.withdraw_stay")
    assert transport.sent[CHAT][-1]["buttons"], "the step they were at is shown again"
    await chat.send(Inbound(kind="command", text="withdraw"))
    await chat.press(programme.msg("en", "trial.withdraw_no_use"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.withdrawn_removed")
    assert transport.texts("staff")[-1] == programme.msg("en", "trial.staff_withdrawn_no_use", code="P-0001")
    async with db.reading() as session:
        withdrawal = await session.scalar(select(TrialWithdrawal))
        row = await session.scalar(select(Participant))
    assert withdrawal.may_use_data is False and withdrawal.by == "participant"
    assert row.status == "withdrawn" and row.next_due_at is None
    sent = len(transport.sent[CHAT])
    for _ in range(4):  # weeks pass: module 1 would open in week 2, diaries every day
        clock.advance(timedelta(weeks=1))
        await chat.service.tick_due()
        await sender.drain()
    assert len(transport.sent[CHAT]) == sent
    async with db.reading() as session:
        assert await session.scalar(select(OutboxMessage).where(OutboxMessage.status == "pending")) is None


async def test_consent_shows_the_text_its_version_and_when_it_was_given(
    db, programme, chat, trial_chat, sender, transport, clock
):
    await through_welcome(chat, programme)
    await apply(chat, programme, TYPED)
    await chat.send(Inbound(kind="command", text="consent"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.consent_none")
    given_at = clock.now()
    await include_and_agree(chat, trial_chat, sender, transport)
    clock.advance(timedelta(days=3))
    await chat.send(Inbound(kind="command", text="consent"))
    pages, stamp = transport.texts(CHAT)[-2:]
    first_page = programme.text(programme.modules["consent"].steps[0].text, "en")
    assert pages.startswith(first_page)
    async with db.reading() as session:
        consent = await session.scalar(select(Consent))
    assert (consent.version, consent.agreed, consent.at) == ("2026-11-consent-v3", True, given_at)  # stored with both
    local = given_at.astimezone(ZoneInfo("Europe/Stockholm"))
    assert stamp == programme.msg("en", "trial.consent_given", version=consent.version,
                                  when=f"{local:%-d %B %Y, %H:%M}")  # fmt: skip


def test_button_tokens_are_all_different():
    """A tap is routed by its token: two concerns sharing one would answer each other's buttons."""
    from bot.engine import dailies, detours, preferences, reminders, risk, trial_calendar, weekly
    from bot.trial.steps import application, withdrawal

    tokens = [risk.HOLD_TOKEN, application.APPLY_TOKEN, withdrawal.WITHDRAW_TOKEN, trial_calendar.CROSSOVER_TOKEN, *detours.TOKENS,
              dailies.DAILY_TOKEN, preferences.SETTINGS_TOKEN, weekly.REPORT_TOKEN, reminders.SNOOZE_TOKEN]  # fmt: skip
    assert len(set(tokens)) == len(tokens)


async def test_withdraw_works_in_the_middle_of_the_application(db, programme, chat, transport):
    await through_welcome(chat, programme)
    await chat.send(Inbound(kind="text", text="47"))  # the first question answered
    await chat.send(Inbound(kind="command", text="withdraw"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.withdraw_ask")
    await chat.press(programme.msg("en", "trial.withdraw_stay"))  # staying: the question comes back
    assert transport.texts(CHAT)[-1] == programme.text(programme.trial.questions[1].text, "en")
    await chat.send(Inbound(kind="command", text="withdraw"))
    await chat.press(programme.msg("en", "trial.withdraw_no_use"))
    assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.withdrawn_removed")
    assert programme.msg("en", "reprompt.stale_button") not in transport.texts(CHAT)
    assert transport.texts("staff")[-1] == programme.msg("en", "trial.staff_withdrawn_no_use", code="P-0001")
    async with db.reading() as session:
        withdrawal = await session.scalar(select(TrialWithdrawal))
        row = await session.scalar(select(Participant))
    assert withdrawal.may_use_data is False and row.status == "withdrawn"
    assert row.position.get("applying") is None


async def _interview(relay, sender, outcome: str) -> None:
    """The therapist's /interviewed in the staff group; an exclude is asked back, and confirmed."""
    reason = " prefers group therapy" if outcome == "exclude" else ""
    await relay.handle_staff(staff_msg(f"/interviewed P-0001 {outcome}{reason}"))
    if outcome == "exclude":
        async with relay.db.reading() as session:
            nonce = await session.scalar(select(StaffConfirmation.nonce).where(StaffConfirmation.used_at.is_(None))
                                         .order_by(StaffConfirmation.created_at.desc()).limit(1))  # fmt: skip
        await relay.handle_staff(staff_msg("", button=confirm.YES + nonce))
    await sender.drain()


async def _stage(db) -> str:
    async with db.reading() as session:
        return (await session.scalar(select(Participant))).position["trial_stage"]


def _agree_button(message: dict) -> str:
    return next(b["data"] for row in message["buttons"] for b in row if b["label"] == "I agree to take part")


CORRECTIONS = [
    ("include", "exclude"),
    ("exclude", "include"),
    ("include", "exclude", "include"),
    ("exclude", "include", "exclude"),
]


@pytest.mark.parametrize("order", CORRECTIONS, ids=["-".join(o) for o in CORRECTIONS])
async def test_the_interview_can_be_corrected_in_any_order_until_consent(
    db, programme, clock, chat, trial_chat, sender, transport, order
):
    """Each outcome: the participant is told in kind words, an exclude takes the consent from view, and
    staff are told what really happened; an old consent button after an exclude is refused kindly."""
    relay = relay_service(db, clock, programme, relay_config(), wake=sender.wake.set)
    trial_chat.register(relay.registry)
    await through_welcome(chat, programme)
    await apply(chat, programme, TYPED)
    included, excluded = (programme.text(getattr(programme.trial.words, w), "en") for w in ("included", "excluded"))
    consent = None
    for outcome in order:
        told_before = transport.texts(CHAT).count(included)
        await _interview(relay, sender, outcome)
        assert transport.texts("staff")[-1].startswith(
            programme.msg("en", f"trial.staff_interviewed_{outcome}", code="P-0001")
        ), "staff are told what happened"
        if outcome == "include":
            assert transport.texts(CHAT).count(included) == told_before + 1
            for _ in range(10):  # the consent module's pages, then its "I agree"
                if "I agree to take part" in str(transport.sent[CHAT][-1]["buttons"]):
                    break
                await chat.press()
            consent = transport.sent[CHAT][-1]
            assert await _stage(db) == "consent"
        else:
            assert transport.texts(CHAT)[-1] == excluded
            assert await _stage(db) == "excluded"
    if order[-1] == "exclude":
        if consent is not None:  # the consent was in view before: its old "I agree", pressed anyway
            await chat.send(Inbound(kind="choice", text=_agree_button(consent)))
            assert transport.texts(CHAT)[-1] == programme.msg("en", "trial.old_button_turned_down"), "refused kindly"
        await chat.send(Inbound(kind="command", text="consent"))
        assert "I agree to take part" not in str(transport.sent[CHAT][-1]["buttons"]), "the consent is out of view"
        async with db.reading() as session:
            assert (
                await session.scalar(select(Consent)) is None and await session.scalar(select(TrialAllocation)) is None
            )
    else:
        await chat.press("I agree to take part")
        assert programme.msg("en", "trial.baseline_first") in transport.texts(CHAT)
        async with db.reading() as session:
            assert (await session.scalar(select(Consent))).agreed
    texts = " ".join(transport.texts(CHAT) + transport.texts("staff"))
    assert "Traceback" not in texts and "TrialStateError" not in texts


async def test_a_correction_after_i_agree_is_refused_and_staff_are_told_why(
    db, programme, clock, chat, trial_chat, sender, transport
):
    relay = relay_service(db, clock, programme, relay_config(), wake=sender.wake.set)
    trial_chat.register(relay.registry)
    await to_consent(chat, programme, trial_chat, sender, transport, "treatment")
    seen = list(transport.texts(CHAT))
    await relay.handle_staff(staff_msg("/interviewed P-0001 exclude prefers group therapy"))
    await sender.drain()
    assert transport.texts("staff")[-1] == programme.msg("en", "trial.staff_interview_closed", code="P-0001"), (
        "refused at once, without asking to confirm what cannot be done"
    )
    assert transport.texts(CHAT) == seen, "the participant hears nothing of a refused correction"
    async with db.reading() as session:
        assert [i.outcome for i in await session.scalars(select(TrialInterview))] == ["include"]
    assert await _stage(db) != "excluded"
