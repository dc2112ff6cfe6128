"""The adapters' shared toolkit: what Telegram, Matrix and the terminal all need to render a reply natively.

Pure helpers (no transport library): numbered choices where a channel has no buttons, one splitter that counts
UTF-16 units and cuts at paragraph and item boundaries, sizes as users read them ("20,9 Mo"), a typing
indicator for slow replies, and Matrix HTML (a bold lead sentence, quoted passages as blockquotes, indentation
kept).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import re
import sys
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Generic, TypeVar

from babel.numbers import format_decimal

from bot.i18n import t
from bot.messages import Choice, SessionKey

if TYPE_CHECKING:
    from bot.settings import Settings

# A reply that takes longer than this shows "typing…" (tuned in the settings of each transport).
TYPING_DELAY_SECONDS = 1.0


def utf16_len(text: str) -> int:
    """Count UTF-16 code units, the unit of Telegram's limits (and a fair measure of displayed length)."""
    return len(text.encode("utf-16-le")) // 2


def _prefix_within(text: str, limit: int) -> int:
    """Return the longest prefix length (in code points) of ``text`` that fits in ``limit`` UTF-16 units."""
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


# Where a long text is best cut, best first: between paragraphs, before a line that starts a new item (a
# line not indented: "12° …", "b) …", "• …"; indented lines continue the item above), at any line end, at a
# space. A cut is taken only if the piece stays at least half full.
_CUTS = (re.compile(r"\n\n"), re.compile(r"\n(?=\S)"), re.compile(r"\n"), re.compile(r" "))


def split_text(text: str, limit: int) -> list[str]:
    """Split ``text`` into pieces of at most ``limit`` UTF-16 units, at paragraph, item or line ends if possible."""
    chunks: list[str] = []
    rest = text.strip("\n").rstrip()
    while utf16_len(rest) > limit:
        fits = _prefix_within(rest, limit)
        cut, skip = fits, 0
        for pattern in _CUTS:
            found = [m for m in pattern.finditer(rest, 0, fits) if m.start() >= fits // 2]
            if found:
                cut, skip = found[-1].start(), len(found[-1].group())
                break
        chunks.append(rest[:cut].rstrip())
        # Leading spaces of the next piece are kept: they indent a line continuing an item.
        rest = rest[cut + skip :].lstrip("\n")
    if rest.strip():
        chunks.append(rest)
    return [chunk for chunk in chunks if chunk.strip()]


def numbered_choices(text: str, choices: Sequence[Choice], *, numbered: bool = True) -> str:
    """Append choices as a numbered list (the number typed back selects one), or bullets when not numbered."""
    listed = "\n".join(
        f"{n}. {choice.label}" if numbered else f"• {choice.label}"
        for n, choice in enumerate(choices, start=1)
    )
    if not listed:
        return text
    return f"{text}\n\n{listed}" if text else listed


def human_size(size: int, lang: str = "fr") -> str:
    """Format a byte count for a sentence: "20,9 Mo", "512 ko", "900 o" in French; "20.9 MB" in English."""
    if size >= 1024 * 1024:
        amount = format_decimal(size / (1024 * 1024), format="0.0", locale=lang)
        return t(lang, "size_megabytes", size=amount)
    if size >= 1024:
        return t(lang, "size_kilobytes", size=f"{size / 1024:.0f}")
    return t(lang, "size_bytes", size=size)


@contextlib.asynccontextmanager
async def typing_while(
    show: Callable[[bool], Awaitable[None]], *, delay: float = TYPING_DELAY_SECONDS, refresh: float = 4.5
) -> AsyncIterator[None]:
    """Show a typing indicator while the body runs, once it has run longer than ``delay`` (refreshed)."""
    shown = False

    async def keep_typing() -> None:
        nonlocal shown
        await asyncio.sleep(delay)
        while True:
            shown = True
            with contextlib.suppress(Exception):
                await show(True)
            await asyncio.sleep(refresh)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if shown:
            with contextlib.suppress(Exception):
                await show(False)


# --- Albums -------------------------------------------------------------------------------------------

Part = TypeVar("Part")


@dataclass
class Album(Generic[Part]):
    """The parts of one album gathered so far; its leader (the first part's handler) hands them on."""

    leader: bool
    parts: list[tuple[int, Part]] = field(default_factory=list)
    _handled: asyncio.Event = field(default_factory=asyncio.Event)

    def ordered(self) -> list[Part]:
        """Return the parts in the order they were sent."""
        return [part for _, part in sorted(self.parts, key=lambda p: p[0])]

    def finish(self) -> None:
        """Tell the other parts' handlers that the album was handled."""
        self._handled.set()

    async def finished(self) -> None:
        """Wait until the leader has handled the album."""
        await self._handled.wait()


class AlbumGatherer(Generic[Part]):
    """Gather the messages of one album, which arrive one update each, until none came for ``wait`` seconds.

    The first part's handler leads: ``join`` returns to it once the album is quiet, with every part; the
    other parts' handlers get their own view at once and wait for ``finished`` (their updates stay
    unanswered, so a crash replays them all and the album is gathered again). The owner's other messages
    wait for ``handled`` first: they are answered after the album they were sent after.
    """

    def __init__(self, wait: float) -> None:
        self.wait = wait
        self._gathering: dict[tuple[Hashable, Hashable], Album[Part]] = {}
        self._unhandled: dict[Hashable, list[Album[Part]]] = {}

    async def join(self, owner: Hashable, group: Hashable, order: int, part: Part) -> Album[Part]:
        """Add one part (``order``: its message id); return the leader's album when quiet, or a follower's."""
        lead = self._gathering.get((owner, group))
        if lead is not None:
            lead.parts.append((order, part))
            return Album(False, [(order, part)], lead._handled)
        lead = Album(True, [(order, part)])
        self._gathering[(owner, group)] = lead
        self._unhandled.setdefault(owner, []).append(lead)
        lead._handled = _Forgetting(lambda: self._forget(owner, lead))
        try:
            while True:
                seen = len(lead.parts)
                await asyncio.sleep(self.wait)
                if len(lead.parts) == seen:
                    return lead
        except BaseException:
            lead.finish()
            raise
        finally:
            self._gathering.pop((owner, group), None)

    async def handled(self, owner: Hashable) -> None:
        """Wait until the albums the owner sent so far are handled."""
        for album in list(self._unhandled.get(owner, ())):
            await album.finished()

    def _forget(self, owner: Hashable, album: Album[Part]) -> None:
        held = self._unhandled.get(owner, [])
        if album in held:
            held.remove(album)
        if not held:
            self._unhandled.pop(owner, None)


class _Forgetting(asyncio.Event):
    """An event that runs a callback when set (an album handled leaves its owner's list)."""

    def __init__(self, on_set: Callable[[], None]) -> None:
        super().__init__()
        self._on_set = on_set

    def set(self) -> None:
        """Set the event and run the callback once."""
        if not self.is_set():
            self._on_set()
        super().set()


# --- Matrix HTML -------------------------------------------------------------------------------------

_QUOTE_OPEN, _QUOTE_CLOSE = ("«", "“", '"'), ("»", "”", '"')
_LEAD_MAX = 400  # a longer first line is a text, not a lead sentence


def _html_line(line: str) -> str:
    """Escape one line, keeping its indentation (HTML collapses leading spaces)."""
    stripped = line.lstrip(" ")
    return "&nbsp;" * (len(line) - len(stripped)) + html.escape(stripped, quote=False)


def _is_quote(paragraph: str) -> bool:
    first = paragraph.lstrip()
    return first.startswith(_QUOTE_OPEN)


def matrix_html(text: str) -> str:
    """Render a reply as Matrix HTML: bold lead sentence, quoted passages as blockquotes, indentation kept.

    The lead (the first line of a reply of several paragraphs) is bold; a paragraph that opens with a
    quotation mark (a passage of the decree, with its "— Art. …" source line) is a blockquote; leading spaces
    of nested report lines become non-breaking spaces.
    """
    paragraphs = text.split("\n\n")
    rendered: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        lines = paragraph.split("\n")
        if _is_quote(paragraph):
            rendered.append(
                "<blockquote>" + "<br/>".join(_html_line(line) for line in lines) + "</blockquote>"
            )
            continue
        parts = [_html_line(line) for line in lines]
        lead = lines[0].strip()
        if index == 0 and len(paragraphs) > 1 and lead and len(lead) <= _LEAD_MAX:
            parts[0] = f"<strong>{parts[0]}</strong>"
        rendered.append("<br/>".join(parts))
    out = ""
    for index, block in enumerate(rendered):
        if index:
            # A blockquote is a block of its own: one break around it is enough.
            quoted = block.startswith("<blockquote>") or rendered[index - 1].startswith("<blockquote>")
            out += "" if quoted else "<br/><br/>"
        out += block
    return out


# --- Bookkeeping both chat transports keep ------------------------------------------------------------

Item = TypeVar("Item", bound=Hashable)


class BoundedSet(Generic[Item]):
    """The last ``size`` items seen: enough to drop a repeated event or button press without growing forever."""

    def __init__(self, size: int = 10_000) -> None:
        self._items: OrderedDict[Item, None] = OrderedDict()
        self._size = size

    def add(self, item: Item) -> bool:
        """Remember ``item`` as the newest; return False if it was already there."""
        new = item not in self._items
        self._items[item] = None
        self._items.move_to_end(item)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return new

    def __contains__(self, item: object) -> bool:
        return item in self._items


class SessionLocks:
    """One lock per session, so that one chat is answered in order; dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[SessionKey, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: SessionKey) -> AsyncIterator[None]:
        """Hold the session's lock while the body runs."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


# --- The ``vetpharma <transport>`` commands ---------------------------------------------------------------


def configure_command(parser: argparse.ArgumentParser) -> None:
    """Declare the options of a one-transport command."""
    parser.add_argument(
        "--config", help="settings file (default: $VETPHARMA_CONFIG or config/vetpharma.toml)"
    )


def run_command(
    args: argparse.Namespace,
    transport: str,
    configured: Callable[[Settings], bool],
    missing: str,
    *,
    to_stdout: bool = False,
) -> int:
    """Run one transport until interrupted; say ``missing`` and return 2 when it has no credentials."""
    from bot.serve import serve
    from bot.settings import load_settings

    settings = load_settings(args.config)
    if not configured(settings):
        print(missing, file=sys.stdout if to_stdout else sys.stderr)
        return 2
    # One code path for one transport or all of them: logging, signals, the router and the exit status.
    return serve(settings, transports=(transport,))
