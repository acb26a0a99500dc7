"""The rooms of the house and the way imports may point between them (docs/architecture.md): inward only, and
no module importing another in a circle. Read from the source's import statements, as a newcomer would."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("models", "locales", "jobs", "reports", "plans", "handlers", "bot")

# Each room, and the rooms it may import (itself always).
MAY_IMPORT: dict[str, set[str]] = {
    "models": {"locales"},  # labels marked for translation (N_)
    "locales": set(),
    "jobs": {"models", "locales"},
    "reports": {"models", "jobs", "locales"},
    "plans": {"models", "jobs", "locales"},
    "handlers.machinery": {"models", "jobs", "reports", "locales"},
    "handlers": {"handlers.machinery", "handlers.review", "models", "jobs", "reports", "locales"},
    "handlers.review": {"handlers.machinery", "handlers", "models", "jobs", "reports", "locales"},
    "bot.settings": set(),
    "bot.runtime": {"bot.settings", "handlers", "handlers.machinery", "handlers.review", "reports", "jobs", "models",
                    "locales"},
    "bot.channels": {"bot.runtime", "bot.settings", "handlers.machinery", "handlers", "locales", "models"},
    "bot.service": {"bot.channels", "bot.runtime", "bot.settings"},
    "bot.cli": {"bot.service", "bot.channels", "bot.runtime", "bot.settings", "handlers", "handlers.machinery",
                "handlers.review", "plans", "reports", "jobs", "models", "locales"},
    "bot.__main__": {"bot.cli"},
    "bot": set(),  # the package itself: nothing in it
}


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            found[name] = path
    return found


def room(module: str) -> str:
    parts = module.split(".")
    if parts[0] in ("bot", "handlers") and len(parts) > 1 and f"{parts[0]}.{parts[1]}" in MAY_IMPORT:
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


def imports() -> dict[str, set[str]]:
    known = modules()
    found: dict[str, set[str]] = defaultdict(set)
    for name, path in known.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
                targets = [t if t in known else node.module for t in targets]
            elif isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                continue
            found[name] |= {target for target in targets if target in known and target != name}
    return found


def test_every_import_points_inward() -> None:
    wrong = [f"{module} imports {target}" for module, targets in imports().items() for target in targets
             if room(target) != room(module) and room(target) not in MAY_IMPORT[room(module)]]
    assert wrong == []


def test_no_module_imports_another_in_a_circle() -> None:
    graph = imports()
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path being followed, 2: done

    def follow(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                circles.append(path[path.index(target):] + [target])
            elif target not in state:
                follow(target, path + [target])
        state[module] = 2

    for module in sorted(modules()):
        if module not in state:
            follow(module, [module])
    assert circles == []


def test_the_rooms_are_known() -> None:
    """A new folder is placed in the map above on purpose, not by accident."""
    assert {room(module) for module in modules()} <= set(MAY_IMPORT)
