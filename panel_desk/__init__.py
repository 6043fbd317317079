"""panel_desk: offline review panels for credential approval and assurance."""

__version__ = "0.1.0"
