"""Shared pytest configuration. Area fixtures live in their own modules, listed here as plugins."""

pytest_plugins: list[str] = ["tests.synapse_harness"]
