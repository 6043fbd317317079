"""The bundle's entry point: exactly the `panel-desk` command."""

from panel_desk.cli import main

raise SystemExit(main())
