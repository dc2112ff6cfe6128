"""Staff commands (/stats, /unanswered, /tickets, /ticket, /reply, /close), feedback, and the helpdesk wiring.

Only the accounts listed in ``staff`` may use the staff commands; anyone else is told politely that they
are reserved. A staff member reads a ticket's context, never anybody's dossiers as such.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from babel.numbers import format_decimal

from bot import events as ev
from bot.access import StaffAccounts
from bot.analytics import DOWN, UP, Analytics, Figures, QuestionLog
from bot.conversation import UNANSWERED_OFFER, CommandContext, CommandHandler
from bot.core import Core
from bot.faults import log_failure
from bot.handoff import HumanDesk
from bot.helpdesk import CLOSE, TICKET_PAGE_CHARS, TICKETS_PER_PAGE, OfficeHours, TicketDesk
from bot.i18n import t
from bot.messages import Choice, Incoming, Reply, SessionKey
from bot.quotas import Limiter, rate_limiter
from bot.settings import Settings
from bot.store import TICKET_OPEN, SessionState, Store
from nlu.numbers import read_int

log = logging.getLogger(__name__)

DEFAULT_DAYS = 7
# The terminal chat is the operator's own: never rate-limited.
UNLIMITED_TRANSPORTS = frozenset({"console"})
MAX_DAYS = 366
UNANSWERED_SHOWN = 20
RATE_LIMIT_QUOTE = 40  # characters of an unread message quoted back to its sender


class FanOut:
    """Gives each event to several sinks (analytics, and whatever else was plugged in)."""

    def __init__(self, *sinks: ev.EventSink) -> None:
        self.sinks = sinks

    def record(self, event: ev.Event) -> None:
        """Pass the event on to every sink; one failing does not stop the others."""
        for sink in self.sinks:
            try:
                sink.record(event)
            except Exception:
                log_failure(log, "an event sink failed on %s", event.kind)


def _percent(share: float | None, lang: str) -> str:
    if share is None:
        return "—"
    return t(lang, "percent", value=f"{share * 100:.0f}")


def render_figures(figures: Figures, lang: str) -> str:
    """Write the figures of a period for staff, as /stats and ``vetpharma stats`` show them."""
    days = (figures.last_day - figures.first_day).days + 1
    lines = [
        t(
            lang,
            "stats_title",
            first=figures.first_day.strftime("%d/%m/%Y"),
            last=figures.last_day.strftime("%d/%m/%Y"),
            days=days,
        )
    ]
    if figures.questions:
        lines.append(
            t(
                lang,
                "stats_questions",
                questions=figures.questions,
                answered=figures.answered,
                share=_percent(figures.answered_share, lang),
                low=figures.low_confidence,
                up=figures.feedback_up,
                down=figures.feedback_down,
            )
        )
        per_day = " · ".join(f"{d.day.strftime('%d/%m')} {d.questions}" for d in figures.per_day[-14:])
        lines.append(t(lang, "stats_per_day", days=per_day))
    else:
        lines.append(t(lang, "stats_no_questions"))
    if figures.top_articles:
        articles = ", ".join(f"{label} ({n})" for label, n in figures.top_articles)
        lines.append(t(lang, "stats_top_articles", articles=articles))
    else:
        lines.append(t(lang, "stats_no_articles"))
    started = sum(figures.dossiers_started.values())
    kinds = sorted(figures.dossiers_started)
    detail = ""
    if kinds:
        named = ", ".join(f"{_kind_name(kind, lang)} {figures.dossiers_started[kind]}" for kind in kinds)
        detail = f" ({named})"
    lines.append(
        t(
            lang,
            "stats_dossiers",
            started=started,
            completed=sum(figures.dossiers_completed.values()),
            cancelled=sum(figures.dossiers_cancelled.values()),
            detail=detail,
        )
    )
    lines.append(t(lang, "stats_checks", checks=figures.checks, files=figures.files_checked))
    lines.append(t(lang, "stats_tickets", opened=figures.tickets_opened, open=figures.open_tickets))
    return "\n".join(lines)


def _kind_name(kind: str, lang: str) -> str:
    try:
        return t(lang, f"dossier_{kind}")
    except KeyError:
        return kind


def render_unanswered(
    questions: list[QuestionLog], lang: str, low_confidence: float, zone_local: Callable[[datetime], datetime]
) -> str:
    """Write the questions to review: not answered, low confidence, or 👎."""
    if not questions:
        return t(lang, "unanswered_none")
    lines = [t(lang, "unanswered_title", count=len(questions))]
    for question in questions:
        why = []
        if not question.answered:
            why.append(t(lang, "why_not_answered"))
        elif question.confidence < low_confidence:
            why.append(
                t(
                    lang,
                    "why_low_confidence",
                    confidence=format_decimal(question.confidence, format="0.00", locale=lang),
                )
            )
        if question.feedback == DOWN:
            why.append(t(lang, "why_feedback_down"))
        if question.articles:
            why.append(t(lang, "unanswered_articles", articles=", ".join(question.articles[:3])))
        text = " ".join(question.text.split())
        lines.append(
            t(
                lang,
                "unanswered_line",
                id=question.id,
                when=zone_local(question.created_at).strftime("%d/%m %H:%M"),
                language=question.lang,
                text=text if len(text) <= 200 else text[:199] + "…",
                why=t(lang, "item_separator").join(why),
            )
        )
    return "\n".join(lines)


EVERY_TICKET = frozenset({"all", "tous", "tout", "toutes"})  # /tickets all: closed ones too


def _number(text: str) -> int | None:
    return read_int(text.strip().removeprefix("#").strip(), max_digits=9)


def _page_number(words: list[str]) -> int | None:
    """Read the page asked for among a command's words ("2", "page 2", "p2"): 1 when none, None when not one."""
    asked = [w for w in words if w not in EVERY_TICKET | {"page", "p", "p."}]
    if not asked:
        return 1
    value = read_int(asked[0].removeprefix("p"), max_digits=4) if len(asked) == 1 else None
    return value if value is not None and value >= 1 else None


def _pages(text: str, limit: int) -> list[str]:
    """Cut a text into pages of at most ``limit`` characters, between lines (a longer line is cut too)."""
    pages: list[str] = []
    current: list[str] = []
    size = 0
    for whole in text.split("\n"):
        for line in [whole[i : i + limit] for i in range(0, len(whole), limit)] or [""]:
            if current and size + len(line) + 1 > limit:
                pages.append("\n".join(current))
                current, size = [], 0
            current.append(line)
            size += len(line) + 1
    if current:
        pages.append("\n".join(current))
    return pages


def _page_footer(lang: str, page: int, pages: int, command: str) -> str:
    """Say which page this is and how to see the next one (or the first again)."""
    key = "page_next" if page < pages else "page_last"
    return t(lang, key, page=page, pages=pages, next=f"{command} {page + 1}", first=f"{command} 1")


class StaffCommands:
    """The commands staff type in a staff room or a direct chat, and the users' feedback command."""

    def __init__(
        self,
        staff: StaffAccounts,
        analytics: Analytics,
        desk: TicketDesk,
        store: Store,
    ) -> None:
        self.staff = staff
        self.analytics = analytics
        self.desk = desk
        self.store = store

    def register(self, core: Core) -> None:
        """Add the staff commands and /feedback to the core."""
        staff_only: dict[str, tuple[CommandHandler, tuple[str, ...]]] = {
            "stats": (self.stats, ("statistiques", "chiffres")),
            "unanswered": (self.unanswered, ("sansreponse", "nonrepondues", "arelire")),
            "tickets": (self.tickets, ("demandes",)),
            "ticket": (self.ticket, ()),
            "reply": (self.reply, ("repondre", "reponse")),
            "close": (self.close, tuple(sorted(CLOSE - {"close"}))),
        }
        for name, (handler, aliases) in staff_only.items():
            core.add_command(name, self._guarded(handler), aliases=aliases)
        core.add_command("feedback", self.feedback, aliases=("avis",))
        core.add_command("whoami", self.whoami, aliases=("quisuisje", "id", "compte"))
        core.add_help_section(self.help_section)

    def help_section(self, key: SessionKey, lang: str) -> str | None:
        """Tell staff, and only staff, their commands in /help."""
        return t(lang, "staff_help") if self.staff.is_staff(key) else None

    def _guarded(self, handler: CommandHandler) -> CommandHandler:
        def guarded(context: CommandContext) -> list[Reply]:
            if not self.staff.is_staff(context.key):
                return [Reply(t(context.lang, "staff_only"))]
            return handler(context)

        return guarded

    def stats(self, context: CommandContext) -> list[Reply]:
        """Show the figures of the last N days (7 by default)."""
        days = _number(context.arg) or DEFAULT_DAYS
        figures = self.analytics.figures(min(days, MAX_DAYS))
        return [Reply(render_figures(figures, context.lang) + "\n\n" + t(context.lang, "stats_hint"))]

    def unanswered(self, context: CommandContext) -> list[Reply]:
        """List the latest questions to review (optionally of the last N days)."""
        days = _number(context.arg)
        questions = self.analytics.unanswered(UNANSWERED_SHOWN, min(days, MAX_DAYS) if days else None)
        text = render_unanswered(
            questions, context.lang, self.analytics.low_confidence, self.desk.hours.local
        )
        return [Reply(text)]

    def tickets(self, context: CommandContext) -> list[Reply]:
        """List the open tickets, a page at a time (``/tickets all``: every ticket, newest first; ``/tickets 2``)."""
        lang = context.lang
        words = context.arg.strip().lower().split()
        everything = any(word in EVERY_TICKET for word in words)
        page = _page_number(words)
        counts = self.store.count_handoffs()
        total = sum(counts.values()) if everything else counts.get(TICKET_OPEN, 0)
        if not total:
            return [Reply(t(lang, "tickets_none"))]
        pages = -(-total // TICKETS_PER_PAGE)
        if page is None or page > pages:
            asked = " ".join(w for w in words if w not in EVERY_TICKET)
            return [Reply(t(lang, "page_missing", page=asked, pages=pages))]
        records = self.store.list_handoffs(
            None if everything else TICKET_OPEN, limit=TICKETS_PER_PAGE, offset=(page - 1) * TICKETS_PER_PAGE
        )
        lines = [t(lang, "tickets_all_title") if everything else t(lang, "tickets_title", count=total)]
        lines += [self.desk.ticket_line(record, lang) for record in records]
        if pages > 1:
            command = "/tickets all" if everything else "/tickets"
            lines.append(_page_footer(lang, page, pages, command))
        lines.append(t(lang, "tickets_hint"))
        return [Reply("\n".join(lines))]

    def ticket(self, context: CommandContext) -> list[Reply]:
        """Show one ticket's whole context, a page at a time: request, dossier, exchanges, what the user wrote since."""
        words = context.arg.strip().split()
        number = _number(words[0]) if words else None
        if number is None:
            return [Reply(t(context.lang, "ticket_usage"))]
        record = self.store.handoff(number)
        if record is None:
            return [Reply(t(context.lang, "ticket_not_found", number=number))]
        pages = _pages(self.desk.ticket_text(record, context.lang, full=True), TICKET_PAGE_CHARS)
        page = _page_number(words[1:])
        if page is None or page > len(pages):
            return [Reply(t(context.lang, "page_missing", page=" ".join(words[1:]), pages=len(pages)))]
        if len(pages) == 1:
            return [Reply(pages[0])]
        footer = _page_footer(context.lang, page, len(pages), f"/ticket {number}")
        return [Reply(pages[page - 1] + "\n\n" + footer)]

    def reply(self, context: CommandContext) -> list[Reply]:
        """Send ``/reply N text`` to ticket N's user."""
        head, _, text = context.arg.strip().partition(" ")
        number = _number(head)
        if number is None or not text.strip():
            return [Reply(t(context.lang, "reply_usage"))]
        return self.desk.reply(number, context.key, context.display_name, text, context.lang)

    def close(self, context: CommandContext) -> list[Reply]:
        """Close ticket N and tell its user."""
        number = _number(context.arg.strip().split(" ")[0] if context.arg.strip() else "")
        if number is None:
            return [Reply(t(context.lang, "close_usage"))]
        return self.desk.close(number, context.key, context.display_name, context.lang)

    def whoami(self, context: CommandContext) -> list[Reply]:
        """Tell the account and room ids to write in ``staff`` and ``staff_rooms`` (setting up a staff room)."""
        key = context.key
        text = t(
            context.lang, "whoami", account=f"{key.transport}:{key.user}", room=f"{key.transport}:{key.chat}"
        )
        if self.staff.is_staff(key):
            room = "whoami_staff_room" if self.staff.is_staff_room(key) else "whoami_not_staff_room"
            text += "\n" + t(context.lang, room)
        return [Reply(text)]

    def feedback(self, context: CommandContext) -> list[Reply]:
        """Record 👍/👎 on one of the user's answers (the buttons' ``/feedback up|down REF``)."""
        lang = context.lang
        parts = context.arg.split()
        if len(parts) != 2 or parts[0] not in (UP, DOWN):
            return [Reply(t(lang, "feedback_how"))]
        question = self.analytics.set_feedback(parts[1], context.key, parts[0])
        if question is None:
            return [Reply(t(lang, "feedback_unknown"))]
        if parts[0] == UP:
            return [Reply(t(lang, "feedback_thanks_up"))]
        offer = Choice(t(lang, "button_human"), UNANSWERED_OFFER)
        return [Reply(t(lang, "feedback_thanks_down"), choices=(offer,))]


def rate_limit(
    limiter: Limiter, staff: StaffAccounts
) -> Callable[[Incoming, SessionState], list[Reply] | None]:
    """Return the core filter that tells a user over the limit, for each message, when to send it again."""

    def limit(incoming: Incoming, session: SessionState) -> list[Reply] | None:
        if staff.is_staff(incoming.key) or incoming.key.transport in UNLIMITED_TRANSPORTS:
            return None
        if limiter.allow(incoming.key) is True:
            return None
        # Never silent: every message not read says so (quoting its start) and when it can be sent again.
        text = " ".join((incoming.text or "").split())
        start = text if len(text) <= RATE_LIMIT_QUOTE else text[: RATE_LIMIT_QUOTE - 1] + "…"
        if incoming.attachment is not None:
            start = incoming.attachment.name[:RATE_LIMIT_QUOTE]
        seconds = limiter.wait_seconds(incoming.key)
        return [Reply(t(session.lang, "rate_limited_resend", start=start, seconds=seconds))]

    return limit


def install_helpdesk(
    settings: Settings,
    store: Store,
    *,
    desk: HumanDesk | None = None,
    events: ev.EventSink | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Core:
    """Build a core with the ministry's helpdesk: tickets, staff commands, figures, feedback, rate limit."""
    helpdesk = settings.helpdesk
    now = clock or store.clock
    staff = StaffAccounts.from_settings(settings.staff, settings.staff_rooms)
    analytics = Analytics(
        store, timezone=helpdesk.timezone, low_confidence=helpdesk.low_confidence, clock=now
    )
    lang = settings.default_language
    tickets = TicketDesk(store, staff, OfficeHours.from_settings(helpdesk), staff_lang=lang, clock=now)
    sink: ev.EventSink = analytics if events is None else FanOut(analytics, events)
    core = Core(settings, store, desk=desk or tickets, events=sink, clock=now, feedback=helpdesk.feedback)
    core.add_purger(analytics.purge_identities)
    core.add_filter(rate_limit(rate_limiter(helpdesk.rate_limit_per_minute, store, now), staff))
    core.add_filter(tickets.route)
    StaffCommands(staff, analytics, tickets, store).register(core)
    if not staff.rooms:
        log.info("no staff room configured: tickets are only stored (staff see them with /tickets)")
    if helpdesk.metrics_port > 0:
        from bot.metrics import start_metrics_server

        try:
            server = start_metrics_server(settings, analytics)
        except OSError as exc:
            log.error("metrics endpoint not started on port %d: %s", helpdesk.metrics_port, exc)
        else:
            core.add_closer(server.close)
    return core


def helpdesk_parts(settings: Settings, store: Store) -> tuple[Analytics, TicketDesk]:
    """Open the analytics and ticket desk on a store without a core (``vetpharma stats``)."""
    helpdesk = settings.helpdesk
    staff = StaffAccounts.from_settings(settings.staff, settings.staff_rooms)
    analytics = Analytics(store, timezone=helpdesk.timezone, low_confidence=helpdesk.low_confidence)
    desk = TicketDesk(store, staff, OfficeHours.from_settings(helpdesk), staff_lang=settings.default_language)
    return analytics, desk
