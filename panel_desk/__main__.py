"""Lets `python -m panel_desk` behave exactly like the `panel-desk` command."""

from panel_desk.cli import main

raise SystemExit(main())
