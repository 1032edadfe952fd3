from django.urls import path

from routing import views

app_name = "routing"

urlpatterns = [
    path("", views.queues, name="queues"),
    path("fragment/", views.queues_fragment, name="queues-fragment"),
]
