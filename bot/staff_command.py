"""``vetpharma stats``: the staff figures on the command line (text, or ``--json``), from the bot's database."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bot.settings import load_settings
from bot.staff import (
    DEFAULT_DAYS,
    MAX_DAYS,
    UNANSWERED_SHOWN,
    helpdesk_parts,
    render_figures,
    render_unanswered,
)
from bot.store import TICKET_OPEN, open_store


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the options of ``vetpharma stats``."""
    parser.add_argument(
        "--config", help="settings file (default: $VETPHARMA_CONFIG or config/vetpharma.toml)"
    )
    parser.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        help=f"period: the last N days, today included (default {DEFAULT_DAYS})",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--lang", choices=("fr", "en"), help="language of the text (default: the bot's)")


def run(args: argparse.Namespace) -> int:
    """Print the figures, the questions to review and the open tickets."""
    settings = load_settings(args.config)
    if not 1 <= args.days <= MAX_DAYS:
        print(f"vetpharma stats: --days must be between 1 and {MAX_DAYS}", file=sys.stderr)
        return 2
    store = open_store(settings.effective_database_url)
    try:
        analytics, desk = helpdesk_parts(settings, store)
        figures = analytics.figures(args.days)
        questions = analytics.unanswered(UNANSWERED_SHOWN, args.days)
        tickets = store.list_handoffs(TICKET_OPEN, limit=100)
        if args.json:
            document: dict[str, Any] = figures.as_json()
            document["unanswered"] = [
                {
                    "id": q.id,
                    "asked_at": q.created_at.isoformat() + "Z",
                    "lang": q.lang,
                    "question": q.text,
                    "answered": q.answered,
                    "confidence": round(q.confidence, 2),
                    "feedback": q.feedback,
                    "articles": list(q.articles),
                }
                for q in questions
            ]
            # Tickets without who asked: this output ends up in reports and mails.
            document["tickets"] = [
                {
                    "number": r.number,
                    "opened_at": r.created_at.isoformat() + "Z",
                    "transport": r.key.transport,
                    "lang": r.lang,
                    "reason": r.context.get("reason"),
                    "answered": bool(r.context.get("answered_at")),
                }
                for r in tickets
            ]
            print(json.dumps(document, ensure_ascii=False))
            return 0
        lang = args.lang or settings.default_language
        print(render_figures(figures, lang))
        print()
        print(render_unanswered(questions, lang, analytics.low_confidence, desk.hours.local))
        print()
        if tickets:
            print(f"{len(tickets)} ticket(s):")
            for record in tickets:
                print(desk.ticket_line(record, lang))
        return 0
    finally:
        store.close()
