"""The sender benchmark's fake Bot API over real loopback HTTP: it enforces the limits with a 429 and
``retry_after`` that python-telegram-bot and our transport understand."""

from __future__ import annotations

import pytest
from telegram import Bot
from telegram.request import HTTPXRequest

from benchmarks.fake_bot_server import FakeBotServer
from bot.channels.telegram.transport import TelegramTransport
from scheduler.sender import DeliveryRetry


async def test_the_fake_bot_api_answers_429_with_retry_after_past_a_private_chats_burst():
    server = FakeBotServer(round_trip=0.0)
    bot = Bot("123456:BENCH", base_url=await server.start(), request=HTTPXRequest(connection_pool_size=4))
    await bot.initialize()
    transport = TelegramTransport(bot)
    payload = {"text": "hello", "buttons": []}
    try:
        ids = [await transport.send_part("42", payload, 0) for _ in range(3)]
        with pytest.raises(DeliveryRetry) as refused:
            await transport.send_part("42", payload, 0)
        assert await transport.send_part("43", payload, 0), "another chat is not refused"
    finally:
        await bot.shutdown()
        await server.stop()
    assert len(set(ids)) == 3
    assert refused.value.seconds >= 1
    assert (server.accepted, server.too_many) == (4, 1)
