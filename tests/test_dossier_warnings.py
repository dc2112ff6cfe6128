"""Warnings that depend on the answers follow them: recomputed from the stored document features (issue #12)."""

from __future__ import annotations

from pathlib import Path

from tests.transcript import DIPLOMA_LINES, Chat, make_core, text_pdf


def test_a_corrected_first_name_clears_the_stale_diploma_warning(tmp_path: Path) -> None:
    chat = Chat(make_core(tmp_path))
    chat.send("/dossier opening")
    chat.send("Dupont")
    chat.send("Claire")  # a slip: the diploma says Marie
    chat.upload("diplome-dupont.pdf", text_pdf(*DIPLOMA_LINES))
    assert "Le nom « Claire » du responsable n'apparaît pas sur le diplôme" in chat.text
    # Corrected by going back: the diploma file is long gone, its stored features are checked again.
    chat.send("retour")
    chat.send("Marie")
    chat.send("/status")
    assert "Copie certifiée conforme du diplôme — art. 6 a) — reçue et vérifiée" in chat.text
    assert "n'apparaît pas sur le diplôme" not in chat.text
    # A name that is not on it brings the warning back, with that name.
    chat.send("/status")
    chat.send("retour")
    chat.send("Sophie")
    chat.send("/check")
    assert "Le nom « Sophie » du responsable n'apparaît pas sur le diplôme" in chat.text
    assert "Claire" not in chat.text
    # The features are personal data: /forget deletes them with the reports.
    chat.send("/forget yes")
    assert not chat.core.store.dossiers(chat.key)


def test_each_companys_minutes_uploaded_separately_are_merged_for_the_piece(tmp_path: Path) -> None:
    import random

    from tests.pdfgen import content, render

    rng = random.Random(8)
    seller, buyer = content.board_minutes(rng, "dev"), content.board_minutes(rng, "dev")
    chat = Chat(make_core(tmp_path))
    chat.send("/dossier transfer")
    chat.upload("pv-cedant.pdf", render.to_pdf(seller, random.Random(1)))
    chat.send("/check")
    assert "Procès-verbaux approuvant le transfert" in chat.text
    assert "organe" in chat.text  # one company's minutes only, so far
    chat.upload("pv-cessionnaire.pdf", render.to_pdf(buyer, random.Random(2)))
    chat.send("/check")
    line = next(x for x in chat.text.splitlines() if "Procès-verbaux approuvant le transfert" in x)
    assert "reçue et vérifiée" in line
    after = chat.text.split(line, 1)[1].splitlines()
    assert not (after and after[0].lstrip().startswith("⚠")), chat.text  # the one-company warning is gone
