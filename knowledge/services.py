"""Writes of the knowledge base: articles with their revisions and search passages,
and the facts editors read (views, helpful votes, knowledge gaps)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from knowledge import embeddings, limits, selectors
from knowledge.models import (
    LOCALES,
    Article,
    ArticleFeedback,
    ArticleRevision,
    ArticleView,
    Category,
    KnowledgeGap,
    Passage,
)
from knowledge.text import fts_config, normalise_question, render_markdown, split_passages
from omnidesk.errors import ApplicationError

EDITABLE_FIELDS = ("title", "body_markdown", "status", "category", "slug", "locale")
DEMO_ARTICLES = Path(__file__).parent / "demo_articles.json"


def _validate(fields: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "title" in fields and not str(fields["title"]).strip():
        errors["title"] = ["A title is required."]
    if "locale" in fields and fields["locale"] not in dict(LOCALES):
        errors["locale"] = [f"One of {', '.join(dict(LOCALES))}."]
    if "status" in fields and fields["status"] not in Article.Status.values:
        errors["status"] = [f"One of {', '.join(Article.Status.values)}."]
    if errors:
        raise ApplicationError("The article is not valid.", fields=errors)


def create_article(
    *,
    author: AbstractBaseUser | None,
    title: str,
    body_markdown: str = "",
    locale: str = "en",
    category: Category | None = None,
    slug: str = "",
    status: str = Article.Status.DRAFT,
) -> Article:
    fields = {"title": title, "locale": locale, "status": status}
    _validate(fields)
    slug = slugify(slug or title)[:120] or "article"
    now = timezone.now()
    try:
        with transaction.atomic():
            article = Article.objects.create(
                title=title.strip(),
                body_markdown=body_markdown,
                body_html=render_markdown(body_markdown),
                locale=locale,
                category=category,
                slug=slug,
                status=status,
                published_at=now if status == Article.Status.PUBLISHED else None,
                created_at=now,
                updated_at=now,
                updated_by=author,
            )
            _record_revision(article, author)
            _reindex(article)
    except IntegrityError:
        raise ApplicationError(
            "Another article in this language has that slug.",
            fields={"slug": ["Already used in this locale."]},
        )
    return article


def update_article(*, article: Article, author: AbstractBaseUser | None, **changes: Any) -> Article:
    """Change an article's fields (`EDITABLE_FIELDS`), keep a revision, and re-index its
    passages when it is (or stops being) published."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ApplicationError("Unknown fields.", fields={f: ["Not editable."] for f in unknown})
    _validate(changes)
    try:
        with transaction.atomic():
            article = Article.objects.select_for_update().get(pk=article.pk)
            for name, value in changes.items():
                setattr(article, name, value.strip() if name == "title" else value)
            if "slug" in changes:
                article.slug = slugify(changes["slug"])[:120] or article.slug
            article.body_html = render_markdown(article.body_markdown)
            now = timezone.now()
            if article.is_published and article.published_at is None:
                article.published_at = now
            article.updated_at, article.updated_by = now, author
            article.save()
            _record_revision(article, author)
            _reindex(article)
    except IntegrityError:
        raise ApplicationError(
            "Another article in this language has that slug.",
            fields={"slug": ["Already used in this locale."]},
        )
    return article


def delete_article(*, article: Article) -> None:
    with transaction.atomic():
        article.delete()
        transaction.on_commit(selectors.index_changed)


def _record_revision(article: Article, author: AbstractBaseUser | None) -> None:
    number = article.revisions.order_by("-number").values_list("number", flat=True).first() or 0
    ArticleRevision.objects.create(
        article=article,
        number=number + 1,
        title=article.title,
        body_markdown=article.body_markdown,
        status=article.status,
        author=author,
        created_at=article.updated_at,
    )


def _reindex(article: Article) -> None:
    """Published: cut into passages, embed and store them; a draft has none."""
    Passage.objects.filter(article=article).delete()
    if article.is_published:
        index_articles([article])
    transaction.on_commit(selectors.index_changed)


def index_articles(articles: list[Article]) -> int:
    """Passages for published articles, embedded in one batch per call. Returns how
    many were stored. Precondition: the articles have no passages yet."""
    rows: list[Passage] = []
    for article in articles:
        for position, piece in enumerate(
            split_passages(title=article.title, source=article.body_markdown)
        ):
            rows.append(
                Passage(
                    article=article,
                    locale=article.locale,
                    position=position,
                    heading=piece.heading[:200],
                    text=piece.text,
                )
            )
    if not rows:
        return 0
    titles = {article.pk: article.title for article in articles}
    vectors = embeddings.embedder().embed_passages(
        [f"{titles[row.article_id]}. {row.heading}. {row.text}" for row in rows]
    )
    for row, vector in zip(rows, vectors, strict=True):
        row.embedding = embeddings.to_bytes(vector)
    created = Passage.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        for locale in {row.locale for row in rows}:
            cursor.execute(
                """
                UPDATE knowledge_passage p SET search_vector =
                    setweight(to_tsvector(%(config)s::regconfig, a.title), 'A')
                    || setweight(to_tsvector(%(config)s::regconfig, p.heading), 'B')
                    || setweight(to_tsvector(%(config)s::regconfig, p.text), 'D')
                FROM knowledge_article a
                WHERE a.id = p.article_id AND p.id = ANY(%(ids)s)
                """,
                {
                    "config": fts_config(locale),
                    "ids": [row.pk for row in created if row.locale == locale],
                },
            )
    return len(created)


def record_view(*, article: Article, source: str, visitor: str = "") -> bool:
    """Count a view of the article, at most once a day per `visitor` (an opaque id: a
    fingerprint from `limits.visitor`, or "customer:<id>" for the bot); an empty
    visitor always counts. Returns whether this view was counted."""
    if visitor and not limits.first_today("view", str(article.pk), visitor):
        return False
    ArticleView.objects.create(article=article, source=source)
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)
    return True


def vote_helpful(*, article: Article, helpful: bool, session_key: str = "") -> bool:
    """One vote per visitor session (an anonymous vote without a session always counts).
    Returns False when this visitor had voted already."""
    voter = (
        hashlib.sha256(f"{article.pk}:{session_key}".encode()).hexdigest() if session_key else ""
    )
    try:
        with transaction.atomic():
            ArticleFeedback.objects.create(article=article, helpful=helpful, voter=voter)
            counter = "helpful_yes" if helpful else "helpful_no"
            Article.objects.filter(pk=article.pk).update(**{counter: F(counter) + 1})
    except IntegrityError:
        return False
    return True


def record_gap(
    *,
    query: str,
    locale: str,
    source: str,
    best_score: float,
    conversation_id: int | None = None,
    client: str = "",
) -> KnowledgeGap | None:
    """A question that found no good article, at most once a day per `client` (a client
    address, or "customer:<id>" for the bot) and normalised question, so one visitor
    repeating a search cannot push it up the editors' list. An empty client always
    records. Returns the gap, or None when this one was already recorded today."""
    normalised = normalise_question(query)
    if client and not limits.first_today("gap", locale, normalised, client):
        return None
    return KnowledgeGap.objects.create(
        query=query.strip()[:500],
        locale=locale,
        source=source,
        best_score=best_score,
        conversation_id=conversation_id,
    )


def load_demo_articles(path: Path = DEMO_ARTICLES) -> int:
    """The demo help center (Northwind Outdoor's articles), published. Idempotent:
    articles whose slug exists are left alone. Returns how many were created."""
    data = json.loads(path.read_text())
    categories = {}
    for position, row in enumerate(data["categories"]):
        categories[(row["locale"], row["slug"])], _ = Category.objects.get_or_create(
            locale=row["locale"],
            slug=row["slug"],
            defaults={"name": row["name"], "position": position},
        )
    existing = set(Article.objects.values_list("locale", "slug"))
    now = timezone.now()
    new = []
    with transaction.atomic():
        for row in data["articles"]:
            if (row["locale"], row["slug"]) in existing:
                continue
            new.append(
                Article.objects.create(
                    locale=row["locale"],
                    slug=row["slug"],
                    title=row["title"],
                    category=categories[(row["locale"], row["category"])],
                    body_markdown=row["body"],
                    body_html=render_markdown(row["body"]),
                    status=Article.Status.PUBLISHED,
                    published_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
        for article in new:
            _record_revision(article, None)
        index_articles(new)
        transaction.on_commit(selectors.index_changed)
    return len(new)
