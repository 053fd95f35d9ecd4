"""The project's exception tree.

Each edge translates these into what its user needs: a friendly re-prompt in chat,
``file: path: problem`` lines in content validation, one readable line and an exit code in the CLI.
Nothing else in the code should raise bare ``Exception`` subclasses at a user.
"""

from __future__ import annotations


class IcbtError(Exception):
    """Base of every error this project raises on purpose."""

    exit_code = 1


class ConfigError(IcbtError):
    """A setting is missing or invalid; start-up stops with one line naming it."""

    exit_code = 2


class ContentError(IcbtError):
    """The YAML content is invalid; carries every problem found, not just the first."""

    exit_code = 1

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class InputRejected(IcbtError):
    """A participant's answer does not fit the step; the engine re-prompts with ``reason``."""

    def __init__(self, reason_key: str, **params: object) -> None:
        super().__init__(reason_key)
        self.reason_key = reason_key
        self.params = params


class StorageUnavailable(IcbtError):
    """The database cannot be reached (e.g. PostgreSQL asked for but down)."""

    exit_code = 3


class TelegramUnavailable(IcbtError):
    """The Bot API cannot be reached at start-up (network, wrong base URL)."""

    exit_code = 3


class TrialStateError(IcbtError):
    """A trial step asked for out of order (e.g. allocation before the interview's include and consent)."""

    exit_code = 1


class InterviewClosed(TrialStateError):
    """An interview outcome for someone who has already agreed to the consent: it can be corrected only
    until then. ``code`` names the participant so staff can be told in the content's words."""

    def __init__(self, code: str, stage: str) -> None:
        super().__init__(
            f"{code} has already agreed to the consent (stage {stage!r}); the interview can no longer be corrected"
        )
        self.code = code


class AnalysisMissing(IcbtError):
    """The report's statistics (scipy, statsmodels, pandas) are the ``analysis`` extra, which the bot
    itself does not need; a command that needs them says so in one line."""

    exit_code = 2
