"""Developer tool: autogenerate a new migration in db/versions/ from the models.

Run as `python -m panel_desk.store.revise "message"`; it upgrades a scratch SQLite
database to head and lets Alembic compare it with the models.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from alembic import command

from panel_desk.store.engine import create_database_engine
from panel_desk.store.migrate import alembic_config, upgrade_to_head


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print('usage: python -m panel_desk.store.revise "what changed"', file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as scratch:
        url = f"sqlite:///{Path(scratch) / 'scratch.sqlite'}"
        engine = create_database_engine(url)
        upgrade_to_head(engine)
        engine.dispose()
        config = alembic_config(url)
        versions = Path(config.get_main_option("script_location") or "") / "versions"
        count = len(list(versions.glob("*.py")))
        command.revision(config, message=argv[0], autogenerate=True, rev_id=f"{count + 1:04d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
