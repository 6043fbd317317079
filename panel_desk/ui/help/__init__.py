"""Help for users: the keyboard shortcuts, the About box, and the first steps on an empty
database."""
