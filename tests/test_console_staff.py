"""Terminal staff answers (issue #12 §6): a /reply from one terminal reaches the user's terminal session."""

from __future__ import annotations

from pathlib import Path

from tests.test_core_console import _vetpharma


def test_a_staff_reply_from_a_terminal_reaches_the_users_terminal(tmp_path: Path) -> None:
    (tmp_path / "none.toml").write_text('staff = ["console:agent"]\n', encoding="utf-8")
    # The user, on their terminal, asks for a person.
    user = _vetpharma(["chat", "--user", "Marie Dupont"], "/human J'ai une question sur mon bail\n", tmp_path)
    assert user.returncode == 0, user.stderr
    assert "#1" in user.stdout
    # The staff member, on another terminal, reads the ticket (with the user's name) and answers it.
    staff = _vetpharma(
        ["chat", "--user", "agent"], "/ticket 1\n/reply 1 Bonjour, le bail suffit.\n", tmp_path
    )
    assert staff.returncode == 0, staff.stderr
    assert "Marie Dupont" in staff.stdout and "(nom inconnu)" not in staff.stdout
    assert "s'affichera dans son terminal à son prochain message" in staff.stdout
    assert "réponse transmise à l'usager (console)" in staff.stdout
    assert "Réponse du personnel du ministère" not in staff.stdout  # the user's message is not printed here
    # The user's next line shows the answer first, once.
    again = _vetpharma(["chat", "--user", "Marie Dupont"], "merci\nmerci\n", tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("Bonjour, le bail suffit.") == 1, again.stdout
    assert again.stdout.index("Bonjour, le bail suffit.") < again.stdout.index("> merci", 10)
