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
from bot.settings import Settings
from bot.storage.database import Database
from bot.trial.chat import TrialChat
from bot.trial.service import TrialService
from scheduler.ratelimit import RateLimiter, Unlimited
from scheduler.sender import OutboxSender, Transport


@dataclass
class App:
    settings: Settings
    programme: Programme
    db: Database
    service: ConversationService
    sender: OutboxSender
    trial_chat: TrialChat | None = None  # trialeng: the trial in the chat (record_interview for /interviewed)


async def bootstrap(
    settings: Settings,
    clock: Clock,
    transports: Mapping[str, Transport],
    staff_target: tuple[str, str] | None,
    limiter: RateLimiter | Unlimited | None = None,
    migrate: bool = True,
    trial_seed: bytes | None = None,
) -> App:
    """With ``trial_seed`` (and a trial in the content) the chat runs the trial: application, interview
    gate, consent, the draw and each arm's calendar (bot/trial/chat.py)."""
    programme = load_programme(settings.content_dir, settings.site_content_dir)
    db = Database(settings.database_url)
    if migrate:
        await db.upgrade()
    else:
        await db.check()
    sender = OutboxSender(db, transports, clock, limiter or RateLimiter(time.monotonic, asyncio.sleep))
    policy = Policy(question_days=settings.relay_question_target_days,
                    feedback_days=settings.relay_feedback_target_days,
                    trial=trial_seed is not None and programme.trial is not None)  # fmt: skip
    engine = Engine(programme, policy)
    trial_chat = None
    if policy.trial:
        trial = TrialService(db, programme, clock, seed=trial_seed, staff_target=staff_target,
                             wake_sender=sender.wake.set)  # fmt: skip
        trial_chat = TrialChat(trial, engine)
    service = ConversationService(
        db, engine, clock, timezone=settings.timezone, language=settings.language,
        staff_target=staff_target, wake_sender=sender.wake.set, on_trial=trial_chat.run if trial_chat else None,
    )  # fmt: skip
    if trial_chat is not None:
        trial_chat.conversation = service
    return App(settings=settings, programme=programme, db=db, service=service, sender=sender, trial_chat=trial_chat)
