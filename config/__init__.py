"""The shipped configuration: settings, tuned numbers, dossier specs and the message catalogues (package data)."""

from importlib.resources import files
from pathlib import Path

# A wheel installs this folder as package data beside the code; read it where Python imported it from.
CONFIG_DIR = Path(str(files(__name__)))
