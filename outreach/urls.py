"""Public outreach pages: the unsubscribe link an email carries."""

from django.urls import path

from outreach import views

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="outreach-unsubscribe"),
]
