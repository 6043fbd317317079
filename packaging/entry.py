"""The bundle's entry point: exactly the `panel-desk` command."""

import multiprocessing

from panel_desk.cli import main

if __name__ == "__main__":
    # A big decision pack draws its letters, and a big batch of returns is read, in spawned
    # workers (services/pack_letters.py, exchange/return_reading.py): in the bundle each
    # worker starts as this executable, and must not run the app.
    multiprocessing.freeze_support()
    raise SystemExit(main())
