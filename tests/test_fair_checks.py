"""One user's slow files never hold up another user's check: a file's time is bounded and told truly,
and the checker's workers serve the least served user first."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bot.settings import LimitsSettings
from dossier_checker.check import check_files
from dossier_checker.model import InputFile, Limits
from dossier_checker.pool import FairPool
from dossier_checker.report import report_dict
from tests.hostile_files import slow_pdf
from tests.transcript import DIPLOMA_LINES, Chat, make_core, text_pdf

SLOW = slow_pdf()


def test_a_slow_file_is_cut_at_its_time_and_the_sentence_says_that_time() -> None:
    report = check_files("opening", {}, [InputFile("bomb.pdf", SLOW)], Limits(file_seconds=2))
    result = report.files[0]
    told = report_dict(report, "en")["files"][0]  # type: ignore[index]
    if result.error is not None:  # nothing read in time: the whole file is refused, with the real limit
        assert result.error.code == "file_too_slow"
        assert "(2 s)" in str(told["error"])  # type: ignore[index]
    else:  # a fast machine reads the first pages in time: the file is cut there, the rest named unread
        assert result.unread_pages and result.unread_pages[-1] == 60
        assert "Pages not read within the time allowed (2 s per file)" in str(told["unread"])  # type: ignore[index]


def test_a_long_file_is_checked_on_the_pages_read_and_the_others_are_named() -> None:
    # A diploma on page 1, then pages that cost the parser far more than the file's time.
    diploma = text_pdf(*DIPLOMA_LINES)
    from tests.pdfgen import render

    document = render.merge([diploma, slow_pdf(pages=30)])
    report = check_files("opening", {}, [InputFile("long.pdf", document)], Limits(file_seconds=3))
    result = report.files[0]
    assert result.error is None and 1 in {p.number for p in result.pages}
    assert result.unread_pages and result.unread_pages[-1] == 31 and 1 not in result.unread_pages
    assert next(p for p in report.pieces if p.id == "diploma").status == "present"
    told = report_dict(report, "en")["files"][0]  # type: ignore[index]
    assert told["unread_pages"] == list(result.unread_pages)  # type: ignore[index]
    assert "Pages not read within the time allowed (3 s per file)" in str(told["unread"])  # type: ignore[index]


def test_a_new_user_goes_before_the_files_of_users_already_served() -> None:
    pool = FairPool(1)
    gate = threading.Event()
    ran: list[str] = []
    first = pool.submit("a", lambda: (gate.wait(5), ran.append("a1")))
    while not pool.started:
        time.sleep(0.01)
    later = [pool.submit("a", lambda: ran.append("a2")), pool.submit("b", lambda: ran.append("b1"))]
    gate.set()
    for future in (first, *later):
        future.result(5)
    pool.close()
    assert ran == ["a1", "b1", "a2"]


def test_two_users_with_slow_files_do_not_hold_up_a_third_users_check(tmp_path: Path) -> None:
    # The real core and its real pool of two workers; every slow file takes its whole time (3 s).
    core = make_core(tmp_path, limits=replace(LimitsSettings(), file_seconds=3.0, check_workers=2))
    pool = core.documents.pool
    mallory, oscar, carol = (Chat(core, user=name, room=name) for name in ("mallory", "oscar", "carol"))
    for attacker in (mallory, oscar):
        attacker.upload("a.pdf", SLOW)  # before choosing a dossier: kept until one is chosen
        attacker.upload("b.pdf", SLOW)
    carol.send("/dossier opening")
    threads = {a.user: threading.Thread(target=a.send, args=("/dossier opening",)) for a in (mallory, oscar)}

    def wait_for(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            assert time.monotonic() < deadline, list(pool.started)
            time.sleep(0.02)

    threads["mallory"].start()  # one worker takes her first file: one user never holds every worker
    wait_for(lambda: len(pool.started) == 1 and pool.waiting("test:mallory") == 1)
    threads["oscar"].start()  # the other worker takes his first file
    wait_for(lambda: len(pool.started) == 2 and pool.waiting("test:oscar") == 1)
    carol.upload("diplome.pdf", text_pdf(*DIPLOMA_LINES))
    for thread in threads.values():
        thread.join()
    core.close()
    order = [s.owner for s in pool.started]
    assert order[:3] == ["test:mallory", "test:oscar", "test:carol"], order  # the first free worker: hers
    assert sorted(order[3:]) == ["test:mallory", "test:oscar"]
    assert "trouvé : Copie certifiée conforme du diplôme" in carol.text
    assert "temps permis (3 s" in mallory.text  # skipped, or cut short with its unread pages named


def test_one_user_never_holds_every_worker() -> None:
    pool = FairPool(2)
    gate = threading.Event()
    first = [pool.submit("a", lambda: gate.wait(5)) for _ in range(3)]
    time.sleep(0.2)
    assert [s.owner for s in pool.started] == ["a"]  # the second worker stays free for someone else
    other = pool.submit("b", lambda: "b")
    assert other.result(5) == "b"
    gate.set()
    for future in first:
        future.result(5)
    pool.close()
    assert [s.owner for s in pool.started] == ["a", "b", "a", "a"]
