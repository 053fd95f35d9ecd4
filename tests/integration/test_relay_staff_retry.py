"""A post for the staff group that fails (network error, 5xx, 429) is retried with back-off from the
outbox and never given up; the participant hears that their words reached the therapist only once
the post is delivered, and until then only that it will be passed on as soon as possible."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.storage.models import OutboxMessage
from scheduler.sender import MAX_ATTEMPTS
from tests.support.staff_telegram import STAFF

BAD_GATEWAY = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
SERVER_ERROR = (500, {"ok": False, "error_code": 500, "description": "Internal Server Error"})
TOO_MANY = (429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 7",
                  "parameters": {"retry_after": 7}})  # fmt: skip
REACHED = "has reached your therapist"


def questions(tg) -> list[str]:
    return [m["text"] for m in tg.to_staff() if m["text"].startswith("❓")]


def told(tg) -> list[str]:
    return [m["text"] for m in tg.to_participant()]


async def staff_rows(db) -> list[OutboxMessage]:
    async with db.reading() as session:
        rows = await session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == str(STAFF)))
        return list(rows.all())


async def test_a_failing_staff_post_is_retried_and_the_participant_hears_it_arrived_only_after(tg, db, clock):
    await tg.participant()
    tg.api.chat_errors[STAFF] = [BAD_GATEWAY, SERVER_ERROR, TOO_MANY]
    await tg.ask("Is swimming all right?")
    assert any("as soon as I can" in t for t in told(tg)) and not any(REACHED in t for t in told(tg))
    for _ in range(3):  # each failure waits its back-off (2 s, 4 s, then Telegram's 7 s), nothing is lost
        assert not any(REACHED in t for t in told(tg)), "not told it arrived while it waits"
        clock.advance(timedelta(seconds=8))
        await tg.sender.drain()
    assert len(questions(tg)) == 4, "three failed attempts, then delivered"
    assert [r.status for r in await staff_rows(db)] == ["sent"]
    reached = [t for t in told(tg) if REACHED in t]
    assert reached == ["Your message has reached your therapist, who aims to answer by Tuesday 6 January, 17:00."]


async def test_a_staff_post_is_never_given_up_on_network_failures(tg, db, clock):
    await tg.participant()
    tg.api.chat_errors[STAFF] = [BAD_GATEWAY] * (MAX_ATTEMPTS + 3)
    await tg.ask("Still there?")
    for _ in range(MAX_ATTEMPTS + 3):
        clock.advance(timedelta(minutes=11))  # longer than the longest back-off (10 minutes)
        await tg.sender.drain()
    rows = await staff_rows(db)
    assert [r.status for r in rows] == ["sent"] and rows[0].attempts == MAX_ATTEMPTS + 3
    assert len([t for t in told(tg) if REACHED in t]) == 1


async def test_a_participant_message_is_still_given_up_after_the_attempts(tg, db, clock):
    p = await tg.participant()
    tg.api.chat_errors[int(p.chat_id)] = [BAD_GATEWAY] * (MAX_ATTEMPTS + 2)
    await tg.ask("Hello")
    for _ in range(MAX_ATTEMPTS + 2):
        clock.advance(timedelta(minutes=11))
        await tg.sender.drain()
    async with db.reading() as session:
        statuses = (await session.scalars(select(OutboxMessage.status).where(OutboxMessage.chat_id == p.chat_id))).all()
    assert "failed" in statuses, "a participant's reply is given up (and reported) as before"
