"""The user's preferences on this computer, kept in QSettings (the platform's own store:
~/.config/panel_desk/panel_desk.conf on Linux, the registry on Windows, a plist on macOS).

Read alike by the GUI (Settings, recent databases) and the command line (the default
database, the rules a new round is opened with), so a choice made in the Settings dialog
changes what `panel-desk` does too. Values reach the services as plain arguments: no Qt
below the UI and CLI.

What each setting does, and when:
- default database: opened by the GUI and by every command given no --db (from the next
  start; the window open now stays on its database).
- look-back years, shared mail domains, sign-off quorum: the rules of rounds opened from
  now on (Round ▸ New round…, `panel-desk round create`). A round keeps the rules it was
  opened with: its packets and its signed recommendation set state them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings

from panel_desk.errors import BadInput
from panel_desk.services.round_rules import RoundRules

DEFAULT_DATABASE = "general/default_database"
RECENT_DATABASES = "general/recent_databases"
LOOKBACK_YEARS = "new_rounds/lookback_years"
SIGNOFF_QUORUM = "new_rounds/signoff_quorum"
SHARED_MAIL_DOMAINS = "new_rounds/shared_mail_domains"
RECENT_LIMIT = 8


@dataclass(frozen=True)
class Preferences:
    default_database: str  # a path or URL; "" for the platform's user data folder
    new_round_rules: RoundRules


def settings() -> QSettings:
    """This user's settings (organisation and application panel_desk)."""
    return QSettings("panel_desk", "panel_desk")


def _int(store: QSettings, key: str, default: int) -> int:
    try:
        return int(str(store.value(key, default)))
    except ValueError:
        return default


def _list(store: QSettings, key: str) -> list[str] | None:
    """A list QSettings kept (one item comes back as a plain string, none as None)."""
    value = store.value(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value] if value else []
    return [str(v) for v in value]


def load(store: QSettings | None = None) -> Preferences:
    """The preferences as kept; a value that no longer reads falls back to the default."""
    store = store if store is not None else settings()
    shipped = RoundRules()
    domains = _list(store, SHARED_MAIL_DOMAINS)
    rules = RoundRules(
        _int(store, LOOKBACK_YEARS, shipped.lookback_years),
        _int(store, SIGNOFF_QUORUM, shipped.signoff_quorum),
        shipped.shared_mail_domains if domains is None else tuple(domains),
    )
    try:
        rules = rules.checked()
    except BadInput:
        rules = shipped
    return Preferences(str(store.value(DEFAULT_DATABASE, "") or ""), rules)


def save(preferences: Preferences, store: QSettings | None = None) -> None:
    store = store if store is not None else settings()
    rules = preferences.new_round_rules.checked()
    store.setValue(DEFAULT_DATABASE, preferences.default_database.strip())
    store.setValue(LOOKBACK_YEARS, rules.lookback_years)
    store.setValue(SIGNOFF_QUORUM, rules.signoff_quorum)
    store.setValue(SHARED_MAIL_DOMAINS, list(rules.shared_mail_domains))
    store.sync()


def default_database(store: QSettings | None = None) -> str | None:
    """The database to open when none is named: the one chosen in Settings, else None
    (the platform's user data folder)."""
    return load(store).default_database or None


def recent_databases(store: QSettings | None = None) -> list[str]:
    store = store if store is not None else settings()
    return _list(store, RECENT_DATABASES) or []


def remember_database(name: str, store: QSettings | None = None) -> list[str]:
    """Put `name` (a path or URL) first in the recent list; the list as it now is."""
    store = store if store is not None else settings()
    name = _normalised(name)
    recent = [name] + [r for r in recent_databases(store) if r != name]
    store.setValue(RECENT_DATABASES, recent[:RECENT_LIMIT])
    store.sync()
    return recent[:RECENT_LIMIT]


def forget_database(name: str, store: QSettings | None = None) -> None:
    store = store if store is not None else settings()
    name = _normalised(name)
    store.setValue(RECENT_DATABASES, [r for r in recent_databases(store) if r != name])
    store.sync()


def _normalised(name: str) -> str:
    """A file as its absolute path, so one database is listed once; a URL as given."""
    if "://" in name:
        return name
    return str(Path(name).expanduser().resolve())


__all__ = [
    "Preferences",
    "default_database",
    "forget_database",
    "load",
    "recent_databases",
    "remember_database",
    "save",
    "settings",
]
