"""Load and validate the YAML under ``content/`` into one immutable ``Programme``.

Validation collects every problem, each as ``file: path.to.field: what is wrong``, so an admin fixes
a whole batch at once instead of one error per run.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from bot.content.dependencies import check_step
from bot.content.messages import REQUIRED_KEYS
from bot.content.programme import Programme
from bot.content.safety_file import load_crisis_lines, load_safety
from bot.content.schema import (
    STEP_KINDS,
    ChoiceStep,
    DailyPrompt,
    Instrument,
    Module,
    ProgrammeSpec,
    QuestionnaireStep,
    Step,
)
from bot.content.site import merge_wording, overlay_files, partly_filled, site_digest
from bot.content.trial_loader import load_trial
from bot.errors import ContentError
from bot.safety.rules import SafetyRules

TEXT_KEYS = frozenset(
    {"title", "text", "label", "summary", "button", "agree", "decline", "min_label", "max_label",
     "unit", "intro", "lower", "same", "higher"}
)  # fmt: skip
LIST_TEXT_KEYS = frozenset({"script", "response_labels"})
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A SafeLoader that refuses duplicate mapping keys instead of silently keeping the last (libyaml's
    parser where PyYAML has it: the same documents, read several times faster)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_OWN_PATH = re.compile(r"^[\w.]+: ")


class _Collector:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[str] = []

    def add(self, file: Path, path: str, message: str) -> None:
        rel = file.relative_to(self.root.parent) if file.is_relative_to(self.root.parent) else file
        self.problems.append(f"{rel}: {path or '(top)'}: {message}")

    def read_yaml(self, file: Path) -> Any:
        try:
            return yaml.load(file.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = f"line {mark.line + 1}" if mark else "(top)"
            self.add(file, where, f"{exc.problem or exc.context} (YAML syntax)")
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            self.add(file, "", f"cannot read: {exc}")
        return None

    def validate(self, file: Path, model: type[BaseModel], data: Any) -> Any:
        if not isinstance(data, dict):
            self.add(file, "", "expected a mapping of keys to values")
            return None
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            for err in exc.errors():
                path, message = _loc(err["loc"]), _message(err)
                if not path and _OWN_PATH.match(message):  # a cross-field check names its own path
                    path, message = message.split(": ", 1)
                self.add(file, path, message)
        return None


def load_safety_rules(root: Path, lang: str) -> SafetyRules:
    """Only ``root/safety/<lang>.yaml`` (what ``icbt safety check`` tries a phrase list with), or
    ``ContentError``; instrument item rules are not read here."""
    col = _Collector(root)
    found = load_safety(col, root, (lang,), {})
    if col.problems or lang not in found:
        raise ContentError(col.problems or [f"{root / 'safety' / (lang + '.yaml')}: (top): no safety rules"])
    return found[lang]


def _loc(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    previous: Any = None
    for item in loc:
        # Discriminated unions insert the tag ("page", ...) after the list index: drop it.
        if isinstance(previous, int) and item in STEP_KINDS:
            previous = item
            continue
        if isinstance(item, str) and item.startswith(("function-after[", "tagged-union[")):
            continue
        parts.append(str(item))
        previous = item
    return ".".join(parts)


def _message(err: Any) -> str:
    kind = err["type"]
    if kind == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag", "?")
        return f"unknown kind {tag!r} (expected one of: {', '.join(STEP_KINDS)})"
    if kind == "union_tag_not_found":
        return "missing 'kind'"
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling against docs/content-authoring.md)"
    return str(err["msg"]).removeprefix("Value error, ")


def content_version(root: Path, site_dir: Path | None = None) -> str:
    """A short hash of every YAML file's name and bytes (and the site's overlay): what each answer records."""
    digest = hashlib.sha256(site_digest(site_dir))
    for file in sorted(root.rglob("*.yaml")):
        digest.update(str(file.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(file.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def load_programme(root: Path, site_dir: Path | None = None) -> Programme:
    """Load ``root`` (with a site's wording overlay from ``site_dir``) or raise ``ContentError``."""
    col = _Collector(root)
    if not root.is_dir():
        raise ContentError([f"{root}: (top): content directory not found"])
    if site_dir is not None and not site_dir.is_dir():
        raise ContentError([f"{site_dir}: (top): site content directory not found"])
    prog_file = root / "programme.yaml"
    spec_data = col.read_yaml(prog_file) if prog_file.exists() else None
    if not prog_file.exists():
        col.add(prog_file, "", "file not found")
    spec: ProgrammeSpec | None = col.validate(prog_file, ProgrammeSpec, spec_data) if spec_data is not None else None
    languages = spec.languages if spec else ("en",)
    default = spec.default_language if spec else "en"

    modules = _load_modules(col, root, languages, default)
    instruments = _load_instruments(col, root, languages, default, site_dir)
    messages = _load_messages(col, root, languages, default)
    safety = load_safety(col, root, languages, instruments)
    crisis_lines = load_crisis_lines(col, root)
    trial = load_trial(col, root, instruments, languages, default)
    if spec:
        _check_programme(col, prog_file, spec, modules, instruments, spec_data)
    if trial is not None:  # without a trial every participant reads a step's own text
        _check_arm_texts(col, modules, {arm.id for arm in trial.arms})
    if col.problems:
        raise ContentError(col.problems)
    assert spec is not None
    return Programme.build(
        spec,
        modules,
        instruments,
        messages,
        content_version(root, site_dir),
        root,
        safety,
        trial=trial,
        crisis_lines=crisis_lines,
    )


def _load_modules(col: _Collector, root: Path, langs: tuple[str, ...], default: str) -> dict[str, tuple[Path, Module]]:
    found: dict[str, tuple[Path, Module]] = {}
    for file in sorted((root / "modules").glob("*.yaml")):
        data = col.read_yaml(file)
        if data is None:
            continue
        _check_translations(col, file, data, langs, default)
        module: Module | None = col.validate(file, Module, data)
        if module is None:
            continue
        if module.id in found:
            col.add(
                file,
                "id",
                f"duplicate module id {module.id!r} (also in {found[module.id][0].name})",
            )
            continue
        found[module.id] = (file, module)
        _check_module(col, file, module)
    return found


def _check_module(col: _Collector, file: Path, module: Module) -> None:
    ids = [s.id for s in module.steps]
    for index, step in enumerate(module.steps):
        if ids.count(step.id) > 1 and ids.index(step.id) != index:
            col.add(file, f"steps.{index}.id", f"duplicate step id {step.id!r}")
        if isinstance(step, ChoiceStep):
            for o_index, option in enumerate(step.options):
                if option.goto is not None and option.goto not in ids:
                    col.add(
                        file,
                        f"steps.{index}.options.{o_index}.goto",
                        f"no step {option.goto!r} in this module",
                    )
    daily_ids = [d.id for d in module.daily]
    for index, prompt in enumerate(module.daily):
        if daily_ids.count(prompt.id) > 1 and daily_ids.index(prompt.id) != index:
            col.add(file, f"daily.{index}.id", f"duplicate daily prompt id {prompt.id!r}")
        if prompt.step.kind in ("consent", "choice") and _has_goto(prompt):
            col.add(file, f"daily.{index}.step", "a daily prompt cannot jump with goto")
        if prompt.after is not None and prompt.after not in ids:
            col.add(file, f"daily.{index}.after", f"no step {prompt.after!r} in this module")
        if prompt.step.kind == "consent":
            col.add(file, f"daily.{index}.step.kind", "a daily prompt cannot be a consent step")
    if module.week is None and module.daily:
        col.add(file, "daily", "only a module with a week can have daily prompts")
    if module.report is not None:
        target = next((s for s in module.steps if s.id == module.report.step), None)
        if target is None:
            col.add(file, "report.step", f"no step {module.report.step!r} in this module")
        elif target.kind != "form":
            col.add(file, "report.step", f"the weekly report must be a form step, not {target.kind!r}")
        if module.week is None:
            col.add(file, "report", "only a module with a week can have a weekly report")
    for where, step in _all_steps(module):
        for path, message in check_step(step):
            col.add(file, f"{where}.{path}", message)


def _has_goto(prompt: DailyPrompt) -> bool:
    return isinstance(prompt.step, ChoiceStep) and any(o.goto for o in prompt.step.options)


def _load_instruments(
    col: _Collector, root: Path, langs: tuple[str, ...], default: str, site_dir: Path | None = None
) -> dict[str, Instrument]:
    found: dict[str, Instrument] = {}
    overlays = overlay_files(site_dir)
    shipped = {file.stem for file in (root / "instruments").glob("*.yaml")}
    for stem in sorted(set(overlays) - shipped):
        col.add(overlays[stem], "", f"no shipped instrument {stem!r} to supply wording for")
    for file in sorted((root / "instruments").glob("*.yaml")):
        data = col.read_yaml(file)
        if data is None:
            continue
        if file.stem in overlays and isinstance(data, dict):
            overlay = col.read_yaml(overlays[file.stem])
            data, problems = merge_wording(data, overlay)
            for where, message in problems:
                col.add(overlays[file.stem], where, message)
        instrument: Instrument | None = col.validate(file, Instrument, data)
        if instrument is None:
            continue
        empty = partly_filled(instrument)
        if instrument.licence == "licensed" and empty:
            where = overlays.get(file.stem, file)
            col.add(where, "items", f"wording supplied for only some items; still empty: {', '.join(empty)}")
        if instrument.licence != "licensed" or (instrument.wording_supplied and not empty):
            worded_in = overlays.get(file.stem, file) if instrument.licence == "licensed" else file
            _check_translations(col, worded_in, data, langs, default)
            for index, item in enumerate(instrument.items):
                if not item.text:
                    col.add(file, f"items.{index}.text", "item wording is empty")
        if instrument.id in found:
            col.add(file, "id", f"duplicate instrument id {instrument.id!r}")
        found[instrument.id] = instrument
    return found


def _load_messages(col: _Collector, root: Path, langs: tuple[str, ...], default: str) -> dict[str, dict[str, str]]:
    catalogues: dict[str, dict[str, str]] = {}
    for lang in langs:
        file = root / "messages" / f"{lang}.yaml"
        if not file.exists():
            col.add(file, "", f"missing translation: no message file for language {lang!r}")
            continue
        data = col.read_yaml(file)
        if data is None:
            continue
        if not isinstance(data, dict):
            col.add(file, "", "expected a mapping of keys to texts")
            continue
        flat: dict[str, str] = {}
        for key, value in _flatten(data):
            if not isinstance(value, str):
                col.add(file, key, "must be a text")
            else:
                flat[key] = value
        catalogues[lang] = flat
    base = catalogues.get(default, {})
    for lang, flat in catalogues.items():
        file = root / "messages" / f"{lang}.yaml"
        wanted = REQUIRED_KEYS | set(base)
        for key in sorted(wanted - set(flat)):
            col.add(file, key, f"missing translation for {lang!r}")
        for key, text in flat.items():
            if key in base and set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(base[key])):
                col.add(
                    file,
                    key,
                    f"placeholders differ from {default}.yaml: {sorted(set(PLACEHOLDER.findall(base[key])))}",
                )
    return catalogues


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, full + ".")
        else:
            yield full, value


def _check_translations(
    col: _Collector, file: Path, data: Any, langs: tuple[str, ...], default: str, path: str = ""
) -> None:
    """Every participant-facing text must exist in every language the programme declares."""
    if isinstance(data, dict):
        for key, value in data.items():
            sub = f"{path}.{key}" if path else str(key)
            if key in TEXT_KEYS:
                _check_text(col, file, sub, value, langs, default)
            elif key in LIST_TEXT_KEYS and isinstance(value, list):
                for index, item in enumerate(value):
                    _check_text(col, file, f"{sub}.{index}", item, langs, default)
            else:
                _check_translations(col, file, value, langs, default, sub)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            _check_translations(col, file, item, langs, default, f"{path}.{index}")


def _check_text(col: _Collector, file: Path, path: str, value: Any, langs: tuple[str, ...], default: str) -> None:
    if isinstance(value, dict):
        for lang in langs:
            if not value.get(lang):
                col.add(file, path, f"missing translation for {lang!r}")
        for lang in value:
            if lang not in langs:
                col.add(file, f"{path}.{lang}", f"language {lang!r} is not declared in programme.yaml")
    elif isinstance(value, str) and len(langs) > 1:
        for lang in langs:
            if lang != default:
                col.add(
                    file,
                    path,
                    f"missing translation for {lang!r} (write the text as a mapping per language)",
                )


def _check_programme(
    col: _Collector,
    file: Path,
    spec: ProgrammeSpec,
    modules: dict[str, tuple[Path, Module]],
    instruments: dict[str, Instrument],
    raw: Any,
) -> None:
    if spec.default_language not in spec.languages:
        col.add(file, "default_language", f"{spec.default_language!r} is not in languages")
    _check_translations(col, file, raw, spec.languages, spec.default_language)
    used: dict[str, str] = {}
    for index, module_id in enumerate(spec.onboarding):
        _reference(col, file, f"onboarding.{index}", module_id, modules, used)
        if module_id in modules and modules[module_id][1].week is not None:
            col.add(file, f"onboarding.{index}", f"onboarding module {module_id!r} must not have a week")
    if not any(step.kind == "consent" for mid in spec.onboarding if mid in modules for step in modules[mid][1].steps):
        col.add(
            file,
            "onboarding",
            "no consent step: a participant must agree before the programme starts",
        )
    if spec.symptom_watch is not None:
        _check_symptom_watch(col, file, spec.symptom_watch, modules, used)
    previous_week = -1
    for p_index, phase in enumerate(spec.phases):
        for m_index, module_id in enumerate(phase.modules):
            where = f"phases.{p_index}.modules.{m_index}"
            if not _reference(col, file, where, module_id, modules, used):
                continue
            week = modules[module_id][1].week
            if week is None:
                col.add(file, where, f"module {module_id!r} needs a week to be in a phase")
            elif not phase.weeks[0] <= week <= phase.weeks[1]:
                col.add(
                    file,
                    where,
                    f"module {module_id!r} is in week {week}, outside phase weeks {list(phase.weeks)}",
                )
            elif week < previous_week:
                col.add(file, where, f"module {module_id!r} (week {week}) comes after a later week")
            else:
                previous_week = week
    for module_id, (mfile, module) in modules.items():
        if module_id not in used:
            col.add(mfile, "id", f"module {module_id!r} is not used in programme.yaml")
        for where, step in _all_steps(module):
            if isinstance(step, QuestionnaireStep) and step.instrument not in instruments:
                col.add(
                    mfile,
                    f"{where}.instrument",
                    f"no instrument {step.instrument!r} in instruments/",
                )


def _check_arm_texts(col: _Collector, modules: dict[str, tuple[Path, Module]], arms: set[str]) -> None:
    """An arm's own words must name an arm of trial/trial.yaml, or they would never be read."""
    for mfile, module in modules.values():
        for where, step in _all_steps(module):
            for arm in step.text_for_arm:
                if arm not in arms:
                    col.add(mfile, f"{where}.text_for_arm.{arm}", f"no arm {arm!r} in trial/trial.yaml")


def _check_symptom_watch(
    col: _Collector, file: Path, module_id: str, modules: dict[str, tuple[Path, Module]], used: dict[str, str]
) -> None:
    """Between modules only questionnaires are given, each step named after its programme week."""
    if not _reference(col, file, "symptom_watch", module_id, modules, used):
        return
    mfile, module = modules[module_id]
    if module.week is not None:
        col.add(file, "symptom_watch", f"module {module_id!r} is given between modules and must not have a week")
    for index, step in enumerate(module.steps):
        if not isinstance(step, QuestionnaireStep):
            col.add(mfile, f"steps.{index}.kind", "only questionnaires are given between modules")
        if not re.fullmatch(r"week\d{2}", step.id):
            col.add(mfile, f"steps.{index}.id", f"{step.id!r} must name its programme week, like week04")


def _reference(
    col: _Collector,
    file: Path,
    where: str,
    module_id: str,
    modules: dict[str, Any],
    used: dict[str, str],
) -> bool:
    if module_id not in modules:
        col.add(file, where, f"no module {module_id!r} in modules/")
        return False
    if module_id in used:
        col.add(file, where, f"module {module_id!r} is used twice (also at {used[module_id]})")
        return False
    used[module_id] = where
    return True


def _all_steps(module: Module) -> Iterator[tuple[str, Step]]:
    for index, step in enumerate(module.steps):
        yield f"steps.{index}", step
    for index, prompt in enumerate(module.daily):
        yield f"daily.{index}.step", prompt.step
