"""Hostile messages through the real core: never an internal error, never an escaped exception or a
user's characters in the logs; one safe reader for the numbers users type."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core import Core
from bot.i18n import t
from bot.messages import Incoming, SessionKey
from bot.store import SessionState
from nlu.numbers import read_decimal, read_index, read_int
from tests.fuzz_messages import message
from tests.transcript import Chat, Clock, make_helpdesk

STAFF = dict(staff=("matrix:@agent:gouv.mc",), staff_rooms=("matrix:!staff:gouv.mc",))
USERS = (
    SessionKey("telegram", "7001", "7001"),
    SessionKey("matrix", "!dm:gouv.mc", "@marie:gouv.mc"),
    SessionKey("console", "local", "operator"),
    SessionKey("matrix", "!staff:gouv.mc", "@agent:gouv.mc"),
)
INTERNAL = {t(lang, "internal_error") for lang in ("fr", "en")}


class _Errors(logging.Handler):
    """Keep every record at ERROR or above, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def fuzz_core() -> Iterator[Core]:
    with tempfile.TemporaryDirectory() as folder:
        core = make_helpdesk(Path(folder), Clock(), **STAFF)
        yield core
        core.close()


@pytest.fixture(scope="module")
def errors() -> Iterator[_Errors]:
    handler = _Errors()
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def test_unicode_digits_are_read_once_and_safely() -> None:
    assert read_int("②") == 2 and read_int("²") == 2 and read_int("１２") == 12
    assert read_int("᧚") is None and read_int("፩") is None and read_int("٣") is None
    assert read_int("⑳" * 2200) is None and read_int("9" * 13) is None and read_int("-1") is None
    assert read_index("-1", 3) is None and read_index("0", 3) is None and read_index("③", 3) == 3
    assert read_decimal("1 200") == 1200 and read_decimal("12,5") == 12.5 and read_decimal("9" * 5000) is None


@pytest.mark.parametrize("typed", ["/edit ²", "/edit ①", "᧚", "፩", "⑳" * 2200, "/edit " + "⑳" * 2200, "-1"])
def test_the_numbers_of_the_issue_get_an_answer(fuzz_core: Core, errors: _Errors, typed: str) -> None:
    chat = Chat(fuzz_core, user="issue16", transport="telegram", room="issue16")
    chat.send("/dossier opening")  # a question with choices is on screen
    before = len(errors.records)
    text = chat.send(typed)
    assert text and text not in INTERNAL, chat.transcript()
    assert len(errors.records) == before


@settings(
    max_examples=100,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(st.lists(st.tuples(st.integers(0, len(USERS) - 1), message), min_size=10, max_size=10))
def test_fuzzed_messages_never_get_an_internal_error(
    fuzz_core: Core, errors: _Errors, messages: list[tuple[int, str]]
) -> None:
    before = len(errors.records)
    for user, text in messages:
        replies = fuzz_core.handle(Incoming(key=USERS[user], text=text, display_name="Fuzz"))
        assert replies, f"no reply to {text[:80]!r}"
        assert not any(r.text in INTERNAL for r in replies), f"internal error on {text[:80]!r}"
    assert len(errors.records) == before, [r.getMessage()[:200] for r in errors.records[before:]]


def test_a_failure_logs_no_user_text(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    core = make_helpdesk(tmp_path, Clock())
    secret = "Zéphyrin-Dupont-1234"

    def failing(incoming: Incoming, session: SessionState) -> None:
        raise ValueError(f"invalid literal: {incoming.text!r}")

    core.add_filter(failing)
    with caplog.at_level(logging.DEBUG):
        replies = core.handle(Incoming(key=USERS[0], text=secret))
    core.close()
    assert replies[0].text in INTERNAL
    logged = "\n".join(r.getMessage() + (logging.Formatter().formatException(r.exc_info) if r.exc_info else "")
                       for r in caplog.records)  # fmt: skip
    assert "ValueError" in logged and secret not in logged


def test_minus_one_at_the_review_does_not_confirm_the_dossier(tmp_path: Path) -> None:
    from tests.test_core_console import OPENING_SCRIPT
    from tests.transcript import make_core

    chat = Chat(make_core(tmp_path))
    for line in OPENING_SCRIPT.split("/upload")[0].splitlines()[1:]:
        chat.send(line)
    assert "Valider le dossier" in chat.choices[0]
    chat.send("-1")
    assert "est complet" not in chat.text and not chat.files()
    dossier = chat.core.store.dossier_by_number(chat.key, 1)
    assert dossier is not None and dossier.status == "review"
