"""Every file and column of the research export, and the data dictionary that describes them.

One place names each column with its type, meaning and allowed values, so the writer, the reader and
``data_dictionary.csv`` cannot drift apart; a test reads the headers of every file written and checks
each column against the dictionary and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.content.schema import Instrument
from bot.measures.dataset import (
    AnswerRecord,
    DiaryRecord,
    ModuleProgressRecord,
    ParticipantRecord,
    ScoreRecord,
    TherapistContactRecord,
)

DICTIONARY = "data_dictionary.csv"
INFO = "export_info.csv"
SCREENING = "screening.csv"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # text | date | datetime | number | integer | boolean | json; a trailing ? = may be empty
    meaning: str
    allowed: str = ""


def _c(name: str, kind: str, meaning: str, allowed: str = "") -> Column:
    return Column(name, kind, meaning, allowed)


CODE = _c("code", "text", "pseudonymous participant code", "P-NNNN")
OUTCOMES_AFTER = "ongoing, completed, lost, withdrawn"
OUTCOMES_BEFORE = ("not_eligible, excluded, declined, withdrawn_before_draw; still under way: applying, "
                   "to_interview, consent, baseline")  # fmt: skip

# The research files: randomised participants only, and none whose data are marked for removal.
FILES: dict[str, tuple[type, tuple[Column, ...]]] = {
    "participants.csv": (ParticipantRecord, (
        CODE,
        _c("arm", "text", "randomised arm (from the trial's allocations table)", "treatment, control"),
        _c("stratum", "text?", "the allocation's stratum (strata from content/trial/trial.yaml)", "e.g. sex=female"),
        _c("status", "text", "where the person is in the trial", "active, completed, dropped_out"),
        _c("outcome", "text?", "the trial's one count (bot/trial/flow.py), as icbt trial status counts it",
           OUTCOMES_AFTER),
        _c("applied_on", "date", "date of application (UTC)"),
        _c("consented_on", "date?", "date consent was given"),
        _c("randomized_on", "date?", "the participant's local date of the draw"),
        _c("allocated_at", "datetime?", "the moment of the draw (UTC, ISO 8601)"),
        _c("withdrawal", "text?", "the withdrawal's choice; people who chose to have their data removed are "
           "not in the export (counted in export_info.csv)", "keep_data; empty = not withdrawn"),
        _c("withdrawn_on", "date?", "date of the withdrawal (UTC)"),
        _c("dropped_out_on", "date?", "date the person left the trial (their last answer)"),
    )),
    "characteristics.csv": (dict, (
        CODE,
        _c("name", "text", "baseline characteristic (Table II)",
           "age, pain_years, gender, education, sick_leave, pain_location, treatment_history, ..."),
        _c("value", "json", "its value as JSON: a number, a text, or a list of texts (several answers)"),
    )),
    "answers.csv": (AnswerRecord, (
        CODE,
        _c("module_id", "text", "module (or diary window) where the answer was given"),
        _c("step_id", "text", "step of the module (or its daily prompt); for a questionnaire the instrument's step"),
        _c("field_id", "text?", "form field or questionnaire item id (see the item rows below)"),
        _c("entry_id", "text?", "groups the fields of one entry; for a diary, the diary day"),
        _c("value", "json", "the answer as stored, JSON-encoded; a person's own words (text fields, notes, "
           "questions) only with --include-free-text, otherwise the row is left out"),
        _c("answered_at", "datetime", "when it was answered (UTC, ISO 8601)"),
    )),
    "scores.csv": (ScoreRecord, (
        CODE,
        _c("instrument", "text", "questionnaire id (content/instruments)"),
        _c("module_id", "text", "administration: baseline, post, the module of a symptom check, or mood_watch "
           "(the waiting list's mood questions at its check-ins)"),
        _c("step_id", "text", "step where it was given (for mood_watch the programme week, e.g. week04)"),
        _c("scale", "text", "total or subscale id (see the instrument rows below)"),
        _c("value", "number?", "the scale's score; empty when too many items were missing"),
        _c("band", "text?", "the score's band label, when the scale has bands"),
        _c("items_missing", "integer", "items of this scale left unanswered", "0 or more"),
        _c("prorated", "boolean", "score prorated from the answered items", "true, false"),
        _c("at", "datetime", "when the questionnaire was finished (UTC)"),
        _c("corrected", "boolean", "the value comes from a recorded correction (icbt participants correct), "
           "not from the first score; the audit log says who, when and why", "true, false"),
    )),
    "diary.csv": (DiaryRecord, (
        CODE,
        _c("module_id", "text", "diary window", "baseline, post"),
        _c("day", "date", "the diary day"),
        _c("day_index", "integer", "day of the window", "1-14"),
        _c("average_pain", "number?", "average pain that day", "0-10"),
        _c("worst_pain", "number?", "worst pain that day", "0-10"),
        _c("activity", "number?", "how much the person could do that day", "0-10"),
    )),
    "module_progress.csv": (ModuleProgressRecord, (
        CODE,
        _c("module_id", "text", "treatment module"),
        _c("week", "integer", "programme week of the module", "0-10"),
        _c("opened_at", "datetime", "when the module opened (its first answer)"),
        _c("completed_at", "datetime?", "when its last step was done; empty = not completed"),
    )),
    "therapist_time.csv": (TherapistContactRecord, (
        CODE,
        _c("at", "datetime", "when the therapist contact happened"),
        _c("kind", "text", "kind of contact", "feedback, call (message in the synthetic trial)"),
        _c("minutes", "number", "therapist minutes spent", ">= 0"),
        _c("week", "integer?", "programme week the minutes were for (0 = first baseline week)", "0-11"),
    )),
}  # fmt: skip

# The screening log: what the CONSORT flow needs about everyone not randomised, and no personal data.
SCREENING_COLUMNS: tuple[Column, ...] = (
    _c("code", "text", "pseudonymous applicant code", "P-NNNN (S-NNNN in the synthetic trial)"),
    _c("applied_on", "date", "date of application (UTC)"),
    _c("stage", "text", "the stage reached and how it ended (the trial's one count)", OUTCOMES_BEFORE),
    _c("reason", "text?", "why the person was not randomised, in fixed words",
       "not eligible: <criteria ids>, excluded at interview, declined consent, withdrew before the draw"),
    _c("note", "text?", "the interviewer's own words on an exclusion: free text, only with --include-free-text"),
)  # fmt: skip
INFO_COLUMNS: tuple[Column, ...] = (
    _c("key", "text", "what the row says",
       "pre_module, post_module, free_text, left_out_remove_data_treatment, left_out_remove_data_control"),
    _c("value", "text", "its value: the module of the pre and post measurement; free_text is included or "
       "left_out; left_out_* counts randomised people left out because they asked for their data to be removed"),
)  # fmt: skip
DICTIONARY_COLUMNS: tuple[Column, ...] = (
    _c("file", "text", "the export file a row describes"),
    _c("column", "text", "the column of that file"),
    _c("meaning", "text", "what the column (or item, or scale) means"),
    _c("type", "text", "its type; '(may be empty)' when a cell can be empty",
       "text, date, datetime, number, integer, boolean, json"),
    _c("allowed_values", "text?", "the values it can take"),
    _c("instrument", "text?", "for a questionnaire item or scale row: the instrument id"),
    _c("item", "text?", "for a questionnaire item or scale row: the item or scale id"),
)  # fmt: skip


def every_file() -> dict[str, tuple[Column, ...]]:
    """Every file the export writes, with its columns, in the order written."""
    return {
        **{name: columns for name, (_, columns) in FILES.items()},
        SCREENING: SCREENING_COLUMNS,
        INFO: INFO_COLUMNS,
        DICTIONARY: DICTIONARY_COLUMNS,
    }


def dictionary_rows(instruments: Mapping[str, Instrument]) -> list[tuple[str, ...]]:
    """Every column of every file, then one row per questionnaire item and per scale."""
    rows: list[tuple[str, ...]] = []
    for name, columns in every_file().items():
        for c in columns:
            kind = c.kind.rstrip("?") + (" (may be empty)" if c.kind.endswith("?") else "")
            rows.append((name, c.name, c.meaning, kind, c.allowed, "", ""))
    for instrument in sorted(instruments.values(), key=lambda i: i.id):
        rows += _instrument_rows(instrument)
    return rows


def _instrument_rows(instrument: Instrument) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    title = instrument.title if isinstance(instrument.title, str) else next(iter(instrument.title.values()))
    for item in instrument.items:
        meaning = f"{title}, item {item.id}" + (" (reverse-scored)" if item.reverse else "")
        if item.weight:
            meaning += f", weighted by {item.weight}"
        rows.append(("answers.csv", "value", meaning, "integer", f"{item.min}-{item.max}", instrument.id, item.id))
    for scale in instrument.scales:
        how = {"sum": "sum", "mean": "mean", "weighted_mean": "importance-weighted mean"}[scale.method]
        items = ", ".join(i.id for i in instrument.scale_items(scale))
        meaning = (
            f"{scale.title}: {how} of {items}; prorated with up to {scale.max_missing} missing; "
            f"{scale.better} is better; reliable change uses sd {scale.sd}, r {scale.reliability}"
        )
        bands = ", ".join(f"{b.label} from {b.min:g}" for b in scale.bands)
        rows.append(("scores.csv", "value", meaning, "number", bands, instrument.id, scale.id))
    return rows
