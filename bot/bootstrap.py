"""The composition root: the one place that builds and wires everything. Nothing at import time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.content.loader import load_programme
from bot.content.programme import Programme
from bot.engine import Engine
from bot.service import ConversationService
from bot.settings import Settings
from bot.storage.database import Database
from scheduler.ratelimit import Limits, RateLimiter, Unlimited
from scheduler.sender import OnUnreachable, OutboxSender, Transport


@dataclass
class App:
    settings: Settings
    programme: Programme
    db: Database
    service: ConversationService
    sender: OutboxSender


async def bootstrap(
    settings: Settings,
    clock: Clock,
    transports: Mapping[str, Transport],
    staff_target: tuple[str, str] | None,
    limiter: RateLimiter | Unlimited | None = None,
    migrate: bool = True,
    on_unreachable: OnUnreachable | None = None,
) -> App:
    programme = load_programme(settings.content_dir)
    db = Database(settings.database_url)
    if migrate:
        await db.upgrade()
    else:
        await db.check()
    pace = Limits(overall_per_window=settings.sender_per_second)
    sender = OutboxSender(
        db, transports, clock, limiter or RateLimiter(time.monotonic, asyncio.sleep, pace),
        max_in_flight=settings.sender_max_in_flight, lease=timedelta(seconds=settings.sender_lease_seconds),
        on_unreachable=on_unreachable,
    )  # fmt: skip
    await sender.recover()  # rows a crashed run left in flight: the rule in scheduler/sender.py
    service = ConversationService(
        db, Engine(programme), clock, timezone=settings.timezone, language=settings.language,
        staff_target=staff_target, wake_sender=sender.wake.set,
    )  # fmt: skip
    return App(settings=settings, programme=programme, db=db, service=service, sender=sender)
