"""Faults of the service: logged without the user's text, told to the user for what they are."""

from __future__ import annotations

import logging
import traceback


def log_failure(logger: logging.Logger, what: str, *args: object) -> None:
    """Log the exception being handled at ERROR with its frames and type, never its message.

    Exception messages quote their input ("invalid literal for int(): '²'", a SQL statement's parameters);
    the input is a user's text, which application logs must not keep.
    """
    import sys

    exc = sys.exc_info()[1]
    if exc is None:
        logger.error(what, *args)
        return
    frames = "".join(traceback.format_tb(exc.__traceback__))
    chain: list[str] = []
    cause = exc.__cause__ or exc.__context__
    while cause is not None and len(chain) < 5:
        chain.append(type(cause).__qualname__)
        cause = cause.__cause__ or cause.__context__
    caused = f" (after {', '.join(chain)})" if chain else ""
    logger.error(what + ": %s%s\n%s", *args, type(exc).__qualname__, caused, frames.rstrip())
