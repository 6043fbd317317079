"""What every view needs: the open database, and who is acting in which role.

Views call services through `read` and `run`; the Database opens and closes the session,
so no widget ever holds one (and none imports SQLAlchemy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from panel_desk.services.database import Database
from panel_desk.services.roster import PersonSummary
from panel_desk.services.submission_views import Viewer
from panel_desk.services.vocabulary import Role

T = TypeVar("T")


@dataclass
class Workspace:
    db: Database
    person: PersonSummary
    role: Role

    @property
    def viewer(self) -> Viewer:
        return Viewer(self.person.email, self.role)

    def read(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return self.db.read(fn, *args, **kw)

    def run(self, fn: Callable[..., T], *args: Any, **kw: Any) -> T:
        return self.db.run(fn, *args, **kw)
