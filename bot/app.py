"""The composition root: the conversation core built from settings, with the helpdesk and the check queue."""

from __future__ import annotations

from collections.abc import Callable

from bot import events as ev
from bot.core import Core
from bot.handoff import HumanDesk
from bot.settings import Settings, load_settings
from bot.staff import install_helpdesk
from bot.store import Store, open_store


def build_core(
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    desk: Callable[[Store], HumanDesk] | None = None,
    events: ev.EventSink | None = None,
    helpdesk: bool = True,
) -> Core:
    """Build the conversation core from settings: the store, the dossier specs, NLU, checker and desk.

    With ``helpdesk`` (the default), the ministry's helpdesk comes too: tickets relayed to the staff
    rooms, staff commands, usage figures and feedback, the rate limit and the metrics endpoint (when
    configured). ``desk`` and ``events`` replace the helpdesk's own.
    """
    chosen = settings or load_settings()
    opened = store or open_store(chosen.effective_database_url)
    if not helpdesk:
        core = Core(chosen, opened, desk=desk(opened) if desk else None, events=events)
    else:
        core = install_helpdesk(chosen, opened, desk=desk(opened) if desk else None, events=events)
    if chosen.queue.enabled:
        from bot.checkqueue import CheckQueue, make_app

        core.check_queue = CheckQueue(opened, make_app(opened.url))
    return core
