"""The layers point down only: ui → services → store, and no Qt below the ui.

Read from the source with `ast`, so an import inside a function or under TYPE_CHECKING
counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "panel_desk"


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, module: str | None = None) -> set[str]:
    """Every module `path` (the module named `module`) imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = (module or _module_name(path)).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    files = _modules(layer)
    assert files, f"panel_desk/{layer} has no modules: the test would prove nothing"
    return [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in files
        for name in sorted(imports_of(path))
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6", "pytestqt")


def test_the_ui_has_no_sql_and_no_store() -> None:
    assert _violations("ui", ("sqlalchemy", "alembic", "sqlite3", "panel_desk.store")) == []


@pytest.mark.parametrize("layer", ["services", "store"])
def test_services_and_store_have_no_qt(layer: str) -> None:
    assert _violations(layer, QT) == []


def test_the_store_imports_nothing_above_it() -> None:
    above = ("panel_desk.services", "panel_desk.ui", "panel_desk.cli", "panel_desk.crypto")
    assert _violations("store", above) == []


def test_services_import_nothing_above_them() -> None:
    assert _violations("services", ("panel_desk.ui", "panel_desk.cli")) == []


def test_the_import_reader_sees_what_it_must(tmp_path: Path) -> None:
    """The checks above are only as good as `imports_of`: try it on imports of every form."""
    found = imports_of(PACKAGE / "services" / "database.py")
    assert {"panel_desk.store.database.Database", "sqlalchemy.exc"} <= found

    sneaky = tmp_path / "table_model.py"
    sneaky.write_text(
        "from typing import TYPE_CHECKING\n"
        "from ...store import models\n"
        "from .. import services\n"
        "if TYPE_CHECKING:\n"
        "    import sqlalchemy.orm as orm\n"
        "def later():\n"
        "    from PySide6.QtCore import Qt\n"
    )
    found = imports_of(sneaky, "panel_desk.ui.submissions.table_model")

    assert {"panel_desk.store", "panel_desk.store.models"} <= found
    assert {"panel_desk.ui.services", "sqlalchemy.orm", "PySide6.QtCore.Qt"} <= found
