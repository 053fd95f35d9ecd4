"""The week's pain chart as a small picture under the week post in the participant's topic.

Drawn here, at the relay's edge (never in the engine), with ``bot.charts.pictures`` as the
participants' charts are, written to the charts folder (``<code>-w<week>-pain-<item>.png``, so the
erasure of a participant's pictures removes it too) and sent as a photo by the channel. Its caption
is the week post's one-line-a-day chart, so the text stays as the fallback (a console, a failed
upload). A week without a diary entry gets no picture.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.charts.pictures import WeekChartWords, week_pain_chart
from bot.relay.content import RelayContent
from bot.relay.store import RelayStore
from bot.relay.week import WeekView
from bot.relay.week_post import diary_chart, diary_line
from bot.storage.models import Participant


def draw(content: RelayContent, view: WeekView) -> bytes | None:
    """The picture's bytes, or None for a week without diary entries."""
    diary = view.diary
    if not diary.days:
        return None
    by_day = {d: (a, w) for d, a, w in diary.days}
    days = [diary.first + timedelta(days=i) for i in range(7)]
    words = WeekChartWords(
        title=content.text("week_chart_title", code=view.code, week=view.week + 1),
        axis=content.text("week_chart_axis"), average=content.text("week_chart_average"),
        worst=content.text("week_chart_worst"),
    )  # fmt: skip
    return week_pain_chart([f"{d:%a}" for d in days], [by_day.get(d, (None, None))[0] for d in days],
                           [by_day.get(d, (None, None))[1] for d in days], words)  # fmt: skip


async def post(store: RelayStore, content: RelayContent, view: WeekView, participant: Participant, item_id: int,
               topic_name: str, charts_dir: Path, now: datetime) -> bool:  # fmt: skip
    """Post the week's chart as a photo in the topic after the week post; False when there is none."""
    picture = draw(content, view)
    if picture is None:
        return False
    charts_dir.mkdir(parents=True, exist_ok=True)
    path = charts_dir / f"{participant.code or participant.id}-w{view.week + 1}-pain-{item_id}.png"
    path.write_bytes(picture)
    average, worst = diary_chart(view.diary)
    caption = "\n".join([diary_line(content, view.diary),
                         content.text("week_diary_chart", first=f"{view.diary.first:%a}", average=average, worst=worst)])  # fmt: skip
    await store.post_staff(now, caption, participant, item_id=item_id, topic_name=topic_name,
                           extra={"image": str(path)})  # fmt: skip
    return True
