from django.urls import path

from bot import views

urlpatterns = [
    path("outcomes/", views.outcomes_fragment, name="bot-outcomes"),
]
