"""A participant's staff topic is recorded before Telegram makes it, so a crash or a lost reply
between ``createForumTopic`` and storing its thread id never scatters their posts: after the restart
(or once the lost attempt is clearly over) one topic is made and every waiting post goes into it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.telegram.staff import TelegramStaffGateway
from bot.channels.telegram.transport import TelegramTransport
from bot.relay.topics import HOLD, TopicDirectory
from bot.storage.models import OutboxMessage
from bot.storage.tables_relay import RelayTopic
from scheduler.ratelimit import Unlimited
from scheduler.sender import OutboxSender
from tests.support.staff_telegram import STAFF


class Killed(BaseException):
    """The process dies here (as SIGKILL would): nothing after this line runs."""


async def topic_row(db, participant_id: int) -> RelayTopic | None:
    async with db.reading() as session:
        return await session.scalar(select(RelayTopic).where(RelayTopic.participant_id == participant_id))


async def unsent(db) -> list[OutboxMessage]:
    async with db.reading() as session:
        return list((await session.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent"))).all())


def questions_by_thread(tg) -> dict[int, list[str]]:
    threads: dict[int, list[str]] = {}
    for post in tg.to_staff():
        if post["text"].startswith("❓"):
            threads.setdefault(int(post["message_thread_id"]), []).append(post["text"])
    return threads


async def test_a_kill_after_creating_a_topic_leaves_one_topic_with_every_post(tg, db, clock):
    p = await tg.participant()
    real_create = tg.topics.create

    async def create_then_die(name: str) -> int | None:
        await real_create(name)  # Telegram made the topic …
        raise Killed  # … and the process died before its thread id was stored

    tg.topics.create = create_then_die
    with pytest.raises(Killed):
        await tg.ask("first question")
    intent = await topic_row(db, p.id)
    assert intent is not None and intent.state == "creating" and intent.thread_id is None, "recorded before the call"
    assert len(tg.api.sent("createForumTopic")) == 1 and questions_by_thread(tg) == {}

    clock.advance(HOLD + timedelta(seconds=1))  # the restart: a new directory and sender on the same database
    gateway = TelegramStaffGateway(tg.application.bot, STAFF)
    topics = TopicDirectory(db, clock, str(STAFF), gateway.create_topic, rename=gateway.rename_topic,
                            made_nothing=gateway.made_nothing)  # fmt: skip
    tg.sender = OutboxSender(db, {"telegram": TelegramTransport(tg.application.bot, topics)}, clock, Unlimited())
    await tg.sender.recover()
    assert await topics.reconcile() == 1
    await tg.ask("second question")

    stored = await topic_row(db, p.id)
    assert stored is not None and stored.state == "ready"
    threads = questions_by_thread(tg)
    assert list(threads) == [stored.thread_id], "every post in the one recorded topic"
    assert any("first question" in t for t in threads[stored.thread_id])
    assert any("second question" in t for t in threads[stored.thread_id])
    assert len(tg.api.sent("createForumTopic")) == 2, "made once after the restart (the lost one stays empty)"
    assert await unsent(db) == []


async def test_a_lost_create_reply_brings_no_second_topic_while_it_may_be_in_flight(tg, db, clock):
    p = await tg.participant()
    tg.api.lose_replies["createForumTopic"] = 1  # Telegram makes the topic; its answer is a 502
    await tg.ask("first question")
    await tg.ask("second question")
    for _ in range(4):  # the sender's retries within the hold: the posts wait, nothing is created again
        clock.advance(timedelta(seconds=25))
        await tg.sender.drain()
    assert len(tg.api.sent("createForumTopic")) == 1 and questions_by_thread(tg) == {}
    assert (await topic_row(db, p.id)).state == "creating"

    clock.advance(HOLD)
    await tg.sender.drain()
    clock.advance(timedelta(minutes=3))
    await tg.sender.drain()
    stored = await topic_row(db, p.id)
    threads = questions_by_thread(tg)
    assert stored is not None and stored.state == "ready" and list(threads) == [stored.thread_id]
    assert len(threads[stored.thread_id]) == 2 and len(tg.api.sent("createForumTopic")) == 2
    assert await unsent(db) == []


async def test_a_refused_creation_may_be_tried_again_at_once(tg, db, clock):
    p = await tg.participant()
    tg.api.method_errors["createForumTopic"] = [(429, {"ok": False, "error_code": 429, "description": "Too Many "
                                                       "Requests: retry after 5", "parameters": {"retry_after": 5}})]  # fmt: skip
    await tg.ask("a question")
    clock.advance(timedelta(seconds=6))
    await tg.sender.drain()
    stored = await topic_row(db, p.id)
    assert stored is not None and stored.state == "ready"
    assert list(questions_by_thread(tg)) == [stored.thread_id] and await unsent(db) == []
