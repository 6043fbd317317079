"""The Qt user interface: pages, dialogs and item models that call services only."""
