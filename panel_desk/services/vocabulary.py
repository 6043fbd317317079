"""The process's words (roles, stages, states) for the layers above services.

The values live with the models in the store; the GUI and the command line take them from
here, so they never reach past the services into the store.
"""

from panel_desk.store.models.vocabulary import (
    ConflictSeverity,
    ConflictStatus,
    ReviewState,
    Role,
    RoundState,
    ScreeningState,
    Stage,
)

__all__ = [
    "ConflictSeverity",
    "ConflictStatus",
    "ReviewState",
    "Role",
    "RoundState",
    "ScreeningState",
    "Stage",
]
