"""A built wheel runs outside the repository: its data (config, glossary, facts, sources) travels inside it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "nlu", "knowledge", "dossier_checker", "config")
# The development install of the project itself, which the fresh environment must not see.
OWN_FILES = ("__editable__", "vetpharma-", "vetpharma.", "_vetpharma")


def _copy_sources(destination: Path) -> Path:
    """Copy what a source distribution holds, so the build leaves the checkout untouched."""
    source = destination / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=ignore)
    return source


def _build_wheel(source: Path, out: Path) -> Path:
    """Build the wheel offline with this environment's setuptools."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "--no-build-isolation",
         "-q", "-w", str(out), str(source)],
        check=True,
        cwd=out.parent,
    )  # fmt: skip
    (wheel,) = out.glob("vetpharma-*.whl")
    return wheel


def _fresh_venv(where: Path) -> Path:
    """Create an empty environment whose dependencies are this one's, minus the project itself."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    deps = where / "deps"
    deps.mkdir()
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.startswith(OWN_FILES) and entry.suffix != ".pth" and entry.name != "__pycache__":
            (deps / entry.name).symlink_to(entry)
    python = where / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "dependencies.pth").write_text(f"{deps}\n")
    return python


@pytest.mark.slow
def test_the_wheel_runs_outside_the_repository(tmp_path: Path) -> None:
    wheel = _build_wheel(_copy_sources(tmp_path), tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in (
        "config/vetpharma.toml",
        "config/messages/fr.yaml",
        "config/dossiers/opening.yaml",
        "config/checker.yaml",
        "knowledge/glossary/lexicon.yaml",
        "knowledge/facts/delays.yaml",
        "knowledge/data/index.json",
        "knowledge/sources/am-2003-175.txt",
        "bot/migrations/script.py.mako",
    ):
        assert data in names, data
    python = _fresh_venv(tmp_path / "venv")
    # Dependencies resolve from the linked environment: nothing is fetched (no index at all).
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-index", str(wheel)],
        check=True,
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "LANG": "C.UTF-8"}
    run = {"cwd": home, "env": env, "capture_output": True, "text": True, "timeout": 300}
    where = subprocess.run(
        [str(python), "-c", "import bot, config; print(bot.__file__); print(config.CONFIG_DIR)"], **run
    )
    assert where.returncode == 0, where.stderr
    assert str(ROOT) not in where.stdout
    assert str(tmp_path / "venv") in where.stdout
    article = subprocess.run([str(tmp_path / "venv" / "bin" / "vetpharma"), "article", "14"], **run)
    assert article.returncode == 0, article.stderr
    assert "14" in article.stdout
    assert "modification" in article.stdout.lower()
    # The conversation reads the catalogues, the dossier specs and the settings, and writes its store in the
    # user's data folder (not beside the installed code).
    chat = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "vetpharma"), "chat"], input="/start\n/dossier opening\n", **run
    )
    assert chat.returncode == 0, chat.stderr
    assert (home / ".local" / "share" / "vetpharma").is_dir()
    assert "2003-175" in chat.stdout  # the greeting
    assert re.search(r"\b1/\d+\b", chat.stdout)  # the opening dossier's first step of its spec
