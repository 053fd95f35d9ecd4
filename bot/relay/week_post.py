"""The week in words: a ``WeekView`` as the therapist reads it in the topic, and as a draft fills it.

Pure formatting over ``content/relay/<lang>.yaml``. Nothing is cut: a long week becomes a long text
that the channel sends in several messages (``split_text``), so the participant's words arrive whole.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.relay.content import RelayContent
from bot.relay.format import KIND_WORDS
from bot.relay.week import FilledForm, PainDiary, WeekView

BARS = "▁▂▃▄▅▆▇█"
NO_ENTRY = "·"


def spark(values: list[float | None], top: float = 10.0) -> str:
    """One character per day: a bar as high as the value (0..top), a dot for a day without one."""
    out = []
    for value in values:
        if value is None:
            out.append(NO_ENTRY)
        else:
            out.append(BARS[min(len(BARS) - 1, max(0, round(value / top * (len(BARS) - 1))))])
    return "".join(out)


def diary_chart(diary: PainDiary) -> tuple[str, str]:
    """The week's average and worst pain, Monday-or-whatever first day to the seventh."""
    by_day = {d: (a, w) for d, a, w in diary.days}
    days = [diary.first + timedelta(days=i) for i in range(7)]
    return spark([by_day.get(d, (None, None))[0] for d in days]), spark([by_day.get(d, (None, None))[1] for d in days])


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}".removesuffix(".0")


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b}"


def diary_line(content: RelayContent, diary: PainDiary) -> str:
    """``5 of 7 days, average pain 4.2, worst 7`` (or that there was no diary this week)."""
    if not diary.days:
        return content.text("week_diary_none")
    return content.text("week_diary_days", days=len(diary.days), average=_num(diary.average), worst=_num(diary.worst))


def practice_line(content: RelayContent, view: WeekView) -> str:
    if not view.practice:
        return content.text("week_practice_none")
    return "; ".join(content.text("week_practice_short", title=p.title, days=len(p.days)) for p in view.practice)


def homework_line(content: RelayContent, view: WeekView) -> str:
    titles = view.homework_titles
    return ", ".join(titles) if titles else content.text("week_forms_none")


def week_post(content: RelayContent, view: WeekView, why: str = "", footer: str = "") -> str:
    """The whole week in one text: report, forms, practice, diary, questions and alerts, reading."""
    t = content.text
    out = [t("week_title", code=view.code, week=view.week + 1, module=view.module_title or "–", why=why)]
    reading = t(f"week_reading_{view.reading.replace(' ', '_')}")
    out.append(t("week_reading", state=reading))
    if view.skipped:
        out.append(t("week_skipped", titles=", ".join(view.skipped)))
    if view.report is not None:
        out += ["", t("week_report_heading", day=_day(view.report.day))]
        out += [t("week_answer", label=label, answer=answer) for label, answer in view.report.answers]
    out += ["", t("week_forms_heading")]
    if not view.forms:
        out.append(t("week_forms_none"))
    for form in (f for f in view.forms if not f.daily):
        out.append(t("week_form", title=form.title, day=_day(form.day)))
        out += [t("week_answer", label=label, answer=answer) for label, answer in form.answers]
    out += _daily_forms(content, [f for f in view.forms if f.daily])
    out += ["", t("week_practice_heading")]
    if not view.practice:
        out.append(t("week_practice_none"))
    for p in view.practice:
        how = t("week_practice_how", changes=", ".join(p.how)) if p.how else ""
        out.append(t("week_practice", title=p.title, days=len(p.days), minutes=p.minutes, how=how))
    out += ["", t("week_diary_heading"), diary_line(content, view.diary)]
    if view.diary.days:
        average, worst = diary_chart(view.diary)
        out.append(t("week_diary_chart", first=f"{view.diary.first:%a}", average=average, worst=worst))
    out += [t("week_diary_note", day=_day(day), text=text) for day, text in view.diary.notes]
    if view.messages:
        out += ["", t("week_messages_heading")]
        out += [
            t("week_message", kind=KIND_WORDS.get(m.kind, m.kind), day=f"{m.at:%a %d %b}", text=m.text)
            for m in view.messages
        ]
    if footer:
        out += ["", footer]
    return "\n".join(out)


def _daily_forms(content: RelayContent, forms: list[FilledForm]) -> list[str]:
    """A daily form's entries, one line a day under its labels (as asked), so a week stays readable."""
    by_step: dict[str, list[FilledForm]] = {}
    for form in sorted(forms, key=lambda f: f.day):
        by_step.setdefault(form.step, []).append(form)
    out = []
    for entries in by_step.values():
        labels = list(dict.fromkeys(label for e in entries for label, _ in e.answers))
        out.append(content.text("week_daily_form", title=entries[0].title, days=len({e.day for e in entries}),
                                labels=" / ".join(labels)))  # fmt: skip
        for entry in entries:
            answers = dict(entry.answers)
            line = " / ".join(answers.get(label, "–") for label in labels)
            out.append(content.text("week_daily_entry", day=_day(entry.day), answers=line))
    return out
