"""The ``postgres`` fixture: a real PostgreSQL server for one test module (skipped where none can be started)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import postgres_server


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """Start a PostgreSQL server for the module and give its admin URL (each test takes a fresh database)."""
    reason = postgres_server.available()
    if reason:
        pytest.skip(reason)
    with postgres_server.postgres_server() as admin_url:
        yield admin_url
