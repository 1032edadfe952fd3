from django.urls import path

from conversations import views

app_name = "inbox"

urlpatterns = [path("", views.inbox, name="inbox")]
