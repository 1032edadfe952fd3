from django.urls import path

from knowledge import views

help_urlpatterns = [
    path("", views.help_home, name="help-home"),
    path("sitemap.xml", views.help_sitemap, name="help-sitemap"),
    path("search.json", views.help_search_json, name="help-search-json"),
    path("<str:locale>/", views.help_index, name="help-index"),
    path("<str:locale>/search/", views.help_search, name="help-search"),
    path("<str:locale>/category/<slug:slug>/", views.help_category, name="help-category"),
    path("<str:locale>/<slug:slug>/", views.help_article, name="help-article"),
    path("<str:locale>/<slug:slug>/helpful/", views.help_vote, name="help-vote"),
]

editor_urlpatterns = [
    path("", views.editor_list, name="knowledge-editor"),
    path("new/", views.editor_article, name="knowledge-editor-new"),
    path("<int:article_id>/", views.editor_article, name="knowledge-editor-article"),
    path("assist/<int:conversation_id>/", views.assist, name="knowledge-assist"),
]
