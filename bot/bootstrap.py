"""The composition root: the one place that builds and wires everything. Nothing at import time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass

from bot.clock import Clock
from bot.content.loader import load_programme
from bot.content.programme import Programme
from bot.engine import Engine
from bot.engine.model import Policy
from bot.service import ConversationService
from bot.service_measures import SymptomPolicy
from bot.settings import Settings
from bot.storage.database import Database
from scheduler.ratelimit import RateLimiter, Unlimited
from scheduler.sender import OutboxSender, Transport


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
) -> App:
    programme = load_programme(settings.content_dir, settings.site_content_dir)
    db = Database(settings.database_url)
    if migrate:
        await db.upgrade()
    else:
        await db.check()
    sender = OutboxSender(db, transports, clock, limiter or RateLimiter(time.monotonic, asyncio.sleep))
    policy = Policy(question_days=settings.relay_question_target_days,
                    feedback_days=settings.relay_feedback_target_days,
                    diary_late_days=settings.diary_late_days)  # fmt: skip
    service = ConversationService(
        db, Engine(programme, policy), clock, timezone=settings.timezone, language=settings.language,
        staff_target=staff_target, wake_sender=sender.wake.set,
        symptoms=SymptomPolicy(threshold=settings.symptom_rise_threshold), charts_dir=settings.charts_dir,
    )  # fmt: skip
    return App(settings=settings, programme=programme, db=db, service=service, sender=sender)
