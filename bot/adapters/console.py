"""``vetpharma chat``: the conversation in a terminal, or scripted through stdin (one message per line).

``/upload PATH`` sends a file; choices are printed as a numbered list (type the number, the value or the
label); files the assistant sends (the request letter) are saved to a folder and their path printed.
"""

from __future__ import annotations

import argparse
import getpass
import mimetypes
import re
import shlex
import shutil
import stat
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import Engine

from bot import recovery
from bot.app import build_core
from bot.conversation import Conversation
from bot.i18n import both_languages, t
from bot.messages import Attachment, Incoming, Reply, SessionKey
from bot.outbox import leave_for, take_for
from bot.settings import ROOT, Settings, load_settings
from bot.workspace import start_up
from dossier_checker.model import DEFAULT_MAX_BYTES

TRANSPORT = "console"
QUIT_WORDS = {"/quit", "/exit", "/quitter", "/q", "!quit", "!exit", "!quitter"}
MAX_FILE_BYTES = DEFAULT_MAX_BYTES  # what the checker reads; a larger file is refused before reading
# Never read as an upload: the system's folders and the bot's own (settings, secrets, the store).
SYSTEM_FOLDERS = tuple(Path(p) for p in ("/proc", "/sys", "/dev", "/etc", "/run", "/boot"))


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vetpharma chat``."""
    parser.add_argument("--user", default=None, help="who is talking (default: your login name)")
    parser.add_argument("--database-url", default=None, help="store URL (default: from the settings)")
    parser.add_argument("--output-dir", default=None, help="where to save files sent by the assistant")
    parser.add_argument("--lang", choices=("fr", "en"), default=None, help="language before any /lang")
    parser.add_argument(
        "--no-echo", action="store_true", help="when reading a script, do not repeat each input line"
    )


def run(args: argparse.Namespace) -> int:
    """Run the terminal chat until end of input or /quit."""
    settings = load_settings()
    if args.database_url:
        settings = replace(settings, database_url=args.database_url)
    if args.lang:
        settings = replace(settings, default_language=args.lang)
    refused = start_up(settings.data_dir, settings.effective_database_url, settings.default_language)
    if refused is not None:
        print(refused, file=sys.stderr)
        return 2
    return chat_with_settings(
        settings,
        user=args.user,
        output_dir=Path(args.output_dir) if args.output_dir else None,
        echo=not args.no_echo,
    )


def chat_with_settings(
    settings: Settings,
    *,
    user: str | None = None,
    output_dir: Path | None = None,
    echo: bool = True,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Build the core from settings and chat on stdin/stdout."""
    source = stdin or sys.stdin
    out = stdout or sys.stdout
    core = build_core(settings)
    # The models load while the rest starts; a person at the terminal is greeted (told it is ready) only
    # once they are loaded, so the first question is answered at once.
    core.questions.warm_up_in_background()
    key = SessionKey(TRANSPORT, "terminal", user or _login())
    # Letters go to the user's own folder of the data directory, deleted by /forget with the rest.
    private = output_dir is None
    folder = output_dir or Path(settings.data_dir) / "documents" / _safe_name(key.user)
    interactive = source.isatty() and out.isatty()
    console = Console(
        core,
        key,
        folder,
        out,
        forbidden=(*SYSTEM_FOLDERS, ROOT, Path(settings.data_dir)),
        mailbox=Mailbox(core.store.engine, lambda: core.store.load_session(key, core.default_lang).lang),
        display_name=user,
    )
    if private:
        console.forgotten = lambda: not core.store.session_exists(key)
    # Uploads a crash cut short during their check are checked now; this user's reports are shown first.
    recovery.recover(core, [TRANSPORT])
    for reply in recovery.take_replies(core.store, key):
        console.show(reply)
    if interactive:
        core.questions.ready.wait()
        console.send("/start")
        return console.loop(_prompted_lines(out))
    return console.loop(_lines(source), echo=echo)


def _login() -> str:
    try:
        return getpass.getuser() or "local"
    except Exception:
        return "local"


def _lines(source: TextIO) -> Iterator[str]:
    for line in source:
        yield line.rstrip("\r\n")


def _prompted_lines(out: TextIO) -> Iterator[str]:
    while True:
        try:
            line = input("› ")
        except EOFError:
            out.write("\n")
            return
        except KeyboardInterrupt:
            out.write("\n")
            return
        yield line


class Mailbox:
    """What a terminal reads and leaves in the store's outbox: staff answers to its user, its relays to others.

    A terminal has no connection of its own to wait on: the replies left for its user (a staff member's
    answer from another terminal, or from Telegram or Matrix) are printed when the user next writes.
    """

    def __init__(self, engine: Engine, lang: Callable[[], str]) -> None:
        self.engine = engine
        self.lang = lang

    def waiting(self, key: SessionKey) -> list[Reply]:
        """Take the replies left for this terminal's user."""
        return take_for(self.engine, key)

    def leave(self, replies: Sequence[Reply]) -> list[Reply]:
        """Leave replies for other sessions; return what to print here about where they went."""
        leave_for(self.engine, replies)
        notes = []
        for target in dict.fromkeys(r.to for r in replies if r.to is not None):
            wording = (
                "console_left_for_terminal" if target.transport == TRANSPORT else "console_left_for_transport"
            )
            notes.append(Reply(t(self.lang(), wording, user=target.user, transport=target.transport)))
        return notes


class Console:
    """Turns terminal lines into messages for the core and prints its replies."""

    def __init__(
        self,
        core: Conversation,
        key: SessionKey,
        output_dir: Path,
        out: TextIO,
        *,
        forbidden: Iterable[Path] = SYSTEM_FOLDERS,
        mailbox: Mailbox | None = None,
        display_name: str | None = None,
    ) -> None:
        self.core = core
        self.mailbox = mailbox
        self.display_name = display_name  # the name the user gave (--user), shown on their tickets
        self.key = key
        self.output_dir = output_dir
        self.out = out
        self.forbidden = tuple(_resolved(p) for p in forbidden)
        # Tells whether the user's data was deleted (/forget): their saved letters go too.
        self.forgotten: Callable[[], bool] | None = None
        self._albums = 0  # files sent by one /upload line make one album

    def loop(self, lines: Iterable[str], *, echo: bool = False) -> int:
        """Send each line until the input ends or the user quits."""
        for line in lines:
            if echo:
                self.out.write(f"> {line}\n")
            if line.strip().lower() in QUIT_WORDS:
                break
            self.send(line)
        return 0

    def send(self, line: str) -> list[Reply]:
        """Send one line (or files, for ``/upload PATH [PATH...]``) and print the replies."""
        upload = re.match(r"^\s*[/!](?:upload|envoyer|fichier)\s+(.+?)\s*$", line, flags=re.IGNORECASE)
        if upload:
            replies = self._upload_all(upload.group(1).strip())
        else:
            replies = self.core.handle(Incoming(key=self.key, text=line, display_name=self.display_name))
        if self.mailbox is not None:
            # Staff answers left for this user since their last line, then this line's replies; replies
            # for other sessions (a staff /reply) go to the outbox instead of being printed here.
            others = [r for r in replies if r.to is not None and r.to != self.key]
            replies = [
                *self.mailbox.waiting(self.key),
                *(r for r in replies if r not in others),
                *self.mailbox.leave(others),
            ]
        for reply in replies:
            self._print(reply)
        if self.forgotten is not None and self.output_dir.exists() and self.forgotten():
            shutil.rmtree(self.output_dir, ignore_errors=True)
        self.out.flush()
        return replies

    def _upload_all(self, raw: str) -> list[Reply]:
        """Send one file, or several (``/upload p1.jpg p2.jpg``) as one album checked once, together."""
        whole = raw.strip("\"'")
        try:
            paths = [whole] if Path(whole).expanduser().exists() else shlex.split(raw)
        except ValueError:  # an unclosed quote: one path as typed
            paths = [whole]
        incomings = [self._upload(path) for path in paths or [whole]]
        last = max((i for i, m in enumerate(incomings) if m.attachment is not None), default=-1)
        self._albums += 1
        replies: list[Reply] = []
        for i, incoming in enumerate(incomings):
            if incoming.attachment is not None and len(incomings) > 1:
                album = replace(incoming.attachment, group=f"console-{self._albums}", follows=i < last)
                incoming = replace(incoming, attachment=album)
            replies += self.core.handle(incoming)
        return replies

    def _upload(self, raw_path: str) -> Incoming:
        try:
            path = Path(raw_path).expanduser().resolve(strict=True)  # symlinks followed to their target
            info = path.stat()
            if not stat.S_ISREG(info.st_mode):
                return Incoming(
                    key=self.key, attachment_error=both_languages("console_not_a_file", path=raw_path)
                )
            if any(path.is_relative_to(folder) for folder in self.forbidden):
                error = both_languages("console_service_folder", path=raw_path)
                return Incoming(key=self.key, attachment_error=error)
            if info.st_size > MAX_FILE_BYTES:
                size, limit = info.st_size // (1024 * 1024), MAX_FILE_BYTES // (1024 * 1024)
                error = both_languages("console_too_big", name=path.name, size=size, limit=limit)
                return Incoming(key=self.key, attachment_error=error)
            with open(path, "rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except FileNotFoundError:
            return Incoming(
                key=self.key, attachment_error=both_languages("console_no_such_file", path=raw_path)
            )
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
            return Incoming(
                key=self.key,
                attachment_error=f"{Path(raw_path).name}: {getattr(exc, 'strerror', None) or exc}",
            )
        if len(data) > MAX_FILE_BYTES:  # grew while read
            limit = MAX_FILE_BYTES // (1024 * 1024)
            error = both_languages("console_grew_too_big", name=path.name, limit=limit)
            return Incoming(key=self.key, attachment_error=error)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Incoming(key=self.key, attachment=Attachment(name=path.name, mime=mime, data=data))

    def show(self, reply: Reply) -> None:
        """Print one reply that comes without a message (a report of a check resumed after a restart)."""
        self._print(reply)
        self.out.flush()

    def _print(self, reply: Reply) -> None:
        self.out.write(reply.text.rstrip() + "\n")
        for number, choice in enumerate(reply.choices, start=1):
            self.out.write(f"  [{number}] {choice.label}\n" if reply.numbered else f"  • {choice.label}\n")
        if reply.file is not None:
            saved = self._save(reply.file.name, reply.file.data)
            self.out.write(f"  📎 {saved}\n")
        self.out.write("\n")

    def _save(self, name: str, data: bytes) -> Path:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^\w.\-]+", "_", Path(name).name) or "document"
        target = self.output_dir / safe
        stem, suffix = target.stem, target.suffix
        counter = 2
        while target.exists():
            target = self.output_dir / f"{stem}-{counter}{suffix}"
            counter += 1
        target.write_bytes(data)
        return target


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _safe_name(user: str) -> str:
    return re.sub(r"[^\w.\-]+", "_", user).strip("._") or "user"
