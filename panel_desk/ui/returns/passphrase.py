"""Asking for a key's passphrase in the GUI thread, before work goes to a worker thread.

Only a key kept in a passphrase-protected file (where the machine has no secure keyring)
needs one; a key in the keyring is used without asking.
"""

from __future__ import annotations

from PySide6.QtWidgets import QInputDialog, QLineEdit, QWidget

from panel_desk.services import keys


def ask_passphrase(parent: QWidget, email: str) -> str | None:
    found = keys.local_key(email)
    if found is None or found.kind != "file":
        return None
    text, ok = QInputDialog.getText(
        parent,
        "Passphrase",
        f"The key of {email} is kept in a passphrase-protected file.\nIts passphrase:",
        QLineEdit.EchoMode.Password,
    )
    return text if ok else None
