from django.urls import path

from macros import views

app_name = "macros"

urlpatterns = [
    path("c/<int:conversation_id>/", views.picker, name="picker"),
    path("c/<int:conversation_id>/preview/", views.preview, name="preview"),
    path("c/<int:conversation_id>/run/", views.run, name="run"),
]
