"""csmap sub-commands, one module each (see app.cli)."""
