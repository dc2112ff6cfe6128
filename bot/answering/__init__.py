"""Answers a pharmacist can trust: a first sentence that answers, the quoted passage, related articles.

``answer_question(text)`` reads the message once (``nlu``), then (``routing``): article look-ups print the
article or part (``lookup``); calculations run the calculators over the curated facts (``calculations``); a
question on one formality of a request is answered from ``procedures.yaml`` (``formalities``); other rule
questions search the index and quote the best passage (``retrieval``, ``quoting``), with a confidence derived
from the evidence (``confidence``). When the texts do not cover a question it says so plainly
(``answered: false``), offers the closest articles and a human, and invents nothing. Every tuned number is in
``config/answering.toml``; every sentence in the message catalogue.
"""

from bot.answering.model import Answer, Citation
from bot.answering.quoting import list_group
from bot.answering.routing import Answerer, answer_question, warm_up_default

__all__ = ["Answer", "Answerer", "Citation", "answer_question", "list_group", "warm_up_default"]
