"""The composition root: the one place that builds and wires everything. Nothing at import time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from bot.charts.files import Pictures, PictureWriter
from bot.clock import Clock
from bot.content.loader import load_programme
from bot.content.programme import Programme
from bot.conversation.decisions import Decisions
from bot.conversation.release import release_command
from bot.conversation.requests import Step
from bot.conversation.service import DEFAULT_CHARTS_DIR, ConversationService
from bot.engine import Engine
from bot.engine.model import Policy
from bot.features import build_engine
from bot.measures.service import SymptomPolicy
from bot.relay.content import load_relay_content
from bot.relay.model import RelayConfig
from bot.relay.registry import default_registry
from bot.relay.service import RelayService
from bot.safety import SafetySite
from bot.safety.crisis import StaffStatus
from bot.settings import Settings
from bot.storage.bulk import use_fast_path
from bot.storage.database import Database
from bot.storage.rows import EffectRows
from bot.trial.chat import TrialChat
from bot.trial.mydata import MyData
from bot.trial.privacy import ParticipantData
from bot.trial.service import TrialService
from scheduler.ratelimit import Limits, RateLimiter, Unlimited
from scheduler.sender import OnUnreachable, OutboxSender, Transport
from scheduler.sweep import Sweeper
from scheduler.sweep_pool import default_workers


@dataclass
class App:
    settings: Settings
    programme: Programme
    db: Database
    service: ConversationService
    sender: OutboxSender
    relay: RelayService | None = None  # the therapist side; None when no staff chat is configured
    trial_chat: TrialChat | None = None  # the trial in the chat; None when no trial seed is given
    privacy: ParticipantData | None = None  # export, erase, and the retention purge the scheduler runs


async def bootstrap(
    settings: Settings,
    clock: Clock,
    transports: Mapping[str, Transport],
    staff_target: tuple[str, str] | None,
    limiter: RateLimiter | Unlimited | None = None,
    migrate: bool = True,
    demo_therapist: int | None = None,
    on_unreachable: OnUnreachable | None = None,
    trial_seed: bytes | None = None,
    staff_status: StaffStatus | None = None,
    db: Database | None = None,
) -> App:
    """With ``trial_seed`` (and a trial in the content) the chat runs the trial: application, interview
    gate, consent, the draw and each arm's calendar (bot/trial/chat.py). ``staff_status`` (the staff
    group's reachability) is kept up to date by the sender and read by the crisis message."""
    programme = load_programme(settings.content_dir, settings.site_content_dir)
    use_fast_path(settings.storage_fast_path)
    db = db or Database(settings.database_url)  # given when a channel's transport needs it first (topics)
    if migrate:
        await db.upgrade()
    else:
        await db.check()
    pace = Limits(overall_per_window=settings.sender_per_second)
    sender = OutboxSender(
        db, transports, clock, limiter or RateLimiter(time.monotonic, asyncio.sleep, pace),
        max_in_flight=settings.sender_max_in_flight, lease=timedelta(seconds=settings.sender_lease_seconds),
        on_unreachable=on_unreachable, staff_status=staff_status,
    )  # fmt: skip
    await sender.recover()  # rows a crashed run left in flight: the rule in scheduler/sender.py
    relay: RelayService | None = None  # built below, with every staff command, once the trial's exist

    def wake() -> None:  # a participant event committed: send its replies, post its relay items
        sender.wake.set()
        if relay is not None:
            relay.wake.set()

    policy = Policy(question_days=settings.relay_question_days, feedback_days=settings.relay_report_days,
                    staff_available=staff_target is not None,
                    safety=SafetySite.from_settings(settings, staff_status, staff_posted=staff_target is not None),
                    diary_late_days=settings.diary_late_days,
                    trial=trial_seed is not None and programme.trial is not None)  # fmt: skip
    engine = build_engine(programme, policy)
    decisions = Decisions(db, engine, clock, PictureWriter(settings.charts_dir), wake)
    mydata = MyData.build(db, programme, clock, settings.trial_retention_days, settings.trial_outbox_purge_days)
    trial_chat = None
    if policy.trial:
        trial = TrialService(db, programme, clock, seed=trial_seed, staff_target=staff_target, wake_sender=wake)
        trial_chat = TrialChat(trial, engine, decisions.decide_in, mydata)
    service = conversation_service(
        db, engine, clock, timezone=settings.timezone, language=settings.language, staff_target=staff_target,
        wake_sender=wake, max_batch=settings.group_commit_max_batch,
        on_trial=trial_chat.run if trial_chat is not None else mydata.run,
        symptoms=SymptomPolicy(threshold=settings.symptom_rise_threshold), charts_dir=settings.charts_dir,
        sweep_workers=default_workers() if settings.sweep_workers is None else settings.sweep_workers,
        sweep_chunk=settings.sweep_chunk, decisions=decisions,
        after_sweep=trial_chat.draws_due if trial_chat is not None else None,
    )  # fmt: skip
    if staff_target is not None:
        commands = default_registry()
        commands["release"] = release_command(decisions)  # /release: staff lift a safety pause
        if trial_chat is not None:
            trial_chat.register(commands)  # /interviewed in the staff group
        relay = RelayService(db, clock, relay_config(settings, staff_target, demo_therapist), load_relay_content(
            settings.content_dir, settings.language), programme, registry=commands, wake_sender=sender.wake.set,
            charts_dir=settings.charts_dir)  # fmt: skip
    return App(settings=settings, programme=programme, db=db, service=service, sender=sender, relay=relay,
               trial_chat=trial_chat, privacy=mydata.data)  # fmt: skip


def conversation_service(
    db: Database,
    engine: Engine,
    clock: Clock,
    *,
    timezone: str,
    language: str,
    staff_target: tuple[str, str] | None = None,
    wake_sender: Callable[[], None] = lambda: None,
    max_batch: int = 50,
    on_trial: Step | None = None,
    symptoms: SymptomPolicy | None = None,
    charts_dir: Path = DEFAULT_CHARTS_DIR,
    pictures: Pictures | None = None,
    sweep_workers: int = 0,
    sweep_chunk: int = 500,
    decisions: Decisions | None = None,
    after_sweep: Callable[[], Awaitable[int]] | None = None,
) -> ConversationService:
    """The conversation service with its sweep and its decisions, built complete: ``bootstrap``, the
    simulator, the command line, the benchmarks and the tests all build it here. Charts are drawn into
    ``charts_dir`` unless ``pictures`` says otherwise (the simulator's people never look at one)."""
    pictures = pictures or PictureWriter(charts_dir)
    sweeper = Sweeper(db, engine, clock, lambda: EffectRows(version=engine.programme.version), chunk=sweep_chunk,
                      pictures=pictures, workers=sweep_workers)  # fmt: skip
    return ConversationService(
        db, engine, clock, timezone=timezone, language=language, staff_target=staff_target, wake_sender=wake_sender,
        max_batch=max_batch, on_trial=on_trial, symptoms=symptoms, pictures=pictures, sweeper=sweeper,
        decisions=decisions or Decisions(db, engine, clock, pictures, wake_sender), after_sweep=after_sweep,
    )  # fmt: skip


def relay_config(settings: Settings, staff_target: tuple[str, str], demo_therapist: int | None = None) -> RelayConfig:
    """The relay's settings; the demo adds the person at the keyboard as a therapist."""
    ids = tuple(settings.therapist_ids) + ((demo_therapist,) if demo_therapist is not None else ())
    names = dict(settings.therapist_names)
    if demo_therapist is not None:
        names.setdefault(demo_therapist, "Alex (demo)")
    return RelayConfig(
        staff_channel=staff_target[0], staff_chat_id=staff_target[1], therapist_ids=ids, therapist_names=names,
        signature=settings.therapist_signature, question_days=settings.relay_question_days,
        report_days=settings.relay_report_days, escalate_hours=settings.relay_escalate_hours,
        urgent_backoff=tuple(settings.relay_urgent_backoff_minutes), day_end_hour=settings.relay_day_end_hour,
        urgent_escalate_after=settings.relay_urgent_escalate_after,
        oncall=(staff_target[0], str(settings.oncall_chat_id)) if settings.oncall_chat_id is not None else None,
        holidays=frozenset(settings.relay_holidays), timezone=settings.timezone, stall_days=settings.relay_stall_days,
    )  # fmt: skip
