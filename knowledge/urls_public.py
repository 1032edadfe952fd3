"""The help center's public addresses, built in one place (the API, the bot, the
sitemap and the pages all link to the same canonical URL)."""

from __future__ import annotations

from typing import Protocol

from django.conf import settings
from django.urls import reverse


class _Linkable(Protocol):
    locale: str
    slug: str


def article_path(article: _Linkable) -> str:
    return reverse("help-article", kwargs={"locale": article.locale, "slug": article.slug})


def article_url(article: _Linkable) -> str:
    return f"{settings.OMNIDESK_PUBLIC_URL}{article_path(article)}"
