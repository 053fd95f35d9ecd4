"""``icbt safety check``: a content author tries the screen on sentences of their own, from a file or
standard input, against the shipped phrase list or one of their own (``--content``)."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.app import app
from tests.conftest import CONTENT

runner = CliRunner()


def test_each_line_from_standard_input_comes_back_with_its_level():
    lines = "I want to kill myself\nI can't go on like this anymore\nMy back is stiff after gardening\n"
    result = runner.invoke(app, ["safety", "check", "--content", str(CONTENT)], input=lines)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "urgent\tI want to kill myself",
        "concern\tI can't go on like this anymore",
        "none\tMy back is stiff after gardening",
    ]


def test_a_labelled_file_is_graded_on_its_text_and_summed_up(tmp_path: Path):
    sentences = tmp_path / "mine.tsv"
    sentences.write_text("# my own set\nurgent\tI took all my pills\n\nnone\tThis pain is killing me\n")
    result = runner.invoke(app, ["safety", "check", str(sentences), "--content", str(CONTENT)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["urgent\tI took all my pills", "none\tThis pain is killing me"]
    assert "2 labelled lines, 2 at the expected level" in result.stderr
    assert "risk lines: 1 of 1 caught (100.0 % recall)" in result.stderr


def test_an_authors_own_phrase_list_is_the_one_used(tmp_path: Path):
    """The reason the command exists: a phrase added to a site's list is seen before it is deployed."""
    site = tmp_path / "content"
    shutil.copytree(CONTENT / "safety", site / "safety")
    before = runner.invoke(app, ["safety", "check", "--content", str(site)], input="I will walk into the sea\n")
    assert before.stdout == "none\tI will walk into the sea\n"
    text = (site / "safety" / "en.yaml").read_text()
    text = text.replace(
        "phrases:\n",
        'phrases:\n  - id: into_the_sea\n    category: suicide_plan\n    patterns:\n      - "walk into the sea"\n',
        1,
    )
    (site / "safety" / "en.yaml").write_text(text)
    after = runner.invoke(app, ["safety", "check", "--content", str(site)], input="I will walk into the sea\n")
    assert after.exit_code == 0, after.output
    assert after.stdout == "urgent\tI will walk into the sea\n"


def test_a_missing_file_is_one_line_and_a_non_zero_exit(tmp_path: Path):
    result = runner.invoke(app, ["safety", "check", str(tmp_path / "nope.txt"), "--content", str(CONTENT)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"safety check: {tmp_path / 'nope.txt'}: file not found"
