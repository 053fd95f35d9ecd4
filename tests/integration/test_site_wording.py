"""A site's own wording for licensed instruments: merged from an overlay directory, never shipped.

The wording in these tests is made up; the real instruments' wording must never enter the repository.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from bot.cli.app import app
from bot.content.loader import load_programme
from bot.errors import ConfigError, ContentError
from bot.settings import load_settings

CONTENT = Path(__file__).resolve().parents[2] / "content"
MADE_UP = [f"Made-up statement number {n} for testing" for n in range(1, 7)]


def site(tmp_path: Path, data: dict[str, object], name: str = "csq_catastrophizing") -> Path:
    folder = tmp_path / "site"
    (folder / "instruments").mkdir(parents=True, exist_ok=True)
    (folder / "instruments" / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    return folder


def worded(count: int = 6) -> dict[str, object]:
    return {
        "id": "csq_catastrophizing",
        "items": [{"id": f"c{n}", "text": MADE_UP[n - 1]} for n in range(1, count + 1)],
    }


def test_shipped_licensed_instruments_have_empty_slots() -> None:
    programme = load_programme(CONTENT)
    for instrument_id in ("csq", "csq_catastrophizing", "mpi_s", "pairs", "hads", "qoli", "madrs_s"):
        instrument = programme.instruments[instrument_id]
        assert instrument.licence == "licensed"
        assert all(item.text == "" for item in instrument.items), instrument_id


def test_a_site_overlay_fills_the_slots_and_the_instrument_becomes_active(tmp_path: Path) -> None:
    plain = load_programme(CONTENT)
    programme = load_programme(CONTENT, site(tmp_path, worded()))
    csq = programme.instruments["csq_catastrophizing"]
    assert [item.text for item in csq.items] == MADE_UP
    assert csq.wording_supplied
    assert [(i.max, i.reverse) for i in csq.items] == [(6, False)] * 6  # scoring unchanged
    assert not programme.instruments["hads"].wording_supplied  # others stay empty
    assert programme.version != plain.version  # answers record which wording was shown


def test_a_site_can_give_an_item_its_own_answer_labels_in_order_of_score(tmp_path: Path) -> None:
    items = [{"id": f"h{n}", "text": f"Made-up HADS-like item {n}"} for n in range(1, 15)]
    items[0]["response_labels"] = ["Made-up least", "Made-up some", "Made-up more", "Made-up most"]
    programme = load_programme(CONTENT, site(tmp_path, {"id": "hads", "items": items}, name="hads"))
    hads = programme.instruments["hads"]
    assert hads.items[0].response_labels[0] == "Made-up least" and hads.items[1].response_labels == ()
    items[0]["response_labels"] = ["only", "three", "labels"]
    with pytest.raises(ContentError) as caught:
        load_programme(CONTENT, site(tmp_path, {"id": "hads", "items": items}, name="hads"))
    assert any("one label per answer 0..3" in p for p in caught.value.problems)


def test_a_partly_worded_instrument_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load_programme(CONTENT, site(tmp_path, worded(3)))
    assert any("still empty: c4, c5, c6" in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "csq_catastrophizing", "scales": []}, "scales: a site supplies wording only"),
        ({"id": "csq_catastrophizing", "items": [{"id": "c1", "text": "x", "max": 3}]}, "items.0.max: a site supplies wording only"),
        ({"id": "csq_catastrophizing", "items": [{"id": "c9", "text": "x"}]}, "items.0.id: no item 'c9'"),
        ({"id": "hads", "items": []}, "id: must be 'csq_catastrophizing'"),
    ],
)  # fmt: skip
def test_an_overlay_may_not_change_scoring_or_invent_items(
    tmp_path: Path, data: dict[str, object], message: str
) -> None:
    with pytest.raises(ContentError) as caught:
        load_programme(CONTENT, site(tmp_path, data))
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_an_overlay_for_an_instrument_that_is_not_shipped_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ContentError) as caught:
        load_programme(CONTENT, site(tmp_path, {"id": "bdi", "items": []}, name="bdi"))
    assert any("no shipped instrument 'bdi'" in p for p in caught.value.problems)


def test_content_validate_says_which_slots_are_empty_and_which_are_filled(tmp_path: Path) -> None:
    runner = CliRunner()
    before = runner.invoke(app, ["content", "validate", str(CONTENT)])
    assert before.exit_code == 0, before.output
    assert (
        "instrument csq_catastrophizing: licensed wording slots empty (0/6 filled): skipped until supplied"
        in before.output
    )
    assert "instrument phq9: open wording shipped (9 items): active" in before.output
    after = runner.invoke(app, ["content", "validate", str(CONTENT), "--site", str(site(tmp_path, worded()))])
    assert after.exit_code == 0, after.output
    assert "instrument csq_catastrophizing: licensed wording supplied by the site (6/6 slots): active" in after.output
    assert "instrument hads: licensed wording slots empty (0/14 filled)" in after.output
    half = runner.invoke(app, ["content", "validate", str(CONTENT), "--site", str(site(tmp_path, worded(2)))])
    assert half.exit_code == 1 and "still empty: c3, c4, c5, c6" in half.output


def test_a_missing_site_directory_stops_start_up_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^config error: ICBT_SITE_CONTENT_DIR: .* is not a directory"):
        load_settings(None, site_content_dir=str(tmp_path / "nowhere"))
    assert load_settings(None, site_content_dir=str(tmp_path)).site_content_dir == tmp_path


def test_with_the_sites_wording_the_engine_gives_the_questionnaire_instead_of_skipping_it(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from bot.clock import FakeClock
    from tests.support import Participant, auto_answer

    programme = load_programme(CONTENT, site(tmp_path, worded()))
    person = Participant(programme, FakeClock(datetime(2026, 1, 5, 7, 0, tzinfo=UTC)))
    person.through_consent()
    for _ in range(300):
        if any(a.step == "csq_catastrophizing" for a in person.all_answers()) or person.state.frame is None:
            break
        auto_answer(person)
    given = [a for a in person.all_answers() if a.step == "csq_catastrophizing"]
    assert given and given[0].field == "c1"
    assert any(MADE_UP[0] in text for text in person.texts())
