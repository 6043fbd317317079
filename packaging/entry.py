"""The bundle's entry point: exactly the `panel-desk` command."""

import multiprocessing

from panel_desk.cli import main

if __name__ == "__main__":
    # A big decision pack draws its letters in a spawned worker (services/pack_letters.py):
    # in the bundle that worker starts as this executable, and must not run the app.
    multiprocessing.freeze_support()
    raise SystemExit(main())
