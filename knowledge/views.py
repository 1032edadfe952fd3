"""The public help center (anonymous, published articles only), its search for the
widget, and the supervisors' small article editor."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language_from_request
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from conversations.selectors import access_conversation
from knowledge import limits, selectors, services
from knowledge.models import LOCALES, Article, ArticleView, Category
from knowledge.urls_public import article_url
from omnidesk.errors import ApplicationError, NotFoundError, error_body

LOCALE_CODES = [code for code, _ in LOCALES]


def _locale_or_404(locale: str) -> str:
    if locale not in LOCALE_CODES:
        raise Http404("No such help center language.")
    return locale


@require_GET
def help_home(request: HttpRequest) -> HttpResponse:
    preferred = (get_language_from_request(request) or "en")[:2]
    return redirect("help-index", locale=preferred if preferred in LOCALE_CODES else "en")


@require_GET
def help_index(request: HttpRequest, locale: str) -> HttpResponse:
    locale = _locale_or_404(locale)
    categories = selectors.help_categories(locale=locale)
    articles = list(selectors.published_articles(locale=locale))
    by_category: dict[int | None, list[Article]] = {}
    for article in articles:
        by_category.setdefault(article.category_id, []).append(article)
    return render(
        request,
        "help/index.html",
        {
            "locale": locale,
            "locales": selectors.help_locales(),
            "sections": [(c, by_category.get(c.pk, [])) for c in categories],
            "uncategorised": by_category.get(None, []),
        },
    )


@require_GET
def help_category(request: HttpRequest, locale: str, slug: str) -> HttpResponse:
    locale = _locale_or_404(locale)
    category = get_object_or_404(Category, locale=locale, slug=slug)
    return render(
        request,
        "help/category.html",
        {
            "locale": locale,
            "category": category,
            "articles": selectors.published_articles(locale=locale, category=category),
        },
    )


@require_GET
def help_article(request: HttpRequest, locale: str, slug: str) -> HttpResponse:
    locale = _locale_or_404(locale)
    article = get_object_or_404(
        Article.objects.select_related("category"),
        locale=locale,
        slug=slug,
        status=Article.Status.PUBLISHED,
    )
    source = request.GET.get("from", "")
    services.record_view(
        article=article,
        source=source if source in ArticleView.Source.values else ArticleView.Source.HELP_CENTER,
        visitor=limits.visitor(request),
    )
    return render(
        request,
        "help/article.html",
        {
            "locale": locale,
            "article": article,
            "canonical_url": article_url(article),
            "voted": request.GET.get("voted") == "1",
        },
    )


@require_POST
def help_vote(request: HttpRequest, locale: str, slug: str) -> HttpResponse:
    article = get_object_or_404(
        Article, locale=_locale_or_404(locale), slug=slug, status=Article.Status.PUBLISHED
    )
    if not request.session.session_key:
        request.session.save()
    services.vote_helpful(
        article=article,
        helpful=request.POST.get("helpful") == "yes",
        session_key=request.session.session_key or "",
    )
    return redirect(f"{article_url(article)}?voted=1")


def _search_allowed(request: HttpRequest) -> limits.Verdict:
    """One anonymous search counted against the client's window (settings
    OMNIDESK_HELP_SEARCHES_PER_WINDOW per OMNIDESK_HELP_SEARCH_WINDOW_SECONDS)."""
    return limits.allow(
        f"search:{limits.client(request)}",
        limit=settings.OMNIDESK_HELP_SEARCHES_PER_WINDOW,
        window_seconds=settings.OMNIDESK_HELP_SEARCH_WINDOW_SECONDS,
    )


@require_GET
def help_search(request: HttpRequest, locale: str) -> HttpResponse:
    locale = _locale_or_404(locale)
    question = request.GET.get("q", "").strip()[:500]
    if question:
        verdict = _search_allowed(request)
        if not verdict.allowed:
            response = render(
                request,
                "knowledge/help_too_many_searches.html",
                {"locale": locale, "question": question, "retry_after": verdict.retry_after},
                status=429,
            )
            response["Retry-After"] = str(verdict.retry_after)
            return response
    hits = selectors.search(question=question, locale=locale, limit=10) if question else []
    if question and (not hits or hits[0].score < GAP_SCORE):
        services.record_gap(
            query=question,
            locale=locale,
            source=ArticleView.Source.HELP_CENTER,
            best_score=hits[0].score if hits else 0.0,
            client=limits.client(request),
        )
    return render(
        request, "help/search.html", {"locale": locale, "question": question, "hits": hits}
    )


# Below this confidence a search counts as a knowledge gap (the bot uses its endpoint's
# own threshold).
GAP_SCORE = 0.3


@require_GET
def help_search_json(request: HttpRequest) -> JsonResponse:
    """The widget's "Search help": published articles only, so any site may ask."""
    locale = request.GET.get("locale", "en")[:2]
    locale = locale if locale in LOCALE_CODES else "en"
    question = request.GET.get("q", "").strip()[:500]
    if question:
        verdict = _search_allowed(request)
        if not verdict.allowed:
            refused = JsonResponse(
                error_body(
                    "Too many searches. Please wait a moment and try again.",
                    {"code": ["rate_limited"]},
                ),
                status=429,
            )
            refused["Retry-After"] = str(verdict.retry_after)
            refused["Access-Control-Allow-Origin"] = "*"
            # Browsers hide other headers from a cross-origin script unless exposed.
            refused["Access-Control-Expose-Headers"] = "Retry-After"
            return refused
    hits = selectors.search(question=question, locale=locale, limit=5) if question else []
    if question and (not hits or hits[0].score < GAP_SCORE):
        services.record_gap(
            query=question,
            locale=locale,
            source=ArticleView.Source.WIDGET,
            best_score=hits[0].score if hits else 0.0,
            client=limits.client(request),
        )
    response = JsonResponse(
        {
            "results": [
                {
                    "title": hit.title,
                    "url": article_url(hit) + "?from=widget",
                    "excerpt": hit.excerpt,
                    "score": hit.score,
                }
                for hit in hits
            ]
        }
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def help_sitemap(request: HttpRequest) -> HttpResponse:
    articles = Article.objects.filter(status=Article.Status.PUBLISHED).order_by("locale", "slug")
    return render(
        request,
        "help/sitemap.xml",
        {"entries": [(article_url(a), a.updated_at) for a in articles]},
        content_type="application/xml",
    )


# --- The supervisors' editor ------------------------------------------------------------


def _editor(request: HttpRequest) -> None:
    if not selectors.may_edit(request.user):
        raise PermissionDenied("Only supervisors and admins edit the knowledge base.")


@login_required
@require_GET
def editor_list(request: HttpRequest) -> HttpResponse:
    _editor(request)
    return render(
        request,
        "knowledge/editor_list.html",
        {
            "articles": selectors.articles_for(request.user).order_by("locale", "title"),
            "gaps": selectors.knowledge_gaps(limit=10),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def editor_article(request: HttpRequest, article_id: int | None = None) -> HttpResponse:
    _editor(request)
    article = get_object_or_404(Article, pk=article_id) if article_id else None
    error = None
    if request.method == "POST":
        category = Category.objects.filter(pk=request.POST.get("category") or 0).first()
        fields = {
            "title": request.POST.get("title", ""),
            "body_markdown": request.POST.get("body_markdown", ""),
            "locale": request.POST.get("locale", "en"),
            "status": request.POST.get("status", Article.Status.DRAFT),
            "category": category,
            "slug": request.POST.get("slug", ""),
        }
        try:
            if article is None:
                article = services.create_article(author=request.user, **fields)
            else:
                article = services.update_article(article=article, author=request.user, **fields)
            return redirect("knowledge-editor-article", article_id=article.pk)
        except ApplicationError as exc:
            error = exc
    return render(
        request,
        "knowledge/editor_article.html",
        {
            "article": article,
            "error": error,
            "categories": Category.objects.all(),
            "locales": LOCALES,
            "statuses": Article.Status.choices,
            "revisions": article.revisions.select_related("author")[:20] if article else [],
        },
    )


# --- Agent assist -----------------------------------------------------------------------


@login_required
@require_GET
def assist(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Articles for the customer's latest messages, for the conversation's sidebar; one
    click puts an article's link into the reply (static/js/knowledge-assist.js)."""
    try:
        conversation = access_conversation(
            user=request.user, conversation_id=conversation_id, related=("customer",)
        )
    except NotFoundError:
        raise Http404("Conversation not found.")
    question = selectors.latest_customer_words(conversation_id=conversation.pk)
    locale = (conversation.customer.language or "en")[:2]
    hits = (
        selectors.search(
            question=question, locale=locale if locale in LOCALE_CODES else "en", limit=3
        )
        if question
        else []
    )
    return render(
        request,
        "knowledge/_assist.html",
        {"hits": [(hit, article_url(hit)) for hit in hits if hit.score >= GAP_SCORE]},
    )
