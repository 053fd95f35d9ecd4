"""The loaded programme: immutable, indexed, and versioned.

One ``Programme`` is built at start-up and shared by every event; answers record its ``version``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Any

from bot.content.schema import DailyPrompt, Instrument, LocalText, Module, ProgrammeSpec, Step
from bot.content.trial_schema import WAITING, Arm, TrialSpec
from bot.safety.crisis import CrisisResources
from bot.safety.rules import SafetyRules


class _SafeDict(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@dataclass(frozen=True)
class Programme:
    spec: ProgrammeSpec
    modules: Mapping[str, Module]
    instruments: Mapping[str, Instrument]
    messages: Mapping[str, Mapping[str, str]]
    version: str
    root: Path
    files: Mapping[str, Path] = field(default_factory=dict)
    safety: Mapping[str, SafetyRules] = field(default_factory=dict)  # risk screening per language
    trial: TrialSpec | None = None  # content/trial/trial.yaml; None runs no trial machinery
    crisis_lines: Mapping[str, CrisisResources] = field(default_factory=dict)  # country code -> resources

    @classmethod
    def build(
        cls,
        spec: ProgrammeSpec,
        modules: dict[str, tuple[Path, Module]],
        instruments: dict[str, Instrument],
        messages: dict[str, dict[str, str]],
        version: str,
        root: Path,
        safety: dict[str, SafetyRules] | None = None,
        trial: TrialSpec | None = None,
        crisis_lines: dict[str, CrisisResources] | None = None,
    ) -> Programme:
        return cls(
            spec=spec,
            modules=MappingProxyType({k: m for k, (_, m) in modules.items()}),
            instruments=MappingProxyType(dict(instruments)),
            messages=MappingProxyType({k: MappingProxyType(v) for k, v in messages.items()}),
            version=version,
            root=root,
            files=MappingProxyType({k: f for k, (f, _) in modules.items()}),
            safety=MappingProxyType(dict(safety or {})),
            trial=trial,
            crisis_lines=MappingProxyType(dict(crisis_lines or {})),
        )

    # -- text -------------------------------------------------------------------------------
    def text(self, value: LocalText | None, lang: str) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            return value
        return value.get(lang) or value.get(self.spec.default_language) or next(iter(value.values()), "")

    def msg(self, lang: str, key: str, **params: Any) -> str:
        catalogue = self.messages.get(lang) or self.messages[self.spec.default_language]
        template = catalogue.get(key) or self.messages[self.spec.default_language].get(key, key)
        return template.format_map(_SafeDict(params)) if params else template

    def safety_rules(self, lang: str) -> SafetyRules | None:
        """Screening rules for ``lang`` (else the default language); None only for a programme built without them."""
        return self.safety.get(lang) or self.safety.get(self.spec.default_language)

    def language(self, wanted: str | None) -> str:
        return wanted if wanted in self.spec.languages else self.spec.default_language

    # -- structure --------------------------------------------------------------------------
    @property
    def onboarding(self) -> tuple[str, ...]:
        return self.spec.onboarding

    @cached_property
    def scheduled(self) -> tuple[Module, ...]:
        """Modules with a week, in programme order (phases in order, modules as listed).

        Computed once: the sweep asks for it several times per participant, 100,000 times a sweep.
        """
        return tuple(self.modules[mid] for phase in self.spec.phases for mid in phase.modules)

    def arm_modules(self, arm: Arm, week: int) -> tuple[str, ...]:
        """Modules of the arm's programme phases whose week has come (a module's week counts from
        allocation); the ``waiting`` phase opens none."""
        opened: list[str] = []
        for item in arm.calendar:
            if item.weeks[0] > week or item.phase == WAITING:
                continue
            for phase in self.spec.phases:
                if phase.id != item.phase:
                    continue
                for module_id in phase.modules:
                    module_week = self.modules[module_id].week
                    if module_week is not None and module_week <= week:
                        opened.append(module_id)
        return tuple(opened)

    def phase_of(self, module_id: str) -> str | None:
        for phase in self.spec.phases:
            if module_id in phase.modules:
                return phase.id
        return None

    def step(self, module_id: str, step_id: str) -> Step:
        for step in self.modules[module_id].steps:
            if step.id == step_id:
                return step
        raise KeyError(f"{module_id}.{step_id}")

    def step_index(self, module_id: str, step_id: str) -> int:
        index = self._step_indexes.get((module_id, step_id))
        if index is None:
            raise KeyError(f"{module_id}.{step_id}" if module_id in self.modules else module_id)
        return index

    @cached_property
    def _step_indexes(self) -> dict[tuple[str, str], int]:
        """Step positions, looked up once per step per tick: built once instead of scanned each time."""
        indexes: dict[tuple[str, str], int] = {}
        for mid, module in self.modules.items():
            for i, step in enumerate(module.steps):
                indexes.setdefault((mid, step.id), i)
        return indexes

    def daily(self, module_id: str, daily_id: str) -> DailyPrompt:
        for prompt in self.modules[module_id].daily:
            if prompt.id == daily_id:
                return prompt
        raise KeyError(f"{module_id}.daily.{daily_id}")
