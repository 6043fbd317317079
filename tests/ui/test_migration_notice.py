"""Opening a database from an older panel_desk: a copy is made first, and the app says where."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from PySide6.QtWidgets import QMessageBox

from panel_desk.services.database import open_database
from panel_desk.services.vocabulary import Role
from panel_desk.store import migrate
from panel_desk.ui.app import announce_migration, migration_notice
from panel_desk.ui.main_window import MainWindow
from tests.ui.conftest import answer_next_modal, workspace_as


def test_the_app_names_the_copy_it_made_before_upgrading(qtbot, demo_path: Path, settings):
    command.downgrade(migrate.alembic_config(f"sqlite:///{demo_path}"), "-1")
    db = open_database(demo_path)
    try:
        backup = db.migration_backup
        assert backup is not None and backup.exists()
        assert backup.name.startswith("demo.sqlite.before-")
        window = MainWindow(workspace_as(db, Role.SECRETARIAT), settings)
        qtbot.addWidget(window)
        window.show()
        texts: list[str] = []

        def read_and_close(box) -> None:
            texts.append(box.text())
            box.accept()

        seen = answer_next_modal(qtbot, read_and_close)
        announce_migration(window, db, interactive=True)
        qtbot.waitUntil(lambda: bool(texts))

        assert isinstance(seen[0], QMessageBox) and seen[0].windowTitle() == "Database upgraded"
        assert str(backup) in texts[0]
        assert str(backup) in window.statusBar().currentMessage()
    finally:
        db.close()


def test_nothing_is_said_when_nothing_was_upgraded(demo_db) -> None:
    assert migration_notice(demo_db) is None
