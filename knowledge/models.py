"""Categories, articles with their revisions, the passages search reads, and the facts
editors act on (views, helpful votes, questions that found no good article)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

LOCALES = (
    ("en", "English"),
    ("es", "Español"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("pt", "Português"),
)


class Category(models.Model):
    locale = models.CharField(max_length=8, choices=LOCALES, default="en")
    slug = models.SlugField(max_length=80)
    name = models.CharField(max_length=120)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["locale", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["locale", "slug"], name="knowledge_category_slug")
        ]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return f"{self.name} ({self.locale})"


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    locale = models.CharField(max_length=8, choices=LOCALES, default="en")
    slug = models.SlugField(max_length=120, help_text="Stable: the help center's URL.")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    title = models.CharField(max_length=200)
    body_markdown = models.TextField(blank=True)
    # Rendered and sanitised once, at write time (never per viewer).
    body_html = models.TextField(blank=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    view_count = models.PositiveIntegerField(default=0)
    helpful_yes = models.PositiveIntegerField(default=0)
    helpful_no = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["locale", "title"]
        constraints = [
            models.UniqueConstraint(fields=["locale", "slug"], name="knowledge_article_slug")
        ]
        indexes = [models.Index(fields=["status", "locale"], name="knowledge_article_status")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleRevision(models.Model):
    """What an article said after each save, and who saved it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body_markdown = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Article.Status.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="knowledge_revision_number")
        ]

    def __str__(self) -> str:
        return f"{self.title} #{self.number}"


class Passage(models.Model):
    """A searchable piece of a published article: its full-text vector (in the article's
    language configuration) and its sentence embedding (float32 bytes, unit length).
    pgvector is not assumed: search reads the vectors and takes exact cosine in numpy."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="passages")
    locale = models.CharField(max_length=8)
    position = models.PositiveIntegerField()
    heading = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    search_vector = SearchVectorField(null=True)
    embedding = models.BinaryField()

    class Meta:
        ordering = ["article", "position"]
        indexes = [
            GinIndex(fields=["search_vector"], name="knowledge_passage_fts"),
            models.Index(fields=["locale"], name="knowledge_passage_locale"),
        ]

    def __str__(self) -> str:
        return f"{self.article_id}:{self.position}"


class ArticleFeedback(models.Model):
    """One "Was this helpful?" answer (the article's counters are kept beside it)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    helpful = models.BooleanField()
    voter = models.CharField(max_length=64, blank=True, help_text="Hash of the session.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "voter"],
                condition=~models.Q(voter=""),
                name="knowledge_one_vote_per_voter",
            )
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {self.helpful}"


class ArticleView(models.Model):
    class Source(models.TextChoices):
        HELP_CENTER = "help", "Help center"
        WIDGET = "widget", "Widget search"
        BOT = "bot", "Bot answer"
        ASSIST = "assist", "Agent assist"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="views")
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.article_id} ({self.source})"


class KnowledgeGap(models.Model):
    """A question that found no good article: what editors should write next."""

    query = models.CharField(max_length=500)
    locale = models.CharField(max_length=8)
    source = models.CharField(max_length=16, choices=ArticleView.Source.choices)
    best_score = models.FloatField(default=0)
    conversation_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.query
