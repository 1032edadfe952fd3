from django.contrib import admin
from django.http import HttpRequest

from knowledge import services
from knowledge.models import Article, ArticleRevision, Category, KnowledgeGap


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "locale", "slug", "position"]
    list_filter = ["locale"]
    prepopulated_fields = {"slug": ["name"]}


class RevisionInline(admin.TabularInline):
    model = ArticleRevision
    extra = 0
    can_delete = False
    fields = ["number", "title", "status", "author", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["title", "locale", "status", "category", "view_count", "helpful_yes"]
    list_filter = ["locale", "status", "category"]
    search_fields = ["title", "body_markdown"]
    fields = ["title", "slug", "locale", "category", "status", "body_markdown"]
    inlines = [RevisionInline]

    def save_model(self, request: HttpRequest, obj: Article, form, change: bool) -> None:
        # Through the services, so a save renders, keeps a revision and re-indexes.
        values = {name: form.cleaned_data[name] for name in services.EDITABLE_FIELDS}
        if change:
            article = services.update_article(
                article=Article.objects.get(pk=obj.pk), author=request.user, **values
            )
        else:
            article = services.create_article(author=request.user, **values)
        obj.pk = article.pk
        obj.refresh_from_db()


@admin.register(KnowledgeGap)
class KnowledgeGapAdmin(admin.ModelAdmin):
    list_display = ["query", "locale", "source", "best_score", "created_at"]
    list_filter = ["source", "locale"]
