"""The private settings file overlays the shipped ``config/vetpharma.toml`` key by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import CONFIG_DIR, load_settings, overlay


def test_a_private_file_of_secrets_keeps_the_shipped_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in (
        "VETPHARMA_HELPDESK_RATE_LIMIT_PER_MINUTE",
        "VETPHARMA_MATRIX_PASSWORD",
        "VETPHARMA_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    shipped = load_settings(CONFIG_DIR / "vetpharma.toml")
    private = tmp_path / "local.toml"
    private.write_text('[matrix]\npassword = "s3cret"\n\n[helpdesk]\noffice_hours = "08:00-12:00"\n')
    monkeypatch.setenv("VETPHARMA_CONFIG", str(private))
    settings = load_settings()
    assert settings.matrix.password == "s3cret"
    assert settings.helpdesk.office_hours == "08:00-12:00"
    # Keys the private file does not name keep the shipped values, in the same table and elsewhere.
    assert shipped.helpdesk.rate_limit_per_minute == 20
    assert settings.helpdesk.rate_limit_per_minute == 20
    assert settings.helpdesk.timezone == shipped.helpdesk.timezone
    assert settings.data_dir == shipped.data_dir
    # --config names the same kind of private file.
    assert load_settings(private).matrix.password == "s3cret"


def test_overlay_merges_tables_recursively() -> None:
    base = {"a": 1, "t": {"x": 1, "y": 2, "u": {"k": 1}}, "l": [1, 2]}
    top = {"t": {"y": 3, "u": {"j": 2}}, "l": [3]}
    assert overlay(base, top) == {"a": 1, "t": {"x": 1, "y": 3, "u": {"k": 1, "j": 2}}, "l": [3]}
