"""The data directory: checked once at start-up, and home of every temporary file the bot makes.

Page renders and OCR files (tesseract reads and writes files) hold users' documents: they live in
``data_dir/tmp``, never in the system's temporary folder, so the retention purge and /forget are not
defeated by a crash; what a killed process left there is swept at the next start.
"""

from __future__ import annotations

import logging
import multiprocessing.util
import os
import shutil
import tempfile
import threading
from pathlib import Path

log = logging.getLogger(__name__)


class DataDirUnusable(Exception):
    """The data directory cannot be created or written to."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def prepare_data_dir(data_dir: str | Path) -> Path:
    """Check that the data directory can be written, sweep its temporary folder, and send temp files there.

    Returns the temporary folder. Raises ``DataDirUnusable`` with the reason when the folder is missing and
    cannot be made, or is read-only.
    """
    path = Path(data_dir)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise DataDirUnusable(path, exc.strerror or type(exc).__name__) from None
    # One folder per process (several bot processes may share the data folder): a starting process sweeps
    # the folders of processes that are gone, never those of the living.
    temporary = path / "tmp" / str(os.getpid())
    try:
        temporary.parent.mkdir(mode=0o700, exist_ok=True)
        for left in temporary.parent.iterdir():
            if not (left.name.isdigit() and _alive(int(left.name))):
                shutil.rmtree(left, ignore_errors=True) if left.is_dir() else left.unlink(missing_ok=True)
        temporary.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise DataDirUnusable(temporary, exc.strerror or type(exc).__name__) from None
    # multiprocessing's own folder holds only the sockets of its server process, no user data, and a socket
    # path may not exceed 108 bytes (AF_UNIX): made now, before the switch, it stays in the short system folder.
    multiprocessing.util.get_temp_dir()
    # This process (OCR threads) and the processes it starts (parse children) write temporary files here.
    os.environ["TMPDIR"] = str(temporary)
    tempfile.tempdir = str(temporary)
    return temporary


def _alive(pid: int) -> bool:
    """Tell whether a process of this machine still runs (another bot process sharing the folder)."""
    if pid == os.getpid():
        return False  # a folder of an earlier process with our number: ours now, swept
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def start_up(data_dir: str | Path, database_url: str, lang: str) -> str | None:
    """Prepare the data directory and open the store once; return the sentence that says why not, or None."""
    from bot.i18n import t
    from bot.store import is_storage_error, open_store

    try:
        prepare_data_dir(data_dir)
    except DataDirUnusable as exc:
        return t(lang, "data_dir_unusable", path=str(exc.path), reason=exc.reason)
    try:
        open_store(database_url).close()
    except Exception as exc:
        if not is_storage_error(exc):
            raise
        reason = str(getattr(exc, "orig", None) or type(exc).__name__)
        return t(lang, "storage_unusable", reason=reason)
    # The checker's parse children start from a server that imports the parsers once: started now, in the
    # background, after the temporary folder is set (its children inherit it), not during a first upload.
    threading.Thread(target=_warm_up_checker, name="checker-warm-up", daemon=True).start()
    return None


def _warm_up_checker() -> None:
    """Start the checker's forkserver and read the dossier specs; a failure is met again at the first upload."""
    try:
        from dossier_checker.sandbox import warm_up
        from dossier_checker.spec import load_specs

        warm_up()
        load_specs()  # seconds on a loaded machine: not taken from a first upload's time
    except Exception:
        log.warning("the checker's parse server did not start ahead of the first upload", exc_info=True)
