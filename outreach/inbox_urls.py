"""The inbox's outreach pieces, under /inbox/outreach/."""

from django.urls import path

from outreach import views

app_name = "outreach"

urlpatterns = [
    path("c/<int:conversation_id>/scheduled/", views.scheduled_replies, name="scheduled"),
    path("c/<int:conversation_id>/schedule/", views.schedule_reply, name="schedule"),
    path(
        "c/<int:conversation_id>/scheduled/<int:reply_id>/cancel/",
        views.cancel_scheduled_reply,
        name="cancel_scheduled",
    ),
    path("c/<int:conversation_id>/notify/", views.notify_form, name="notify_form"),
    path("c/<int:conversation_id>/notify/send/", views.notify_customer, name="notify"),
]
