"""Migration 0005: certificates that 0004's code marked revoked only because a newer key
replaced them become superseded; real revocations stay revoked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from panel_desk.services.database import open_database
from panel_desk.store import migrate
from panel_desk.store.engine import create_database_engine


def test_replaced_certificates_become_superseded_and_revoked_ones_stay(tmp_path: Path) -> None:
    path = tmp_path / "hub.sqlite"
    url = f"sqlite:///{path}"
    engine = create_database_engine(url)
    with engine.begin() as connection:
        config = migrate.alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")
    engine.dispose()
    db = sqlite3.connect(path)
    db.executescript(
        """
        INSERT INTO person (id, email, name, details, created_at)
            VALUES (1, 'a@x.org', 'A', '{}', '2026-01-01 00:00:00');
        INSERT INTO certificate_authority
            (id, organisation, certificate_pem, key_fingerprint, holds_key, created_at)
            VALUES (1, 'Centre', 'pem', 'ca', 1, '2026-01-01 00:00:00');
        INSERT INTO person_certificate (id, person_id, authority_id, serial, key_fingerprint,
            certificate_pem, not_before, not_after, enrolled_at, enrolled_by, method,
            revoked_at, revoke_reason)
        VALUES
            (1, 1, 1, '01', 'k1', 'pem', '2026-01-01', '2031-01-01', '2026-01-01', 's', 'code',
             '2026-02-01 00:00:00', 'replaced by a newly enrolled key'),
            (2, 1, 1, '02', 'k2', 'pem', '2026-02-01', '2031-02-01', '2026-02-01', 's', 'code',
             '2026-03-01 00:00:00', 'laptop lost');
        """
    )
    db.commit()
    db.close()

    open_database(path).close()

    rows = (
        sqlite3.connect(path)
        .execute(
            "SELECT id, superseded_at, revoked_at, revoke_reason "
            "FROM person_certificate ORDER BY id"
        )
        .fetchall()
    )
    assert rows == [
        (1, "2026-02-01 00:00:00", None, ""),
        (2, None, "2026-03-01 00:00:00", "laptop lost"),
    ]
