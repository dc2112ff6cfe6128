"""The running bot under faults: an unusable data folder, kill -9 during a check, the terminal's /upload
of system files, and /forget of the terminal's letters."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

from bot.adapters.console import chat_with_settings
from bot.settings import Settings
from tests.test_core_console import OPENING_SCRIPT
from tests.transcript import DIPLOMA_LINES, text_pdf

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path, data_dir: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("VETPHARMA_") and k != "TELEGRAM_BOT_TOKEN"
    }
    env["VETPHARMA_DATA_DIR"] = str(data_dir)
    env["VETPHARMA_CONFIG"] = str(tmp_path / "none.toml")
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir(exist_ok=True)
    env["TMPDIR"] = str(system_tmp)
    return env


def _chat(tmp_path: Path, data_dir: Path, stdin: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--user", "marie"],
        input=stdin,
        capture_output=True,
        text=True,
        env=_env(tmp_path, data_dir),
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_an_unusable_data_folder_is_one_sentence_at_start_up(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for data_dir in (blocker / "var", Path("/proc/vetpharma-data")):
        result = _chat(tmp_path, data_dir, "bonjour\n")
        assert result.returncode == 2
        assert result.stderr.startswith("vetpharma ne peut pas démarrer : le dossier de données")
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def _scan_png() -> bytes:
    """A large photo of a printed page: OCR takes a while on it."""
    image = Image.new("L", (2480, 3508), 255)
    draw = ImageDraw.Draw(image)
    for row in range(110):
        draw.text(
            (120, 60 + row * 30), f"Ligne {row} du bail commercial entre les parties, article {row % 64}", 0
        )
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _descendants(pid: int) -> set[int]:
    children: dict[int, set[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), set()).add(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _checks_in_hand(data_dir: Path) -> int:
    """Count the checks a bot process has on record as running (0 before the table exists)."""
    database = data_dir / "vetpharma.sqlite3"
    if not database.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=1) as db:
            return int(
                db.execute("SELECT count(*) FROM checks_in_hand WHERE status = 'in_hand'").fetchone()[0]
            )
    except sqlite3.Error:
        return 0


def test_kill_9_during_a_check_leaves_nothing_outside_the_data_folder_and_the_upload_is_checked_after_restart(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "var"
    scan = tmp_path / "bail.png"
    scan.write_bytes(_scan_png())
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "chat", "--user", "marie"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(tmp_path, data_dir),
        cwd=ROOT,
    )
    assert process.stdin is not None
    process.stdin.write(f"/dossier opening\n/upload {scan}\n")
    process.stdin.flush()
    deadline = time.monotonic() + 120
    while not _checks_in_hand(data_dir):  # the check has started: its file is on record in the store
        assert time.monotonic() < deadline and process.poll() is None, "the check never started"
        time.sleep(0.05)
    time.sleep(0.5)  # the parse child (or tesseract) is at work
    family = _descendants(process.pid)
    assert family  # the forkserver, and the parse child or tesseract
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in family if _alive(pid)]  # parse children and their forkserver died too
    left = [p for p in (tmp_path / "system-tmp").rglob("*") if not p.is_dir() and not p.is_socket()]
    assert left == []  # nothing of the user in the system's folder
    again = _chat(tmp_path, data_dir, "/check\n")
    # Checked again at the start, its report shown before the first message is answered.
    resumed = "Le service a redémarré pendant la vérification de : « bail.png ». Je l'ai reprise"
    assert resumed in again.stdout and again.stdout.index(resumed) < again.stdout.index("> /check")
    assert "bail.png" in again.stdout.split(resumed, 1)[1]  # its report names it (read, or its sentence)
    assert "interrompu" not in again.stdout
    assert not list((data_dir / "tmp").rglob("tess_*"))  # the dead process's folder was swept at start
    assert _checks_in_hand(data_dir) == 0
    once = _chat(tmp_path, data_dir, "/check\n")
    assert "redémarré" not in once.stdout  # handled once


def test_terminal_upload_reads_only_regular_files_outside_system_and_bot_folders(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    link = tmp_path / "innocent.pdf"
    link.symlink_to("/etc/hostname")
    big = tmp_path / "big.pdf"
    with open(big, "wb") as fh:
        fh.truncate(21 * 1024 * 1024)
    good = tmp_path / "diplome.pdf"
    good.write_bytes(text_pdf(*DIPLOMA_LINES))
    lines = [
        "/dossier opening",
        *(
            f"/upload {p}"
            for p in (
                "/etc/shadow",
                "/proc/self/environ",
                link,
                tmp_path,
                big,
                ROOT / "config" / "vetpharma.toml",
            )
        ),
        f"/upload {good}",
    ]
    out = io.StringIO()
    settings = Settings(data_dir=str(data_dir))
    chat_with_settings(settings, user="marie", stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out)
    text = out.getvalue()
    assert text.count("dossier système ou du service") == 4  # /etc, /proc, the link into /etc, config
    assert "pas un fichier" in text and "21 MB > 20 MB" in text
    assert "✅ trouvé : Copie certifiée conforme du diplôme" in text


def test_forget_in_the_terminal_deletes_the_request_letter(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    diploma = tmp_path / "diplome.pdf"
    diploma.write_bytes(text_pdf(*DIPLOMA_LINES))
    script = OPENING_SCRIPT.format(diploma=diploma, missing=tmp_path / "absent.pdf").split("/quit")[0]
    out = io.StringIO()
    settings = Settings(data_dir=str(data_dir))
    chat_with_settings(settings, user="marie", stdin=io.StringIO(script), stdout=out)
    letters = list((data_dir / "documents").rglob("*.pdf"))
    assert letters and "📎" in out.getvalue()
    chat_with_settings(settings, user="marie", stdin=io.StringIO("/forget yes\n"), stdout=io.StringIO())
    assert not [p for p in letters if p.exists()]
