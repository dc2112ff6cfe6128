"""Question answering, kept importable under its first name: the code lives in ``bot.answering``."""

from bot.answering import Answer, Answerer, Citation, answer_question, list_group, warm_up_default

__all__ = ["Answer", "Answerer", "Citation", "answer_question", "list_group", "warm_up_default"]
