"""The ticket desk: a request for a person becomes a ticket in the staff rooms, and staff answer in its thread.

Each ticket message to staff starts with "Ticket #N", the stable marker of its thread. Staff answer with
``/reply N text``, ``#N text``, or by replying to a ticket message (the adapter passes the text replied to);
the answer goes to the user's own session on whatever transport they use, and ``/close N`` ends it.
Tickets live in the store, so they survive restarts and go with the user's data (/forget, retention).

While a ticket is open the bot keeps answering the user; what they write is added to the ticket's context
(staff read it with ``/ticket N``) without being pushed to the rooms. What the user means for the staff
(``/human text``, or a reply to a staff message) is relayed to the rooms and not answered by the bot.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.access import StaffAccounts
from bot.commands import parse_command
from bot.handoff import HandoffRequest, HandoffTicket
from bot.hygiene import clean_text
from bot.i18n import t
from bot.messages import Incoming, Reply, SessionKey
from bot.settings import HelpdeskSettings
from bot.store import TICKET_CLOSED, HandoffRecord, SessionState, Store

log = logging.getLogger(__name__)

# "Ticket #12" starts every staff-room message of ticket 12; the user's messages say "#12".
STAFF_MARKER = re.compile(r"\bTicket #(\d{1,9})\b")
USER_MARKER = re.compile(r"#(\d{1,9})\b")
SHORT_REPLY = re.compile(r"#(\d{1,9})\s+(\S.*)", re.DOTALL)
MAX_FOLLOWUPS = 20
MAX_MESSAGES = 100  # exchanges kept in one ticket (the latest); one user cannot grow a ticket without end
MAX_MESSAGE = 1000  # characters kept of one message
TICKETS_PER_PAGE = 15  # tickets listed on one page of /tickets
TICKET_PAGE_CHARS = (
    3500  # characters of one page of /ticket N: one message on every transport (Telegram 4096)
)
MAX_LINE = 300  # characters of one message shown in a ticket
# A user asking again, or writing to staff again, is relayed to the staff rooms at most this often: the rest
# is kept in the ticket (/ticket N shows it), not repeated in the rooms.
RELAY_AGAIN_AFTER = timedelta(minutes=10)
RELAY_NOTE_AFTER = timedelta(minutes=1)
DAY_NAMES = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "lun": 0, "mar": 1, "mer": 2, "jeu": 3, "ven": 4, "sam": 5, "dim": 6,
}  # fmt: skip
PIECE_MARKS = {"present": "✅", "uncertain": "⚠️", "missing": "☐"}
# Spellings of the staff's close command (as bot.staff registers it), compared folded.
CLOSE = frozenset({"close", "clore", "fermer", "cloturer"})


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _hhmm(value: str, key: str) -> time:
    match = re.fullmatch(r"(\d{1,2})[:h](\d{2})", value.strip())
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"helpdesk.{key}: expected HH:MM-HH:MM, got {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


@dataclass(frozen=True)
class OfficeHours:
    """When staff answer: working days, opening hours, time zone and closed days."""

    days: frozenset[int]  # 0 = Monday
    start: time
    end: time
    zone: ZoneInfo
    holidays: frozenset[date] = frozenset()

    @classmethod
    def from_settings(cls, settings: HelpdeskSettings) -> OfficeHours:
        """Read the ``[helpdesk]`` settings; a malformed value names its key."""
        days = set()
        for day in settings.office_days:
            number = DAY_NAMES.get(day.strip().lower()[:3])
            if number is None:
                raise ValueError(f"helpdesk.office_days: unknown day {day!r} (mon, tue, … sun)")
            days.add(number)
        start_text, _, end_text = settings.office_hours.partition("-")
        start, end = _hhmm(start_text, "office_hours"), _hhmm(end_text, "office_hours")
        if end <= start:
            raise ValueError(f"helpdesk.office_hours: {settings.office_hours!r} ends before it starts")
        try:
            holidays = frozenset(date.fromisoformat(d.strip()) for d in settings.holidays)
        except ValueError as exc:
            raise ValueError(f"helpdesk.holidays: expected ISO dates (2025-11-19): {exc}") from exc
        return cls(frozenset(days), start, end, ZoneInfo(settings.timezone), holidays)

    def local(self, now: datetime) -> datetime:
        """Turn a naive UTC time into the office's local time."""
        return now.replace(tzinfo=UTC).astimezone(self.zone)

    def _working(self, day: date) -> bool:
        return day.weekday() in self.days and day not in self.holidays

    def is_open(self, now: datetime) -> bool:
        """Tell whether staff are at work at a naive UTC time."""
        local = self.local(now)
        return self._working(local.date()) and self.start <= local.time() < self.end

    def next_opening(self, now: datetime) -> datetime | None:
        """Return the next local opening time after a naive UTC time (None: no working day at all)."""
        local = self.local(now)
        day = local.date()
        if self._working(day) and local.time() < self.start:
            return datetime.combine(day, self.start, tzinfo=self.zone)
        for offset in range(1, 370):
            candidate = day + timedelta(days=offset)
            if self._working(candidate):
                return datetime.combine(candidate, self.start, tzinfo=self.zone)
        return None

    def describe(self, lang: str) -> str:
        """Say the office hours: "du lundi au vendredi, de 09:00 à 17:00, heure de Monaco"."""
        names = t(lang, "weekdays").split(",")
        ordered = sorted(self.days)
        if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
            days = t(lang, "days_range", first=names[ordered[0]], last=names[ordered[-1]])
        else:
            days = ", ".join(names[d] for d in ordered)
        city = str(self.zone.key).rsplit("/", 1)[-1].replace("_", " ")
        return t(lang, "office_hours", days=days, start=_clock(self.start), end=_clock(self.end), city=city)

    def eta(self, lang: str, now: datetime) -> str:
        """Tell a user roughly when a person will answer, from a naive UTC time."""
        if not self.days:
            return t(lang, "eta_unknown")
        if self.is_open(now):
            return t(lang, "eta_open", end=_clock(self.end), hours=self.describe(lang))
        opening = self.next_opening(now)
        if opening is None:
            return t(lang, "eta_unknown")
        today = self.local(now).date()
        start = _clock(self.start)
        if opening.date() == today:
            when = t(lang, "when_today", start=start)
        elif opening.date() == today + timedelta(days=1):
            when = t(lang, "when_tomorrow", start=start)
        else:
            day = t(lang, "weekdays").split(",")[opening.weekday()]
            when = t(lang, "when_day", day=day, date=opening.strftime("%d/%m"), start=start)
        return t(lang, "eta_closed", when=when, hours=self.describe(lang))


def _clock(value: time) -> str:
    return value.strftime("%H:%M")


def _short(text: str, limit: int = MAX_LINE) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class TicketDesk:
    """The ``HumanDesk`` of the ministry: tickets stored, relayed to the staff rooms, answered from there."""

    def __init__(
        self,
        store: Store,
        staff: StaffAccounts,
        hours: OfficeHours,
        *,
        staff_lang: str = "fr",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.staff = staff
        self.hours = hours
        self.staff_lang = staff_lang
        self.clock: Callable[[], datetime] = clock or store.clock
        # Ticket contexts are read, changed and written back: one change at a time in this process
        # (the dispatcher runs different sessions' messages in parallel threads).
        self._lock = threading.Lock()

    # Opening (the user's side)

    def open_ticket(self, request: HandoffRequest) -> HandoffTicket:
        """Open a ticket and relay it to every staff room; a user's open ticket is reused."""
        now = self.clock()
        eta = self.hours.eta(request.lang, now)
        existing = self.store.open_handoff(request.key)
        if existing is not None:
            return self._again(existing, request, eta)
        context: dict[str, Any] = {
            "reason": request.reason,
            "recent": list(request.recent),
            "display_name": request.display_name,
            "dossier": dict(request.dossier) if request.dossier is not None else None,
            "note": request.note,
            "opened_at": now.isoformat(),
            "messages": [],
            "followups": [],
        }
        number = self.store.add_handoff(request.key, request.lang, context)
        record = self.store.handoff(number)
        relays: tuple[Reply, ...] = ()
        if record is not None:
            text = self.ticket_text(record, self.staff_lang)
            relays = tuple(Reply(text, to=room) for room in self.staff.rooms)
        return HandoffTicket(number, relays, t(request.lang, "ticket_opened", number=number, eta=eta))

    def _again(self, ticket: HandoffRecord, request: HandoffRequest, eta: str) -> HandoffTicket:
        number = ticket.number
        if request.note:
            self._append(number, "messages", {"from": "user", "text": request.note})
            relay = t(
                self.staff_lang, "ticket_user_says", number=number, text=_short(request.note, MAX_MESSAGE)
            )
            message = t(request.lang, "ticket_forwarded", number=number, eta=eta)
            relayed = self._relay_due(number, RELAY_NOTE_AFTER, "message")
        else:
            relay = t(self.staff_lang, "ticket_again", number=number)
            relayed = self._relay_due(number, RELAY_AGAIN_AFTER, "reminder")
            message = t(
                request.lang, "ticket_reminded" if relayed else "ticket_still_waiting", number=number, eta=eta
            )
        relays = tuple(Reply(relay, to=room) for room in self.staff.rooms) if relayed else ()
        return HandoffTicket(number, relays, message)

    def _relay_due(self, number: int, every: timedelta, kind: str) -> bool:
        """Tell whether the rooms may hear this kind of news of a ticket now (reminder, or user's message)."""
        now = self.clock()
        due = False

        def change(record: HandoffRecord) -> tuple[str, Mapping[str, Any]]:
            nonlocal due
            context = dict(record.context)
            try:
                last = datetime.fromisoformat(str(context.get(f"{kind}_relayed_at")))
            except ValueError:
                last = None
            due = last is None or not timedelta(0) <= now - last < every
            if due:
                context[f"{kind}_relayed_at"] = now.isoformat()
            return record.status, context

        with self._lock:
            self.store.update_handoff(number, change)
        return due

    def _append(self, number: int, field: str, item: Mapping[str, Any]) -> HandoffRecord | None:
        stamped = {"at": self.clock().isoformat(), **item}
        if isinstance(stamped.get("text"), str):
            stamped["text"] = stamped["text"][:MAX_MESSAGE]

        def change(record: HandoffRecord) -> tuple[str, Mapping[str, Any]]:
            context = dict(record.context)
            items = [*context.get(field, []), stamped]
            kept = MAX_FOLLOWUPS if field == "followups" else MAX_MESSAGES
            if len(items) > kept:
                context[f"{field}_dropped"] = int(context.get(f"{field}_dropped", 0) or 0) + len(items) - kept
            context[field] = items[-kept:]
            if field == "messages" and item.get("from") == "staff":
                context.setdefault("answered_at", stamped["at"])
            return record.status, context

        with self._lock:
            return self.store.update_handoff(number, change)

    # Messages seen before the core (staff answers in a thread, users' follow-ups)

    def route(self, incoming: Incoming, session: SessionState) -> list[Reply] | None:
        """Take a staff answer or a user's message for staff; None lets the bot answer as usual."""
        if incoming.attachment is not None:
            return None
        text = clean_text(incoming.text or "")
        if not text:
            return None
        key = incoming.key
        command = parse_command(text)
        if self.staff.is_staff(key):
            short = SHORT_REPLY.fullmatch(text)
            if short is not None:
                return self.reply(
                    int(short.group(1)), key, incoming.display_name, short.group(2), session.lang
                )
            marker = STAFF_MARKER.search(incoming.reply_to_text or "")
            if marker is not None and command is None:
                return self.reply(int(marker.group(1)), key, incoming.display_name, text, session.lang)
            if (
                marker is not None
                and command is not None
                and not command.arg
                and _plain(command.typed) in CLOSE
            ):
                # "/close" sent as a reply in the ticket's thread closes that ticket.
                return self.close(int(marker.group(1)), key, incoming.display_name, session.lang)
        if command is not None:
            return None
        ticket = self.store.open_handoff(key)
        if ticket is None:
            return None
        marker = USER_MARKER.search(incoming.reply_to_text or "")
        if marker is not None and int(marker.group(1)) == ticket.number:
            return self.forward(ticket, text, session.lang)
        self._append(ticket.number, "followups", {"text": text[:500]})
        return None

    def forward(self, ticket: HandoffRecord, text: str, lang: str) -> list[Reply]:
        """Relay a user's message for the staff to the rooms, and tell the user."""
        self._append(ticket.number, "messages", {"from": "user", "text": text})
        relay = t(self.staff_lang, "ticket_user_says", number=ticket.number, text=_short(text, MAX_MESSAGE))
        eta = self.hours.eta(lang, self.clock())
        rooms = self.staff.rooms if self._relay_due(ticket.number, RELAY_NOTE_AFTER, "message") else ()
        return [
            *(Reply(relay, to=room) for room in rooms),
            Reply(t(lang, "ticket_forwarded", number=ticket.number, eta=eta)),
        ]

    # Staff

    def reply(
        self, number: int, staff_key: SessionKey, staff_name: str | None, text: str, lang: str
    ) -> list[Reply]:
        """Send a staff answer to the ticket's user, confirm it to the staff member and tell other rooms."""
        text = text.strip()
        if not text:
            return [Reply(t(lang, "reply_usage"))]
        who = staff_name or staff_key.user
        by = f"{staff_key.transport}:{staff_key.user}"
        record = self._append(number, "messages", {"from": "staff", "by": by, "name": who, "text": text})
        if record is None:
            return [Reply(t(lang, "ticket_not_found", number=number))]
        user_lang = self.store.load_session(record.key, record.lang).lang
        relay = Reply(t(user_lang, "staff_reply_to_user", number=number, text=text), to=record.key)
        confirm = Reply(t(lang, "ticket_replied", number=number, transport=record.key.transport))
        others = t(self.staff_lang, "ticket_reply_elsewhere", number=number, who=who, text=text)
        return [relay, confirm, *self._to_other_rooms(staff_key, others)]

    def close(self, number: int, staff_key: SessionKey, staff_name: str | None, lang: str) -> list[Reply]:
        """Close a ticket and tell its user."""
        current = self.store.handoff(number)
        if current is None:
            return [Reply(t(lang, "ticket_not_found", number=number))]
        if current.status == TICKET_CLOSED:
            return [Reply(t(lang, "ticket_already_closed", number=number))]
        who = staff_name or staff_key.user
        closed_at = self.clock().isoformat()

        def change(record: HandoffRecord) -> tuple[str, Mapping[str, Any]]:
            by = f"{staff_key.transport}:{staff_key.user}"
            return TICKET_CLOSED, {**record.context, "closed_at": closed_at, "closed_by": by}

        with self._lock:
            record = self.store.update_handoff(number, change)
        if record is None:
            return [Reply(t(lang, "ticket_not_found", number=number))]
        user_lang = self.store.load_session(record.key, record.lang).lang
        told = Reply(t(user_lang, "ticket_closed_to_user", number=number), to=record.key)
        confirm = Reply(t(lang, "ticket_closed_staff", number=number))
        others = t(self.staff_lang, "ticket_closed_elsewhere", number=number, who=who)
        return [told, confirm, *self._to_other_rooms(staff_key, others)]

    def _to_other_rooms(self, staff_key: SessionKey, text: str) -> list[Reply]:
        return [
            Reply(text, to=room)
            for room in self.staff.rooms
            if (room.transport, room.chat) != (staff_key.transport, staff_key.chat)
        ]

    # What staff read

    def opened_at(self, record: HandoffRecord) -> str:
        """Say when a ticket was opened, in the office's time zone."""
        return self.hours.local(record.created_at).strftime("%d/%m/%Y %H:%M")

    def state(self, record: HandoffRecord, lang: str) -> str:
        """Say where a ticket stands: waiting, answered, closed."""
        if record.status == TICKET_CLOSED:
            return t(lang, "ticket_state_closed")
        answered = record.context.get("answered_at")
        return t(lang, "ticket_state_answered" if answered else "ticket_state_waiting")

    def reason(self, record: HandoffRecord, lang: str) -> str:
        """Name why the ticket was opened."""
        reason = str(record.context.get("reason") or "command")
        try:
            return t(lang, f"reason_{reason}")
        except KeyError:
            return reason

    def who(self, record: HandoffRecord, lang: str) -> str:
        """Name the ticket's user as they call themselves on their transport."""
        name = record.context.get("display_name")
        if isinstance(name, str) and name.strip():
            return _short(name, 80)
        # No name on the transport (a terminal): the name the user gave in their dossier, said as such.
        dossier = record.context.get("dossier")
        answers = dossier.get("answers") if isinstance(dossier, Mapping) else None
        if isinstance(answers, Mapping):
            given = " ".join(
                str(answers.get(k) or "").strip() for k in ("responsible_first_name", "responsible_last_name")
            ).strip()
            if given:
                return t(lang, "ticket_name_from_dossier", name=_short(given, 80))
        return t(lang, "ticket_anonymous")

    def ticket_text(self, record: HandoffRecord, lang: str, *, full: bool = False) -> str:
        """Write a ticket for staff: who, why, recent messages, the dossier and its pieces."""
        context = record.context
        number = record.number
        lines = [
            t(lang, "ticket_new", number=number, reason=self.reason(record, lang)),
            t(
                lang,
                "ticket_from",
                who=self.who(record, lang),
                transport=record.key.transport,
                language=record.lang,
                opened=self.opened_at(record),
            ),
        ]
        note = context.get("note")
        if isinstance(note, str) and note.strip():
            lines.append(t(lang, "ticket_note", note=_short(note, 1000)))
        recent = [str(m) for m in context.get("recent") or []]
        if recent:
            lines.append(t(lang, "ticket_recent"))
            lines += [f"  › {_short(m)}" for m in recent]
        else:
            lines.append(t(lang, "ticket_no_recent"))
        dossier = context.get("dossier")
        if isinstance(dossier, Mapping):
            lines += self._dossier_lines(dossier, lang)
        if full:
            lines += self._history_lines(context, lang)
            if record.status == TICKET_CLOSED and context.get("closed_at"):
                closed = datetime.fromisoformat(str(context["closed_at"]))
                lines.append(
                    t(lang, "ticket_closed_on", closed=self.hours.local(closed).strftime("%d/%m/%Y %H:%M"))
                )
        lines.append(t(lang, "ticket_how", number=number))
        return "\n".join(lines)

    def _dossier_lines(self, dossier: Mapping[str, Any], lang: str) -> list[str]:
        lines = [
            t(
                lang,
                "ticket_dossier",
                number=dossier.get("number", "?"),
                title=dossier.get("title") or dossier.get("kind", "?"),
                status=dossier.get("status_label") or dossier.get("status", "?"),
            )
        ]
        summary = dossier.get("summary")
        if isinstance(summary, Sequence) and not isinstance(summary, str):
            lines += [f"  • {_short(str(line))}" for line in summary]
        else:
            answers = dossier.get("answers") or {}
            lines += [f"  • {k} : {_short(str(v))}" for k, v in dict(answers).items()]
        for piece in dossier.get("pieces") or []:
            if not isinstance(piece, Mapping):
                continue
            mark = PIECE_MARKS.get(str(piece.get("status")), "•")
            label = piece.get("label") or piece.get("id")
            where = f" ({piece['file']})" if piece.get("file") else ""
            lines.append(f"  {mark} {label} — art. {piece.get('article', '?')}{where}")
        return lines

    def _history_lines(self, context: Mapping[str, Any], lang: str) -> list[str]:
        lines: list[str] = []
        messages = [m for m in context.get("messages") or [] if isinstance(m, Mapping)]
        if messages:
            lines.append(t(lang, "ticket_exchange"))
            # Every exchange kept (the latest MAX_MESSAGES) is shown: /ticket pages the text.
            earlier = int(context.get("messages_dropped", 0) or 0)
            if earlier > 0:
                lines.append(t(lang, "ticket_earlier", count=earlier))
            for message in messages:
                if message.get("from") == "staff":
                    by = t(lang, "ticket_by_staff", who=message.get("name") or message.get("by") or "?")
                else:
                    by = t(lang, "ticket_by_user")
                lines.append(f"  {self._at(message)} {by} : {_short(str(message.get('text', '')), 1000)}")
        followups = [m for m in context.get("followups") or [] if isinstance(m, Mapping)]
        if followups:
            lines.append(t(lang, "ticket_followups"))
            lines += [f"  {self._at(m)} › {_short(str(m.get('text', '')))}" for m in followups]
        return lines

    def _at(self, item: Mapping[str, Any]) -> str:
        try:
            return self.hours.local(datetime.fromisoformat(str(item.get("at")))).strftime("%d/%m %H:%M")
        except ValueError:
            return "?"

    def ticket_line(self, record: HandoffRecord, lang: str) -> str:
        """Write one line of the ticket list."""
        return t(
            lang,
            "tickets_line",
            number=record.number,
            opened=self.opened_at(record),
            who=self.who(record, lang),
            transport=record.key.transport,
            language=record.lang,
            reason=self.reason(record, lang),
            state=self.state(record, lang),
        )
