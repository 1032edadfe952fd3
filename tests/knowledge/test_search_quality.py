"""Search quality on the labelled paraphrased questions over the demo knowledge base:
hybrid retrieval must beat full-text alone and embeddings alone, and must not fall
below the figures recorded in docs/metrics.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.selectors import search

QUESTIONS = Path(__file__).parents[1] / "fixtures" / "knowledge_questions.json"
# Measured with WordLlama l2_supercat-256 (docs/metrics.md, "Search quality").
RECORDED_HYBRID_RECALL_AT_3 = 0.925
RECORDED_HYBRID_MRR = 0.850


def measure(mode: str) -> tuple[float, float]:
    questions = json.loads(QUESTIONS.read_text())["questions"]
    found_in_3 = 0
    reciprocal_ranks = 0.0
    for question in questions:
        slugs = [
            hit.slug
            for hit in search(
                question=question["q"], locale=question["locale"], limit=10, mode=mode
            )
        ]
        if question["expected"] in slugs[:3]:
            found_in_3 += 1
        if question["expected"] in slugs:
            reciprocal_ranks += 1 / (slugs.index(question["expected"]) + 1)
    return found_in_3 / len(questions), reciprocal_ranks / len(questions)


def test_labelled_set_has_at_least_sixty_paraphrased_questions():
    questions = json.loads(QUESTIONS.read_text())["questions"]
    assert len(questions) >= 60


@pytest.mark.django_db
def test_hybrid_beats_full_text_and_embeddings_alone(demo_kb):
    fts_recall, fts_mrr = measure("fts")
    embedding_recall, embedding_mrr = measure("embedding")
    hybrid_recall, hybrid_mrr = measure("hybrid")
    print(
        f"recall@3/MRR fts {fts_recall:.3f}/{fts_mrr:.3f} "
        f"embedding {embedding_recall:.3f}/{embedding_mrr:.3f} "
        f"hybrid {hybrid_recall:.3f}/{hybrid_mrr:.3f}"
    )
    assert hybrid_recall >= RECORDED_HYBRID_RECALL_AT_3 - 1e-9
    assert hybrid_mrr >= RECORDED_HYBRID_MRR - 1e-3
    assert hybrid_recall > fts_recall and hybrid_recall > embedding_recall
    assert hybrid_mrr > fts_mrr and hybrid_mrr > embedding_mrr
