"""The embedding model loads from files inside its wheel: no network at all."""

from __future__ import annotations

import socket

import numpy as np

from knowledge.embeddings import WordLlamaEmbedder


def test_model_loads_and_embeds_with_the_network_cut(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    model = WordLlamaEmbedder()
    vectors = model.embed_passages(["Reset your password", "I forgot my login", "Tent care"])
    assert vectors.shape == (3, 256)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Paraphrases sit closer than unrelated text.
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
