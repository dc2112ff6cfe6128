"""A reply as Matrix ``m.notice`` contents: a plain ``body``, an HTML ``formatted_body``, numbered choices."""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

from bot.adapters import base
from bot.messages import Reply

HTML_FORMAT = "org.matrix.custom.html"
# Custom, namespaced content key: the event a reply answers. Invisible to clients; lets tests, the load
# bench and operators pair every answer with its question, even in direct rooms without a visible quote.
RESPONSE_TO_KEY = "org.vetpharma.response_to"
# [n, total]: this event is part n of the total sent for that message, so a reader knows when it has all.
PART_KEY = "org.vetpharma.part"
# Matrix caps an event at 64 KiB, but Element shows a long event as a wall of text: a reply is cut into events
# of at most this many UTF-16 units (an article of the decree in a few events, each at an item's start).
MAX_BODY_CHARS = 4_000


def split_text(text: str, limit: int = MAX_BODY_CHARS) -> list[str]:
    """Cut a long text into events Element shows well, at paragraph, item or line ends when possible."""
    return base.split_text(text, limit)


def render_reply(reply: Reply) -> list[dict[str, Any]]:
    """Turn a reply's text and choices into ``m.notice`` contents (numbered choices, HTML escaped)."""
    chunks = split_text(reply.text) if reply.text or reply.choices else []
    if reply.choices and not chunks:
        chunks = [""]
    contents: list[dict[str, Any]] = []
    for index, chunk in enumerate(chunks):
        body, formatted = chunk, base.matrix_html(chunk)
        if reply.choices and index == len(chunks) - 1:
            body = base.numbered_choices(body, reply.choices, numbered=reply.numbered)
            items = "".join(f"<li>{html.escape(choice.label, quote=False)}</li>" for choice in reply.choices)
            tag = "ol" if reply.numbered else "ul"
            formatted = f"{formatted}<{tag}>{items}</{tag}>"
        contents.append(
            {"msgtype": "m.notice", "body": body, "format": HTML_FORMAT, "formatted_body": formatted}
        )
    return contents


@dataclass(frozen=True)
class Thread:
    """Where an answer belongs: the message it answers (None for a relay) and whom to mention in a group."""

    event_id: str | None = None
    mention: str | None = None
