"""Fixtures shared by the unit tests."""

from __future__ import annotations

import pytest

from bot.content.programme import Programme
from bot.safety import SafetyRules


@pytest.fixture(scope="module")
def rules(programme: Programme) -> SafetyRules:
    """The shipped English risk rules (content/safety/en.yaml)."""
    found = programme.safety_rules("en")
    assert found is not None
    return found
