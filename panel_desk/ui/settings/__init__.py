"""The Settings dialog: this computer's default database and the rules for new rounds."""
