"""One module per ``layerforge`` sub-command (see app/cli.py)."""
