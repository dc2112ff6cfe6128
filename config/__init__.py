"""The shipped configuration: settings, tuned numbers, dossier specs and the message catalogues (package data)."""

import os
from importlib.resources import files
from pathlib import Path

# A wheel installs this folder as package data beside the code: read it where Python imported it from.
CONFIG_DIR = Path(str(files(__name__)))
_CHECKOUT = CONFIG_DIR.parent  # the repository, when running from a source checkout


def default_data_dir() -> Path:
    """Return where state is written by default: ``var/`` in a source checkout, else the user's data folder."""
    if (_CHECKOUT / "pyproject.toml").is_file():
        return _CHECKOUT / "var"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "vetpharma"
