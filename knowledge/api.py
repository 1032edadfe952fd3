"""The knowledge base over REST: agents read and search, supervisors and admins write."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from knowledge import selectors, services
from knowledge.models import LOCALES, Article, Category
from knowledge.urls_public import article_url


class MayEditOrReadOnly(permissions.BasePermission):
    message = "Only supervisors and admins edit the knowledge base."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return request.method in permissions.SAFE_METHODS or selectors.may_edit(request.user)


class CategoryField(serializers.SlugRelatedField):
    """A category by its slug, in the article's locale (slugs repeat across locales)."""

    def to_internal_value(self, data: object) -> Category:
        parent = self.parent
        given = parent.initial_data if isinstance(parent.initial_data, dict) else {}
        instance = parent.instance if isinstance(parent.instance, Article) else None
        locale = given.get("locale") or (instance.locale if instance else "en")
        category = Category.objects.filter(slug=str(data), locale=str(locale)).first()
        if category is None:
            self.fail("does_not_exist", slug_name="slug", value=str(data))
        return category


class ArticleSerializer(serializers.ModelSerializer):
    category = CategoryField(
        slug_field="slug", queryset=Category.objects.all(), required=False, allow_null=True
    )
    url = serializers.SerializerMethodField()
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "locale",
            "slug",
            "category",
            "title",
            "body_markdown",
            "body_html",
            "status",
            "url",
            "published_at",
            "updated_at",
            "updated_by",
            "view_count",
            "helpful_yes",
            "helpful_no",
        ]
        read_only_fields = [
            "id",
            "body_html",
            "url",
            "published_at",
            "updated_at",
            "updated_by",
            "view_count",
            "helpful_yes",
            "helpful_no",
        ]
        # The slug's uniqueness per locale is the service's to report (it derives a
        # missing slug from the title).
        validators: list = []
        extra_kwargs = {
            "slug": {"required": False, "allow_blank": True},
            "title": {"max_length": 200},
            "body_markdown": {"max_length": 100_000},
        }

    def get_url(self, article: Article) -> str:
        return article_url(article)

    def get_updated_by(self, article: Article) -> str:
        user = article.updated_by
        return (user.get_full_name() or user.get_username()) if user else ""

    def validate(self, data: dict) -> dict:
        category = data.get("category")
        locale = data.get("locale") or (self.instance.locale if self.instance else "en")
        if category is not None and category.locale != locale:
            raise serializers.ValidationError({"category": ["The category is in another locale."]})
        return data


ARTICLE_EXAMPLE = OpenApiExample(
    "A published article",
    value={
        "locale": "en",
        "slug": "return-an-item",
        "category": "returns-refunds",
        "title": "Return an item",
        "body_markdown": "You have 30 days from delivery to return anything unworn.",
        "status": "published",
    },
    request_only=True,
)


class SearchHitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="article_id")
    title = serializers.CharField()
    slug = serializers.CharField()
    locale = serializers.CharField()
    url = serializers.SerializerMethodField()
    score = serializers.FloatField(help_text="Confidence in [0, 1].")
    excerpt = serializers.CharField()

    def get_url(self, hit: selectors.SearchHit) -> str:
        return article_url(hit)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default="", help_text="The question"
    )
    locale = serializers.ChoiceField(choices=[code for code, _ in LOCALES], default="en")
    limit = serializers.IntegerField(min_value=1, max_value=20, default=5)


class ArticleViewSet(viewsets.ModelViewSet):
    serializer_class = ArticleSerializer
    permission_classes = [permissions.IsAuthenticated, MayEditOrReadOnly]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        articles = selectors.articles_for(self.request.user).order_by("locale", "title", "id")
        locale = self.request.query_params.get("locale")
        return articles.filter(locale=locale) if locale else articles

    @extend_schema(
        parameters=[OpenApiParameter("locale", str, description="Only this locale")],
    )
    def list(self, request: Request, *args, **kwargs) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=ArticleSerializer, examples=[ARTICLE_EXAMPLE])
    def create(self, request: Request, *args, **kwargs) -> Response:
        fields = ArticleSerializer(data=request.data)
        fields.is_valid(raise_exception=True)
        article = services.create_article(author=request.user, **fields.validated_data)
        return Response(ArticleSerializer(article).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ArticleSerializer,
        examples=[OpenApiExample("Unpublish", value={"status": "draft"}, request_only=True)],
    )
    def partial_update(self, request: Request, *args, **kwargs) -> Response:
        article = self.get_object()
        fields = ArticleSerializer(instance=article, data=request.data, partial=True)
        fields.is_valid(raise_exception=True)
        article = services.update_article(
            article=article, author=request.user, **fields.validated_data
        )
        return Response(ArticleSerializer(article).data)

    def perform_destroy(self, instance: Article) -> None:
        services.delete_article(article=instance)

    @extend_schema(
        parameters=[SearchQuerySerializer],
        responses=SearchHitSerializer(many=True),
        examples=[
            OpenApiExample(
                "A paraphrased question",
                value=[
                    {
                        "id": 8,
                        "title": "Return an item",
                        "slug": "return-an-item",
                        "locale": "en",
                        "url": f"{settings.OMNIDESK_PUBLIC_URL}/help/en/return-an-item/",
                        "score": 0.71,
                        "excerpt": "You have 30 days from delivery to return anything…",
                    }
                ],
                response_only=True,
            )
        ],
    )
    @action(detail=False, methods=["get"], url_path="search")
    def search(self, request: Request) -> Response:
        """Published articles ranked for a question (hybrid full-text and embeddings),
        each with its confidence score."""
        query = SearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        hits = selectors.search(
            question=query.validated_data["q"] or "",
            locale=query.validated_data["locale"],
            limit=query.validated_data["limit"],
        )
        return Response(SearchHitSerializer(hits, many=True).data)
