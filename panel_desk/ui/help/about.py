"""Help ▸ About panel_desk: the version, and what a support request needs to say (the
database open, where the settings are kept, the Qt and Python versions)."""

from __future__ import annotations

import platform
from html import escape

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QSettings, qVersion
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from panel_desk import __version__


def about_text(database: str, store: QSettings) -> str:
    return (
        f"<h3>panel_desk {escape(__version__)}</h3>"
        "<p>Offline review panels for credential approval and assurance: screening, "
        "conflicts of interest, peer review, moderation, sign-off and signed decision "
        "packs.</p>"
        f"<p><small>Database: {escape(database)}<br/>"
        f"Settings: {escape(store.fileName())}<br/>"
        f"Qt {escape(qVersion())} · PySide6 {escape(pyside_version)} · "
        f"Python {escape(platform.python_version())}</small></p>"
    )


def show_about(parent: QWidget, database: str, store: QSettings) -> None:
    box = QMessageBox(parent)
    box.setObjectName("aboutDialog")
    box.setWindowTitle("About panel_desk")
    box.setText(about_text(database, store))
    icon = QApplication.windowIcon()
    if not icon.isNull():
        box.setIconPixmap(icon.pixmap(64, 64))
    box.exec()
