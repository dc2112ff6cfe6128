"""Shared pytest configuration. Area fixtures live in their own modules, listed here as plugins."""

import os

# The suite shares a loaded machine: reading a scan may take longer than the shipped 15 s a file, and the
# tests of reading must not fail for it. Tests of the time budget set their own (a few seconds).
os.environ.setdefault("VETPHARMA_LIMITS_FILE_SECONDS", "120")

pytest_plugins: list[str] = ["tests.synapse_harness", "tests.postgres_fixture"]
