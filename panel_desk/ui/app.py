"""Starting the GUI: the application object, the database, who is acting, the main window.

The database is --db, else the default chosen in Settings, else the user's own. A database
with nobody on its roster opens on what to do first (ui/help/welcome.py) rather than
refusing to start. `Desk` keeps the open windows: choosing another database (File ▸ Open…,
Open recent) opens it in a new window, asking who acts there, and closes the old one; each
database opened joins the recent list.

`--screenshot FILE` renders the main window offscreen (no screen needed), saves it as a
PNG and exits; `--view NAME` picks what it shows.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from panel_desk.errors import BadInput

SPECIAL_VIEWS = ("screening",)
"""Views that are a page in a particular state; every page is a view by its title too."""


def view_names() -> list[str]:
    from panel_desk.ui.main_window import PAGES

    return [page.title.lower() for page in PAGES] + list(SPECIAL_VIEWS)


def _application():
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    app.setOrganizationName("panel_desk")
    app.setApplicationName("panel_desk")
    app.setApplicationDisplayName("panel_desk")
    from panel_desk import __version__

    app.setApplicationVersion(__version__)
    app.setDesktopFileName("org.paneldesk.PanelDesk")
    app.setWindowIcon(application_icon())
    return app


def application_icon():
    """The icon from every PNG size shipped (16 to 512 px), each registered at its size, so
    a screen at any density gets the drawn-for-it image or a larger one scaled down, never
    one blown up. (The SVG, for installers and desktops, would take over and ignore the
    small hand-tuned PNGs if added to the same QIcon.)"""
    from PySide6.QtCore import QSize
    from PySide6.QtGui import QIcon

    from panel_desk.paths import resources_dir

    icon = QIcon()
    for png in sorted((resources_dir() / "icons").glob("panel-desk-*.png")):
        size = png.stem.rsplit("-", 1)[-1]
        if size.isdigit():
            icon.addFile(str(png), QSize(int(size), int(size)))
    return icon


def choose_workspace(
    db, as_email: str | None, interactive: bool, view: str = "submissions", people=None
):
    """Who acts: --as, else the last person chosen here, else ask (or, for a screenshot,
    the first member of the secretariat). `people`: the roster, if already read."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDialog

    from panel_desk.services import roster
    from panel_desk.services.vocabulary import Role
    from panel_desk.ui.acting_as import ActingAsDialog
    from panel_desk.ui.workspace import Workspace

    if people is None:
        people = db.read(roster.list_people)
    if not people:
        raise BadInput(
            db.display_name,
            "has nobody on its roster yet: import roster.csv "
            "(panel-desk roster import) or try `panel-desk demo`",
        )
    if as_email:
        person = next((p for p in people if p.email == as_email.strip().lower()), None)
        if person is None:
            raise BadInput("--as", f"{as_email} is not on the roster")
        # Act in a role that may open the view asked for (a moderator's moderation page).
        allowed = _roles_for_view(view)
        role = next((r for r in person.roles if r in allowed), person.roles[0])
        return Workspace(db, person, Role(role))
    settings = QSettings()
    if not interactive:
        person = next((p for p in people if Role.SECRETARIAT in p.roles), people[0])
        role = Role.SECRETARIAT if Role.SECRETARIAT in person.roles else Role(person.roles[0])
        return Workspace(db, person, role)
    dialog = ActingAsDialog(
        people,
        str(settings.value("acting_as/email", "")),
        str(settings.value("acting_as/role", "")),
    )
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    person, role = dialog.chosen_person(), dialog.chosen_role()
    assert person is not None and role is not None
    settings.setValue("acting_as/email", person.email)
    settings.setValue("acting_as/role", role.value)
    return Workspace(db, person, role)


def _roles_for_view(view: str) -> frozenset[str]:
    from panel_desk.ui.main_window import PAGES

    for page in PAGES:
        if page.title.lower() == view:
            return frozenset(page.roles)
    return frozenset(("reviewer", "moderator", "eag", "secretariat"))


def render_screenshot(window, path: Path, view: str) -> None:
    from PySide6.QtWidgets import QApplication

    window.resize(1440, 900)
    window.show()
    QApplication.processEvents()
    factories = getattr(window, "factories", [])  # none on an empty database's first steps
    if view == "screening" and factories:
        window.submissions.choose_first_with_gaps()
    else:
        for index, factory in enumerate(factories):
            if factory.title.lower() == view:
                window.tabs.setCurrentIndex(index)
    QApplication.processEvents()
    path.parent.mkdir(parents=True, exist_ok=True)
    if not window.grab().save(str(path), "PNG"):
        raise BadInput(str(path), "the screenshot could not be written")


def settle_after_start() -> None:
    """Once the window is up: what starting loaded (modules, the ORM's classes, the first
    page) stays for the whole session, so take it out of Python's garbage collection. A
    full collection walks every tracked object: with all of that, 100–200 ms at random
    moments on a 20,000-row round (a sort or a filter that sometimes lagged); frozen, it
    walks only what was made since. The collector, off while starting (cli/gui_launch.py),
    is back on from here."""
    import gc

    gc.freeze()
    gc.enable()


def migration_notice(database) -> str | None:
    """What to tell the user when opening the database upgraded its schema (a copy of the
    database as it was is made first, by panel_desk.store.migrate)."""
    if database.migration_backup is None:
        return None
    return (
        "Your database was upgraded for this version of panel_desk. A copy of it as it was "
        f"before is kept at {database.migration_backup}"
    )


def announce_migration(window, database, interactive: bool) -> None:
    """Say so in the status bar, and in a dialog once the window is up (not for screenshots)."""
    notice = migration_notice(database)
    if notice is None:
        return
    window.statusBar().showMessage(notice)
    if interactive:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QMessageBox

        def tell() -> None:
            box = QMessageBox(
                QMessageBox.Icon.Information, "Database upgraded", notice, parent=window
            )
            box.setObjectName("migrationNotice")
            box.exec()

        QTimer.singleShot(0, tell)


class Desk:
    """The windows open on databases, and what happens when another database is chosen."""

    def __init__(self, store, interactive: bool, view: str = "submissions") -> None:
        self.store = store
        self.interactive = interactive
        self.view = view
        self.windows: list = []

    def open(self, target: str | None, as_email: str | None = None, parent=None):
        """A window on `target` (a path or URL; None: the default database), shown when
        interactive; None when it could not be opened (said in a dialog) or no one was
        chosen to act. At start (no parent) an unopenable database raises BadInput."""
        from panel_desk import preferences
        from panel_desk.services.database import open_database

        try:
            database = open_database(target or preferences.default_database(self.store))
            window = self.window_on(database, as_email)
        except BadInput as error:
            if parent is None:
                raise
            from PySide6.QtWidgets import QMessageBox

            QMessageBox.warning(parent, "Cannot open the database", str(error))
            return None
        if window is None:
            return None
        preferences.remember_database(database.display_name, self.store)
        announce_migration(window, database, self.interactive)
        return window

    def window_on(self, database, as_email: str | None = None):
        from panel_desk.services import roster
        from panel_desk.ui.main_window import MainWindow

        people = database.read(roster.list_people)
        if not people:
            from panel_desk.ui.help.welcome import WelcomeWindow  # with the demo: PDF drawing

            window = WelcomeWindow(database, self.store)
            window.filled.connect(lambda: self.replace(window, database))
            window.settings_requested.connect(lambda: self.show_settings(window))
        else:
            workspace = choose_workspace(database, as_email, self.interactive, self.view, people)
            if workspace is None:
                return None
            window = MainWindow(workspace, self.store)
        window.open_requested.connect(lambda target: self.replace(window, target))
        self.windows.append(window)
        if self.interactive:
            window.show()
        return window

    def replace(self, old, target):
        """Open `target` (a path, URL or an open Database) in place of the window `old`."""
        from panel_desk.services.database import Database

        if isinstance(target, Database):
            new = self.window_on(target)
        else:
            new = self.open(target, parent=old)
        if new is None:
            return None
        new.show()
        new.move(old.pos())
        old.close()
        self.windows.remove(old)
        old_db = old.workspace.db if hasattr(old, "workspace") else old.db
        if not isinstance(target, Database) or target is not old_db:
            old_db.engine.dispose()
        old.deleteLater()
        return new

    def show_settings(self, parent) -> None:
        from panel_desk.ui.settings.dialog import SettingsDialog

        SettingsDialog(self.store, parent).exec()


def run_gui(db: str | None, as_email: str | None, screenshot: Path | None, view: str | None) -> int:
    if screenshot is not None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = _application()
    view = (view or "submissions").lower()
    if view not in view_names():
        raise BadInput("--view", f"unknown view {view!r} (one of {', '.join(view_names())})")
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from panel_desk import preferences

    if screenshot is not None:
        # A screenshot shows the app as a new user first sees it: no remembered layout.
        scratch = Path(tempfile.mkdtemp(prefix="panel-desk-shot-")) / "settings.ini"
        store = QSettings(str(scratch), QSettings.Format.IniFormat)
        db = db or preferences.default_database()
    else:
        store = preferences.settings()
    desk = Desk(store, interactive=screenshot is None, view=view)
    try:
        window = desk.open(db, as_email)
    except BadInput as error:
        if screenshot is None:
            QMessageBox.critical(None, "panel_desk cannot start", str(error))
        raise
    if window is None:
        return 0
    settle_after_start()
    if screenshot is not None:
        render_screenshot(window, screenshot, view)
        window.close()
        print(f"screenshot saved to {screenshot}")
        return 0
    return app.exec()
