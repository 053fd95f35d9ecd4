"""Build a ``TrialDataset`` from the database tables that exist in this branch.

What comes from where:
- participants, answers, consents: the core tables (codes only, never chat ids);
- scores: the ``scores`` table (``store_score``);
- arm and randomization date: the trial's ``trial_allocations`` (the programme's first arm is
  "treatment", any other arm — the waiting list — is "control"); ``allocations`` overrides it;
- stratum and the moment of the draw: ``trial_allocations``; withdrawal (keep or remove data) and its
  date: ``trial_withdrawals``;
- screened out: an application that was not eligible (the unmet criteria's ids), a therapist's exclude
  at the interview (the reason "excluded at interview"; the therapist's own words kept apart as a
  note, free text), a declined consent, or a withdrawal before the draw;
- diary: answers to the pain-diary prompts (entry ids ``pain_diary:YYYY-MM-DD``);
- module progress: PROXIES from answers (opened = first answer in the module; completed = an answer
  to its last step, or any answer in a later module, as modules run in order) until the engine
  records module events;
- status: each person's outcome from ``bot/trial/flow.py`` (the one count ``icbt trial status`` uses):
  lost (the arm's weeks over without the post measurement, or unreachable) and withdrawn are
  "dropped_out" on their last answer; withdrawn with "do not use my answers" keeps only the line
  the CONSORT flow counts (no answers, scores or characteristics);
- therapist contacts and minutes: the relay's ``relay_log`` minutes (feedback measured from the first
  look at a week to the reply, or corrected with ``/time``), each with its programme week; a contact
  without minutes is left out rather than counted as zero.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.programme import Programme
from bot.measures.dataset import (
    AnswerRecord,
    Arm,
    Characteristic,
    DiaryRecord,
    ModuleProgressRecord,
    ParticipantRecord,
    ScoreRecord,
    TherapistContactRecord,
    TrialDataset,
)
from bot.storage.database import Database
from bot.storage.models import Answer, Consent, Participant
from bot.storage.tables_measures import ScoreCorrection, ScoreRow
from bot.storage.tables_relay import RelayLog
from bot.storage.tables_trial import TrialAllocation, TrialApplication, TrialInterview, TrialWithdrawal
from bot.trial.flow import DATASET_STATUS, Outcome, outcome_of
from bot.trial.report import ParticipantLine, read_lines

DIARY_PREFIX = "pain_diary"


async def load_dataset(
    db: Database,
    programme: Programme,
    allocations: Mapping[str, tuple[Arm, date]] | None = None,
    now: datetime | None = None,
) -> TrialDataset:
    """``now``: the moment the trial's outcomes are counted at (as ``icbt trial status`` counts them);
    by default the day the data stand at (the last answer). People whose data are marked for removal
    (withdrawn with "do not use my answers") keep their line for the CONSORT count, and nothing else."""
    async with db.reading() as session:
        people = list(await session.scalars(select(Participant).where(Participant.code.is_not(None))))
        codes = {p.id: p.code or "" for p in people}
        last_at = await session.scalar(select(func.max(Answer.answered_at)))
        moment = now or last_at or max((p.updated_at for p in people), default=None)
        lines = await read_lines(session, programme, people, moment) if moment is not None else []
        if allocations is None:
            allocations = await _allocations(session, codes, programme)
        excluded = await _exclusions(session, codes)
        draws = {r.participant_id: r for r in await session.scalars(select(TrialAllocation))}
        withdrawals = {r.participant_id: r for r in await session.scalars(select(TrialWithdrawal))}
        characteristics = await _characteristics(session)
        consents = {
            c.participant_id: c.at for c in await session.scalars(select(Consent).where(Consent.agreed.is_(True)))
        }
        answers = list(await session.scalars(select(Answer).order_by(Answer.answered_at, Answer.id)))
        scores = list(await session.scalars(select(ScoreRow).order_by(ScoreRow.at, ScoreRow.id)))
        corrections = {(c.participant_id, c.module_id, c.step_id): c  # the newest correction wins
                       for c in await session.scalars(select(ScoreCorrection).order_by(ScoreCorrection.id))}  # fmt: skip
        minutes = list(await session.scalars(
            select(RelayLog).where(RelayLog.kind.in_(("time", "call")), RelayLog.minutes.is_not(None),
                                   RelayLog.participant_id.is_not(None)).order_by(RelayLog.at, RelayLog.id)
        ))  # fmt: skip
    last_answer: dict[int, date] = {}
    for a in answers:
        last_answer[a.participant_id] = max(a.answered_at.date(), last_answer.get(a.participant_id, date.min))
    outcomes = {p.id: _outcome(line, allocations.get(codes[p.id]), moment, programme)
                for p, line in zip(people, lines, strict=True)}  # fmt: skip
    status = {p.id: DATASET_STATUS[outcomes[p.id]] for p in people}
    removed = {p.id for p in people if outcomes[p.id] == "withdrawn_removed"}
    answers = [a for a in answers if a.participant_id not in removed]
    scores = [s for s in scores if s.participant_id not in removed]
    participants = tuple(
        ParticipantRecord(
            code=codes[p.id],
            arm=allocations.get(codes[p.id], (None, None))[0],
            status=status[p.id],
            applied_on=p.created_at.date(),
            consented_on=consents[p.id].date() if p.id in consents else None,
            randomized_on=allocations.get(codes[p.id], (None, None))[1],
            exclusion_reason=_reason(outcomes[p.id], excluded.get(codes[p.id], (None, None))[0]),
            exclusion_note=excluded.get(codes[p.id], (None, None))[1],
            dropped_out_on=last_answer.get(p.id) if status[p.id] == "dropped_out" else None,
            characteristics=characteristics.get(p.id, {}) if p.id not in removed else {},
            outcome=outcomes[p.id],
            stratum=draws[p.id].stratum if p.id in draws else None,
            allocated_at=draws[p.id].at if p.id in draws else None,
            withdrawal=_withdrawal(withdrawals.get(p.id)),
            withdrawn_on=withdrawals[p.id].at.date() if p.id in withdrawals else None,
        )
        for p in sorted(people, key=lambda p: codes[p.id])
    )
    answer_records = tuple(
        AnswerRecord(codes[a.participant_id], a.module_id, a.step_id, a.field_id, a.entry_id, a.value, a.answered_at)
        for a in answers
        if a.participant_id in codes
    )
    return TrialDataset(
        participants=participants,
        answers=answer_records,
        scores=tuple(_score_records(scores, codes, programme, corrections)),
        diary=tuple(_diary(answer_records)),
        modules=tuple(_modules(answer_records, programme, {codes[p.id] for p in people if p.status == "completed"})),
        contacts=tuple(_contacts(minutes, {k: v for k, v in codes.items() if k not in removed})),
    )


BEFORE_DRAW_REASONS = {"declined": "declined consent", "withdrawn_before_draw": "withdrew before the draw"}


def _reason(outcome: Outcome, screened: str | None) -> str | None:
    """Why a person was not randomised, in fixed words the CONSORT flow can count."""
    return screened or BEFORE_DRAW_REASONS.get(outcome)


def _withdrawal(row: TrialWithdrawal | None) -> str | None:
    if row is None:
        return None
    return "keep_data" if row.may_use_data else "remove_data"


def _contacts(rows: list[RelayLog], codes: Mapping[int, str]) -> list[TherapistContactRecord]:
    """The relay's recorded minutes as contacts: feedback (``time``) and calls with minutes."""
    return [
        TherapistContactRecord(
            codes[r.participant_id], r.at, "feedback" if r.kind == "time" else "call", float(r.minutes or 0), r.week
        )
        for r in rows
        if r.participant_id in codes
    ]


def _outcome(line: ParticipantLine, given: tuple[Arm, date] | None, moment: datetime | None,
             programme: Programme) -> Outcome:  # fmt: skip
    """The person's outcome as ``icbt trial status`` counts it; an allocation given by the caller (not
    in ``trial_allocations``) counts as a draw made that day."""
    person = line.person
    if person is None or given is None or person.facts.allocated or moment is None or programme.trial is None:
        return line.outcome
    weeks = max(a.last_week for a in programme.trial.arms) + 1
    over = given[1] + timedelta(weeks=weeks) < moment.date()
    return outcome_of(replace(person, facts=replace(person.facts, allocated=True), arm=given[0], arm_over=over))


async def _characteristics(session: AsyncSession) -> dict[int, dict[str, Characteristic]]:
    """Table II from the latest application: age, sex, years of pain, sick leave, where the pain is."""
    found: dict[int, dict[str, Characteristic]] = {}
    for app in await session.scalars(select(TrialApplication).order_by(TrialApplication.id)):
        answers = app.answers or {}
        row: dict[str, Characteristic] = {}
        if isinstance(answers.get("age"), int | float):
            row["age"] = float(answers["age"])
        if answers.get("sex") in ("female", "male", "other"):
            row["gender"] = {"female": "woman", "male": "man"}.get(answers["sex"], "other / not said")
        with contextlib.suppress(ValueError):  # an unreadable date leaves the cell empty
            row["pain_years"] = round(
                (app.applied_on - date.fromisoformat(str(answers.get("pain_since")))).days / 365.25, 1
            )
        if answers.get("work") in ("employed", "sick_leave", "other"):
            row["sick_leave"] = "yes" if answers["work"] == "sick_leave" else "no"
        if answers.get("pain_region"):
            row["pain_location"] = str(answers["pain_region"]).replace("_", " ")
        found[app.participant_id] = row
    return found


async def _allocations(
    session: AsyncSession, codes: Mapping[int, str], programme: Programme
) -> dict[str, tuple[Arm, date]]:
    """code -> (arm, allocation day) from ``trial_allocations``."""
    first = programme.trial.arms[0].id if programme.trial is not None and programme.trial.arms else "treatment"
    rows = await session.scalars(select(TrialAllocation))
    return {
        codes[r.participant_id]: ("treatment" if r.arm == first else "control", r.allocated_on)
        for r in rows
        if r.participant_id in codes
    }


async def _exclusions(session: AsyncSession, codes: Mapping[int, str]) -> dict[str, tuple[str, str | None]]:
    """code -> (why they were screened out, the interviewer's own words): the application's unmet
    criteria, or the interview's exclusion (the words are free text, kept apart from the reason)."""
    found: dict[str, tuple[str, str | None]] = {}
    for app in await session.scalars(select(TrialApplication).where(TrialApplication.eligible.is_(False))):
        reasons = [str(r.get("id")) for r in (app.result or {}).get("reasons", []) if isinstance(r, dict)]
        found[codes.get(app.participant_id, "")] = ("not eligible: " + (", ".join(reasons) or "criteria"), None)
    for interview in await session.scalars(select(TrialInterview).order_by(TrialInterview.id)):
        if interview.outcome == "exclude":
            found[codes.get(interview.participant_id, "")] = ("excluded at interview", interview.reason or None)
        else:
            found.pop(codes.get(interview.participant_id, ""), None)
    found.pop("", None)
    return found


def _score_records(
    rows: list[ScoreRow], codes: Mapping[int, str], programme: Programme,
    corrections: Mapping[tuple[int, str, str], ScoreCorrection],
) -> list[ScoreRecord]:  # fmt: skip
    """One record per scale of each administration, from its newest correction where it has one."""
    found = []
    for first in rows:
        instrument = programme.instruments.get(first.instrument)
        if instrument is None or first.participant_id not in codes:
            continue
        correction = corrections.get((first.participant_id, first.module_id, first.step_id))
        row: ScoreRow | ScoreCorrection = correction or first
        missing = set(row.items_missing)
        for scale in instrument.scales:
            part_missing = sum(1 for i in instrument.scale_items(scale) if i.id in missing)
            value = row.subscales.get(scale.id)
            band = row.band if scale == instrument.total_scale else None
            found.append(ScoreRecord(codes[row.participant_id], row.instrument, row.module_id, row.step_id, scale.id,
                                     value, band, part_missing, row.prorated and part_missing > 0, first.at,
                                     corrected=correction is not None))  # fmt: skip
    return found


def _diary(answers: tuple[AnswerRecord, ...]) -> list[DiaryRecord]:
    days: dict[tuple[str, str, date], dict[str, float | None]] = {}
    for a in answers:
        if not (a.entry_id or "").startswith(DIARY_PREFIX + ":"):
            continue
        try:
            day = date.fromisoformat((a.entry_id or "").split(":", 1)[1])
        except ValueError:
            continue
        value = float(a.value) if isinstance(a.value, int | float) and not isinstance(a.value, bool) else None
        days.setdefault((a.code, a.module_id, day), {})[a.field_id or ""] = value
    first: dict[tuple[str, str], date] = {}
    for code, module_id, day in days:
        first[(code, module_id)] = min(day, first.get((code, module_id), day))
    return [
        DiaryRecord(
            code,
            module_id,
            day,
            (day - first[(code, module_id)]).days + 1,
            fields.get("average_pain"),
            fields.get("worst_pain"),
            fields.get("activity_today"),
        )
        for (code, module_id, day), fields in sorted(days.items())
    ]


def _modules(
    answers: tuple[AnswerRecord, ...],
    programme: Programme,
    finished: set[str] = frozenset(),  # type: ignore[assignment]
) -> list[ModuleProgressRecord]:
    weeks = {m.id: m.week for m in programme.scheduled if m.week is not None}
    opened: dict[tuple[str, str], datetime] = {}
    completed: dict[tuple[str, str], datetime] = {}
    for a in answers:
        if a.module_id not in weeks or (a.entry_id or "").startswith(DIARY_PREFIX + ":"):
            continue
        key = (a.code, a.module_id)
        opened.setdefault(key, a.answered_at)
        if a.step_id == programme.modules[a.module_id].steps[-1].id:
            completed.setdefault(key, a.answered_at)
    # Modules run one after the other: an answer in a later module means this one was finished.
    order = {m.id: n for n, m in enumerate(programme.scheduled)}
    for (code, module_id), _ in opened.items():
        later = [at for (c, m), at in opened.items() if c == code and order[m] > order[module_id]]
        if later and (code, module_id) not in completed:
            completed[(code, module_id)] = min(later)
        if code in finished and (code, module_id) not in completed:  # the programme's end: all done
            completed[(code, module_id)] = max(at for (c, _), at in opened.items() if c == code)
    return [
        ModuleProgressRecord(code, module_id, weeks[module_id], at, completed.get((code, module_id)))
        for (code, module_id), at in sorted(opened.items())
    ]
