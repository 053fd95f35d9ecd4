"""``icbt demo`` gives the trial's primary outcome with a stand-in wording that says it is one."""

from __future__ import annotations

from pathlib import Path

from bot.channels.demo_stand_in import stand_in_settings
from bot.content.loader import load_programme
from bot.measures.primary_outcome import primary_outcome_problem
from bot.settings import Settings
from tests.conftest import ROOT

CONTENT = ROOT / "content"


def test_without_a_site_the_primary_outcome_gets_a_stand_in_that_says_so(tmp_path: Path) -> None:
    plain = Settings(content_dir=CONTENT)
    assert primary_outcome_problem(load_programme(CONTENT), CONTENT, None) is not None, "shipped without wording"
    settings = stand_in_settings(plain, tmp_path)
    assert settings.site_content_dir == tmp_path
    programme = load_programme(CONTENT, settings.site_content_dir)
    assert primary_outcome_problem(programme, CONTENT, settings.site_content_dir) is None
    primary = programme.instruments["csq_catastrophizing"]
    texts = [programme.text(item.text, "en") for item in primary.items]
    assert texts[0].startswith("Stand-in statement 1 of CSQ")
    assert all("not the licensed wording" in text for text in texts)
    others = [i for i in programme.instruments.values() if i.licence == "licensed" and i.id != primary.id]
    assert others and not any(i.wording_supplied for i in others), "only the primary outcome is stood in for"


def test_a_site_with_its_own_wording_is_left_as_it_is(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    settings = Settings(content_dir=CONTENT, site_content_dir=site)
    assert stand_in_settings(settings, tmp_path / "stand-in") is settings
    assert not (tmp_path / "stand-in").exists()
