"""Reads of the knowledge base: the help center's pages and the one search every
surface uses (help center, widget, agent assist, the bot, the REST API)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import numpy as np
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, QuerySet

from agents.roles import sees_everything
from conversations.models import Message
from knowledge import embeddings
from knowledge.models import Article, Category, KnowledgeGap, Passage
from knowledge.text import excerpt, fts_config, question_words

SearchMode = Literal["fts", "embedding", "hybrid"]
SEARCH_MODES: tuple[SearchMode, ...] = ("fts", "embedding", "hybrid")
CANDIDATES = 50
# Weighted reciprocal rank fusion: its constant and the full-text ranking's weight (the
# embedding ranking weighs 1), chosen on the labelled questions (docs/metrics.md).
RRF_K = 10
FTS_WEIGHT = 0.5
INDEX_VERSION_KEY = "knowledge:index-version"


def may_edit(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Supervisors and admins write the knowledge base; agents read it."""
    return sees_everything(user)


def articles_for(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Article]:
    """Editors see drafts; everyone else published articles only."""
    articles = Article.objects.select_related("category", "updated_by")
    return articles if may_edit(user) else articles.filter(status=Article.Status.PUBLISHED)


def help_categories(*, locale: str) -> list[Category]:
    return list(
        Category.objects.filter(locale=locale, articles__status=Article.Status.PUBLISHED)
        .annotate(article_count=Count("articles"))
        .order_by("position", "name")
    )


def published_articles(*, locale: str, category: Category | None = None) -> QuerySet[Article]:
    articles = Article.objects.filter(locale=locale, status=Article.Status.PUBLISHED)
    if category is not None:
        articles = articles.filter(category=category)
    return articles.select_related("category").order_by("title")


def help_locales() -> list[str]:
    return list(
        Article.objects.filter(status=Article.Status.PUBLISHED)
        .values_list("locale", flat=True)
        .distinct()
        .order_by("locale")
    )


def knowledge_gaps(
    *, limit: int = 20, since: datetime | None = None, until: datetime | None = None
) -> list[dict]:
    """The questions asked most often that found no good article."""
    gaps = KnowledgeGap.objects.exclude(query="")  # erased: still counted, never listed
    if since is not None:
        gaps = gaps.filter(created_at__gte=since)
    if until is not None:
        gaps = gaps.filter(created_at__lt=until)
    return list(
        gaps.values("query", "locale")
        .annotate(times=Count("id"))
        .order_by("-times", "query")[:limit]
    )


def latest_customer_words(*, conversation_id: int, messages: int = 3) -> str:
    """What the customer said last (their latest few messages), as one search query.
    Precondition: access to the conversation has been checked."""
    texts = list(
        Message.objects.filter(
            conversation_id=conversation_id,
            direction=Message.Direction.INBOUND,
            kind=Message.Kind.CUSTOMER,
        )
        .order_by("-created_at", "-id")
        .values_list("text", flat=True)[:messages]
    )
    return " ".join(reversed(texts))[:500]


# --- Search ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    article_id: int
    title: str
    slug: str
    locale: str
    category_slug: str
    score: float  # the hit's confidence in [0, 1]: what the bot's threshold compares
    excerpt: str
    cosine: float
    text_rank: float


def fts_ranking(*, question: str, locale: str, limit: int = CANDIDATES) -> dict[int, float]:
    """Article id -> best passage's ts_rank_cd (normalised into [0, 1)) for any of the
    question's words, in the locale's language configuration."""
    words = question_words(question)
    if not words:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT p.article_id, max(ts_rank_cd(p.search_vector, q, 32)) AS rank
            FROM knowledge_passage p, to_tsquery(%s::regconfig, %s) q
            WHERE p.locale = %s AND p.search_vector @@ q
            GROUP BY p.article_id
            ORDER BY rank DESC, p.article_id
            LIMIT %s
            """,
            [fts_config(locale), " | ".join(words), locale, limit],
        )
        return {article_id: float(rank) for article_id, rank in cursor.fetchall()}


class _VectorIndex:
    """Every passage vector of a locale as one matrix, kept per process and reloaded
    when any process re-indexes an article (a version in the shared cache). Exact cosine
    over all passages: docs/metrics.md measures where that stops being fast enough."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, tuple[str, np.ndarray, np.ndarray, np.ndarray]] = {}

    def _version(self) -> str:
        version = cache.get(INDEX_VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            cache.add(INDEX_VERSION_KEY, version, timeout=None)
            version = cache.get(INDEX_VERSION_KEY) or version
        return version

    def matrix(self, locale: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        version = self._version()
        loaded = self._loaded.get(locale)
        if loaded is not None and loaded[0] == version:
            return loaded[1], loaded[2], loaded[3]
        with self._lock:
            rows = list(
                Passage.objects.filter(locale=locale)
                .order_by("id")
                .values_list("id", "article_id", "embedding")
            )
            if rows:
                ids = np.array([row[0] for row in rows], dtype=np.int64)
                article_ids = np.array([row[1] for row in rows], dtype=np.int64)
                matrix = np.vstack([embeddings.from_bytes(row[2]) for row in rows])
            else:
                dims = embeddings.embedder().dimensions
                ids = article_ids = np.zeros(0, dtype=np.int64)
                matrix = np.zeros((0, dims), dtype=np.float32)
            self._loaded[locale] = (version, ids, article_ids, matrix)
            return ids, article_ids, matrix


vector_index = _VectorIndex()


def index_changed() -> None:
    """Every process reloads its vectors before the next search."""
    cache.set(INDEX_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def embedding_ranking(
    *, question: str, locale: str, limit: int = CANDIDATES
) -> tuple[dict[int, float], dict[int, int]]:
    """Article id -> best passage's cosine, and the id of that passage."""
    passage_ids, article_ids, matrix = vector_index.matrix(locale)
    if not len(passage_ids):
        return {}, {}
    query = embeddings.embedder().embed_queries([question])[0]
    scores = matrix @ query
    # Only the best few hundred passages need sorting to find the best `limit` articles.
    top = min(len(scores), limit * 8)
    candidates = np.argpartition(-scores, top - 1)[:top] if top < len(scores) else None
    order = (
        candidates[np.argsort(-scores[candidates])]
        if candidates is not None
        else np.argsort(-scores)
    )
    best: dict[int, float] = {}
    best_passage: dict[int, int] = {}
    for index in order:
        article_id = int(article_ids[index])
        if article_id in best:
            continue
        best[article_id] = float(scores[index])
        best_passage[article_id] = int(passage_ids[index])
        if len(best) >= limit:
            break
    return best, best_passage


def _rrf(rankings: list[tuple[float, list[int]]]) -> dict[int, float]:
    fused: dict[int, float] = {}
    for weight, ranking in rankings:
        for position, article_id in enumerate(ranking):
            fused[article_id] = fused.get(article_id, 0.0) + weight / (RRF_K + position + 1)
    return fused


def confidence(*, cosine: float, text_rank: float) -> float:
    """How sure a hit is, in [0, 1]: mostly the meaning match, raised by shared words."""
    return max(0.0, min(1.0, 0.75 * max(cosine, 0.0) + 0.25 * min(1.0, 2 * text_rank)))


def search(
    *, question: str, locale: str = "en", limit: int = 5, mode: SearchMode = "hybrid"
) -> list[SearchHit]:
    """Published articles for a question, best first. `hybrid` fuses the full-text and
    the embedding rankings by reciprocal rank fusion; the others are each alone (kept
    for the quality measurements)."""
    question = question.strip()[:500]
    if not question:
        return []
    text_ranks = fts_ranking(question=question, locale=locale) if mode != "embedding" else {}
    cosines, best_passage = ({}, {})
    if mode != "fts":
        cosines, best_passage = embedding_ranking(question=question, locale=locale)
    if mode == "fts":
        order = sorted(text_ranks, key=lambda a: -text_ranks[a])
    elif mode == "embedding":
        order = sorted(cosines, key=lambda a: -cosines[a])
    else:
        fused = _rrf(
            [
                (FTS_WEIGHT, sorted(text_ranks, key=lambda a: -text_ranks[a])),
                (1.0, sorted(cosines, key=lambda a: -cosines[a])),
            ]
        )
        order = sorted(fused, key=lambda a: (-fused[a], a))
    chosen = order[:limit]
    if not chosen:
        return []
    if mode == "fts":
        # The embedding of the passages found is still what tells confidence.
        cosines, best_passage = _cosines_for(question, locale, chosen)
    articles = Article.objects.select_related("category").in_bulk(chosen)
    passages = Passage.objects.in_bulk([best_passage[a] for a in chosen if a in best_passage])
    hits = []
    for article_id in chosen:
        article = articles.get(article_id)
        if article is None or not article.is_published:
            continue
        passage = passages.get(best_passage.get(article_id, 0))
        cosine, text_rank = cosines.get(article_id, 0.0), text_ranks.get(article_id, 0.0)
        hits.append(
            SearchHit(
                article_id=article.pk,
                title=article.title,
                slug=article.slug,
                locale=article.locale,
                category_slug=article.category.slug if article.category else "",
                score=round(confidence(cosine=cosine, text_rank=text_rank), 4),
                excerpt=excerpt(passage.text if passage else article.body_markdown),
                cosine=round(cosine, 4),
                text_rank=round(text_rank, 4),
            )
        )
    return hits


def _cosines_for(
    question: str, locale: str, article_ids: list[int]
) -> tuple[dict[int, float], dict[int, int]]:
    passage_ids, passage_articles, matrix = vector_index.matrix(locale)
    if not len(passage_ids):
        return {}, {}
    query = embeddings.embedder().embed_queries([question])[0]
    wanted = np.isin(passage_articles, article_ids)
    best: dict[int, float] = {}
    best_passage: dict[int, int] = {}
    for index in np.flatnonzero(wanted):
        score = float(matrix[index] @ query)
        article_id = int(passage_articles[index])
        if score > best.get(article_id, -2.0):
            best[article_id], best_passage[article_id] = score, int(passage_ids[index])
    return best, best_passage
