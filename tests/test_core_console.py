"""``vetpharma chat`` scripted through stdin, ``vetpharma run`` without transports, the message catalogues."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.i18n import CatalogueError, load_catalogue
from bot.run_command import uses_terminal
from bot.settings import MatrixSettings, Settings, TelegramSettings
from dossier_checker.spec import load_specs
from tests.transcript import DIPLOMA_LINES, pdf_text, text_pdf

ROOT = Path(__file__).resolve().parents[1]
OPENING_SCRIPT = """\
/start
/dossier ouverture
Dupont
Marie
Madame
monégasque
12 boulevard des Moulins, 98000 Monaco
1
2
Dupont
Marie
5 rue de l'Industrie, 98000 Fontvieille
aucune
4, 5
/upload {diploma}
/upload {missing}
valider
1
/quit
ignored after quit
"""


def _vetpharma(args: list[str], stdin: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("VETPHARMA_") and k not in {"TELEGRAM_BOT_TOKEN"}
    }
    env["VETPHARMA_DATA_DIR"] = str(tmp_path / "var")
    env["VETPHARMA_CONFIG"] = str(tmp_path / "none.toml")
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def test_chat_reads_stdin_lines_when_not_a_tty(tmp_path: Path) -> None:
    diploma = tmp_path / "diplome.pdf"
    diploma.write_bytes(text_pdf(*DIPLOMA_LINES))
    script = OPENING_SCRIPT.format(diploma=diploma, missing=tmp_path / "absent.pdf")
    result = _vetpharma(["chat", "--user", "marie", "--output-dir", str(tmp_path / "out")], script, tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "> /dossier ouverture" in out  # the script is echoed, so the output reads as a transcript
    assert "  [1] Ouverture (art. 5-6)" in out
    assert "Étape 1/" in out and "Relecture du dossier n° 1" in out
    assert "✅ trouvé : Copie certifiée conforme du diplôme" in out
    assert "Je n'ai pas pu recevoir votre fichier" in out and "absent.pdf" in out
    assert "Le dossier n° 1 est complet" in out
    assert "ignored after quit" not in out
    letter = tmp_path / "out" / "demande-ouverture-1.pdf"
    assert f"📎 {letter}" in out
    text = pdf_text(letter.read_bytes())
    assert "Marie DUPONT" in text and "4° Dépositaire" in text and "Exemplaire n° 2 sur 2" in text


def test_chat_resumes_across_runs(tmp_path: Path) -> None:
    first = _vetpharma(["chat", "--user", "paul"], "/dossier modification\nMartin\n", tmp_path)
    assert "Étape 2/" in first.stdout
    second = _vetpharma(["chat", "--user", "paul"], "/dossier\n", tmp_path)
    assert "Reprenons votre dossier n° 1" in second.stdout and "Étape 2/" in second.stdout


def test_run_without_transports_starts_the_terminal_chat(tmp_path: Path) -> None:
    result = _vetpharma(["run"], "/help\n", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Commandes (avec / ou !)" in result.stdout


def test_run_chooses_the_terminal_only_without_transports() -> None:
    assert uses_terminal(Settings())
    assert not uses_terminal(Settings(telegram=TelegramSettings(token="123:abc")))
    matrix = MatrixSettings(homeserver="http://127.0.0.1:8008", user_id="@bot:localhost", password="x")
    assert not uses_terminal(Settings(matrix=matrix))


def test_catalogues_have_the_same_messages_and_placeholders() -> None:
    catalogue = load_catalogue()
    assert set(catalogue.messages["fr"]) == set(catalogue.messages["en"])
    assert catalogue.text("en", "step", number=4, total=11) == "Step 4/11"
    assert catalogue.text("fr", "step", number=4, total=11) == "Étape 4/11"


def test_every_field_has_a_review_label() -> None:
    catalogue = load_catalogue()
    for spec in load_specs().values():
        for field in spec.fields:
            assert catalogue.has(f"label_{field.id}"), f"label_{field.id}"


def test_catalogue_errors_name_the_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "fr.yaml").write_text('hello: "Bonjour {name}"\nbye: "Au revoir"\n', encoding="utf-8")
    (tmp_path / "en.yaml").write_text('hello: "Hello {nom}"\nbye: "Bye"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"en\.yaml: key 'hello': placeholders"):
        load_catalogue(tmp_path)
    (tmp_path / "en.yaml").write_text('hello: "Hello {name}"\n', encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"en\.yaml: key 'bye' is missing"):
        load_catalogue(tmp_path)
    (tmp_path / "en.yaml").write_text("- not a mapping\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"en\.yaml: expected a mapping"):
        load_catalogue(tmp_path)
