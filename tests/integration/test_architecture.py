"""Imports point inward: the engine and content layers know no channel, database or scheduler."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.support.imports import imported_modules

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "bot/engine": (
        "telegram",
        "sqlalchemy",
        "apscheduler",
        "yaml",
        "bot.storage",
        "bot.channels",
        "scheduler",
        "bot.conversation.service",
    ),
    "bot/relay": ("telegram", "apscheduler", "bot.channels", "scheduler"),  # the staff side is channel-neutral
    "bot/content": ("telegram", "sqlalchemy", "apscheduler", "bot.engine", "bot.storage", "bot.channels", "scheduler"),
    # safety is called by the engine: pure, and knows no content loader, settings or edges
    "bot/safety": (
        "telegram",
        "sqlalchemy",
        "apscheduler",
        "yaml",
        "httpx",
        "bot.engine",
        "bot.content",
        "bot.storage",
        "bot.channels",
        "bot.settings",
        "bot.conversation.service",
        "scheduler",
    ),
}


def test_core_layers_import_nothing_from_the_edges():
    problems = []
    for package, banned in FORBIDDEN.items():
        for path in (ROOT / package).rglob("*.py"):
            for name in imported_modules(path):
                if any(name == b or name.startswith(b + ".") for b in banned):
                    problems.append(f"{path.relative_to(ROOT)} imports {name}")
    assert problems == []


def test_nothing_calls_datetime_now_outside_the_clock():
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("bot", "scheduler")
        for p in (ROOT / folder).rglob("*.py")
        if "datetime.now(" in p.read_text() and p.name != "clock.py"
    ]
    assert offenders == []


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _project_modules() -> dict[str, Path]:
    return {_module_name(p): p for folder in ("bot", "scheduler") for p in (ROOT / folder).rglob("*.py")}


def _import_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports at module level (``TYPE_CHECKING`` blocks excluded)."""
    modules = _project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        edges: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import):
                    edges.update(a.name for a in sub.names if a.name in modules)
                elif isinstance(sub, ast.ImportFrom) and sub.module:
                    edges.update(
                        f"{sub.module}.{a.name}" if f"{sub.module}.{a.name}" in modules else sub.module
                        for a in sub.names
                    )
        graph[name] = {e for e in edges if e in modules and e != name}
    return graph


def test_no_import_circles_in_the_project():
    graph = _import_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*trail[trail.index(nxt) :], nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert cycles == []


def _package(module: str) -> str:
    """A module's package for the layering rules: ``bot.<folder>`` (``bot.engine``, ``bot.trial``, …),
    a top-level module of ``bot`` on its own (``bot.clock``, ``bot.bootstrap``), or ``scheduler``."""
    parts = module.split(".")
    return "scheduler" if parts[0] == "scheduler" else ".".join(parts[:2])


def _all_imports(path: Path) -> set[str]:
    """Every module named by an import anywhere in the file, ``TYPE_CHECKING`` blocks included: a
    type-only import still ties the packages together for a reader."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.update({node.module, *(f"{node.module}.{a.name}" for a in node.names)})
    return names


def _package_graph() -> dict[str, set[str]]:
    modules = _project_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        mine = _package(name)
        targets = {_package(m) for m in _all_imports(path) if m in modules}
        graph.setdefault(mine, set()).update(t for t in targets if t != mine)
    return graph


def test_no_circle_between_packages():
    """The features build on the engine, the conversation service on both, the scheduler and the
    edges on all of them: no package imports one that imports it back (however indirectly)."""
    graph = _package_graph()

    def reaches(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in graph.get(todo.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    circles = sorted(f"{a} -> {b} -> … -> {a}" for a in graph for b in graph[a] if a in reaches(b))
    assert circles == []


ENGINE_MAY_REACH = {"bot.engine", "bot.content", "bot.safety", "bot.errors", "bot.text"}
NEVER_UNDER_THE_ENGINE = ("telegram", "sqlalchemy", "alembic", "apscheduler", "asyncpg", "aiosqlite", "httpx",
                          "matplotlib", "scipy", "statsmodels", "pandas", "numpy")  # fmt: skip


def test_the_engine_is_pure_all_the_way_down():
    """Not only the engine's own imports: everything they import in turn stays inside the engine,
    the content, the safety screen and the errors, and none of it touches a database, a channel, a
    scheduler or a plotting library."""
    modules = _project_modules()
    reached: set[str] = set()
    todo = [m for m in modules if m == "bot.engine" or m.startswith("bot.engine.")]
    outside: set[str] = set()
    while todo:
        name = todo.pop()
        if name in reached:
            continue
        reached.add(name)
        for imported in _all_imports(modules[name]):
            if imported in modules:
                todo.append(imported)
            elif not imported.startswith(("bot.", "scheduler.")):
                outside.add(imported.split(".")[0])
    assert sorted({_package(m) for m in reached} - ENGINE_MAY_REACH) == []
    assert sorted(outside & set(NEVER_UNDER_THE_ENGINE)) == []


def test_no_module_uses_another_modules_private_names():
    """``from x import _y``, ``module._y`` or ``other_object._y()`` couples code to another module's
    internals (the old engine's commands called ``engine._resume``): use a public function instead."""
    modules = _project_modules()
    problems = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("bot", "scheduler"):
                problems.extend(
                    f"{name} imports {node.module}.{a.name}"
                    for a in node.names
                    if a.name.startswith("_") and not a.name.startswith("__")
                )
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name)
                and node.value.id not in ("self", "cls")
            ):
                problems.append(f"{name} uses {node.value.id}.{node.attr}")
    assert problems == []


def test_the_engine_has_no_function_local_imports():
    """A function-local import is how a circle hides; the engine's modules import at the top."""
    problems = []
    for path in (ROOT / "bot" / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Import | ast.ImportFrom):
                        problems.append(f"{path.relative_to(ROOT)}:{sub.lineno}")
    assert problems == []


def test_the_engine_and_the_sweep_load_no_plotting_or_statistics_library():
    """matplotlib, scipy, statsmodels and pandas are for drawing and the report: loaded on first use,
    they stay out of a bot process that draws nothing (about 150 MB and 2 s of start-up) and out of
    every sweep worker."""
    import subprocess
    import sys

    code = (
        "import sys, bot.engine, bot.conversation.service, scheduler.sweep, scheduler.sweep_pool; "
        "print(sorted(m for m in ('matplotlib', 'scipy', 'statsmodels', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_engine_message_has_no_addressee_to_get_wrong():
    """Words for the therapists leave the engine as ``RelayRecord``s only. An ``Outbound`` is always
    written to the participant's own chat (``EffectRows.add``), so it carries no addressee: a field
    that could say "staff" and be ignored would send staff-only words to a participant."""
    from dataclasses import fields

    from bot.engine.model import Outbound

    assert {f.name for f in fields(Outbound)} == {"text", "buttons", "image", "dedup_key", "chart"}


# One writer per table: outbox rows are built by bot/storage/outbox.py, audit rows by bot/storage/audit.py.
ROW_BUILDERS = {"OutboxMessage": "bot/storage/outbox.py", "AuditEntry": "bot/storage/audit.py"}


def _project_files() -> list[Path]:
    return sorted(p for package in ("bot", "scheduler") for p in (ROOT / package).rglob("*.py"))


def test_outbox_and_audit_rows_are_built_in_one_place_each():
    """``OutboxMessage(...)`` and ``AuditEntry(...)`` are constructed only by their builders, so every
    writer shares the defaults (status, attempts, priority, due time, who and when)."""
    problems = []
    for path in _project_files():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in ROW_BUILDERS and where != ROW_BUILDERS[name]:
                    problems.append(f"{where}:{node.lineno} builds {name}; use {ROW_BUILDERS[name]}")
    assert problems == []


def test_audit_rows_as_plain_values_come_from_audit_row():
    """The batch INSERT's audit rows (``EffectRows.audit``) are made by ``audit_row``, not as dict literals."""
    found = set()
    for path in _project_files():
        where = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text())):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)} if isinstance(node, ast.Dict) else set()
            if {"actor", "action", "participant_id"} <= keys and where != ROW_BUILDERS["AuditEntry"]:
                found.add(where)
    assert found == set(), "use bot.storage.audit.audit_row"


def imports_of_test_modules(tests: Path) -> list[str]:
    """Each ``file: module`` where a Python file under ``tests`` imports a test module (a file named
    ``test_*.py``), however the import is spelled: absolute, ``from package import test_x`` or relative."""
    found = []
    for path in sorted(tests.rglob("*.py")):
        package = path.relative_to(tests.parent).with_suffix("").parts[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                within = package[: len(package) - node.level + 1] if node.level else ()
                module = ".".join([*within, *([node.module] if node.module else [])])
                names = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            else:
                continue
            found.extend(
                f"{path.relative_to(tests.parent)}: {name}"
                for name in names
                if name.rsplit(".", 1)[-1].startswith("test_")
                and tests.parent.joinpath(*name.split(".")).with_suffix(".py").is_file()
            )
    return found


def test_no_test_module_imports_another():
    """Helpers, constants and fixtures that several test files share live in tests/support/ or a
    conftest.py: a test module imported by another drags its own tests and fixtures into the importer
    and ties the two files together (moving one test breaks the other)."""
    assert imports_of_test_modules(ROOT / "tests") == []


def test_an_import_of_a_test_module_is_found_however_it_is_spelled(tmp_path: Path):
    tests = tmp_path / "tests"
    for name in ("support/__init__.py", "support/chat.py", "unit/test_a.py", "integration/test_b.py"):
        (tests / name).parent.mkdir(parents=True, exist_ok=True)
        (tests / name).write_text("")
    (tests / "integration" / "test_c.py").write_text(
        "from tests.unit.test_a import x\n"
        "from tests.integration import test_b\n"
        "from .test_b import y\n"
        "from ..unit import test_a\n"
        "def f():\n    import tests.integration.test_b\n"
        "from tests.support.chat import CHAT\n"
        "from tests.integration import conftest\n"
    )  # fmt: skip
    assert imports_of_test_modules(tests) == [
        "tests/integration/test_c.py: tests.unit.test_a",
        "tests/integration/test_c.py: tests.integration.test_b",
        "tests/integration/test_c.py: tests.integration.test_b",
        "tests/integration/test_c.py: tests.unit.test_a",
        "tests/integration/test_c.py: tests.integration.test_b",
    ]
