"""Alembic revisions of the store's schema (sessions, dossiers, analytics, the check queue)."""
