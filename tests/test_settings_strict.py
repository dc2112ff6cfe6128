"""Settings refuse unknown keys and bad values, naming the key and where it was set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.settings import HelpdeskSettings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("VETPHARMA_") and name != "VETPHARMA_LIMITS_FILE_SECONDS":
            monkeypatch.delenv(name)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)


def _private(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local.toml"
    path.write_text(text)
    return path


def test_an_unknown_key_in_the_private_file_names_the_key_and_the_file(tmp_path: Path) -> None:
    path = _private(tmp_path, "retention_day = 7\n")
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert "'retention_day'" in str(caught.value)
    assert str(path) in str(caught.value)
    assert "unknown" in str(caught.value)


def test_an_unknown_key_in_a_section_names_the_section_and_the_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"'helpdesk\.feedbak'"):
        load_settings(_private(tmp_path, "[helpdesk]\nfeedbak = false\n"))


def test_an_unknown_section_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"'telegramm'"):
        load_settings(_private(tmp_path, '[telegramm]\ntoken = "1:x"\n'))


def test_a_bad_value_in_the_file_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"'retention_days'.*'a month'"):
        load_settings(_private(tmp_path, 'retention_days = "a month"\n'))


def test_a_misspelt_boolean_in_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VETPHARMA_HELPDESK_FEEDBACK", "ture")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "VETPHARMA_HELPDESK_FEEDBACK" in str(caught.value)
    assert "'helpdesk.feedback'" in str(caught.value)
    assert "'ture'" in str(caught.value)


def test_a_bad_number_in_the_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VETPHARMA_TELEGRAM_WEBHOOK_PORT", "eighty")
    with pytest.raises(SettingsError, match="VETPHARMA_TELEGRAM_WEBHOOK_PORT"):
        load_settings()


def test_an_unknown_key_of_a_section_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VETPHARMA_MATRIX_PASSWROD", "s3cret")
    with pytest.raises(SettingsError, match=r"'matrix\.passwrod'"):
        load_settings()


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    broken = _private(tmp_path, "retention_days = \n")
    with pytest.raises(SettingsError) as caught:
        load_settings(broken)
    assert str(broken) in str(caught.value)


def test_section_keys_come_from_nested_environment_variables(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _private(tmp_path, "[helpdesk]\nrate_limit_per_minute = 7\nfeedback = true\n")
    monkeypatch.setenv("VETPHARMA_HELPDESK_FEEDBACK", "off")
    monkeypatch.setenv("VETPHARMA_QUEUE_OUTBOX_POLL_SECONDS", "2.5")
    monkeypatch.setenv("VETPHARMA_MATRIX_ALLOWED_INVITERS", "@a:gouv.mc, :example.org")
    monkeypatch.setenv("VETPHARMA_STAFF", "telegram:1")
    monkeypatch.setenv("VETPHARMA_STAFF_ROOMS", "matrix:!room:gouv.mc,telegram:-100")
    settings = load_settings(path)
    assert settings.helpdesk.feedback is False  # the variable wins over the file
    assert settings.helpdesk.rate_limit_per_minute == 7  # the file's other keys stay
    assert settings.helpdesk.timezone == "Europe/Monaco"  # and the shipped ones
    assert settings.queue.outbox_poll_seconds == 2.5
    assert settings.matrix.allowed_inviters == ("@a:gouv.mc", ":example.org")
    assert settings.staff == ("telegram:1",)
    assert settings.staff_rooms == ("matrix:!room:gouv.mc", "telegram:-100")


def test_a_whole_section_can_come_from_one_json_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VETPHARMA_LIMITS", '{"check_workers": 3}')
    monkeypatch.setenv("VETPHARMA_LIMITS_PAGES_PER_MINUTE", "40")
    limits = load_settings().limits
    assert (limits.check_workers, limits.pages_per_minute, limits.stored_mb_per_user) == (3, 40, 60)


def test_values_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValidationError):
        HelpdeskSettings(feedback="ture")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        HelpdeskSettings(feedbak=True)  # type: ignore[call-arg]


def test_start_up_stops_with_the_key_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VETPHARMA_CONFIG", str(_private(tmp_path, "retention_day = 7\n")))
    assert main(["chat"]) == 2
    assert "'retention_day'" in capsys.readouterr().err
