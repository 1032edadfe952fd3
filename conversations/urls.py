from django.urls import path

from conversations import views

app_name = "inbox"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("list/", views.conversation_list, name="list"),
    path("counts/", views.counts, name="counts"),
    path("canned/", views.canned_responses, name="canned"),
    path("bulk/choices/", views.bulk_choices, name="bulk_choices"),
    path("attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("c/<int:conversation_id>/", views.conversation_detail, name="conversation"),
    path("c/<int:conversation_id>/timeline/", views.timeline, name="timeline"),
    path("c/<int:conversation_id>/header/", views.header, name="header"),
    path("c/<int:conversation_id>/sidebar/", views.sidebar, name="sidebar"),
    path("c/<int:conversation_id>/reply/", views.reply, name="reply"),
    path("c/<int:conversation_id>/mentionable/", views.mentionable, name="mentionable"),
    path("c/<int:conversation_id>/assign/", views.assign, name="assign"),
    path("c/<int:conversation_id>/team/", views.assign_team, name="team"),
    path("c/<int:conversation_id>/status/", views.change_status, name="status"),
    path("c/<int:conversation_id>/priority/", views.set_priority, name="priority"),
    path("c/<int:conversation_id>/tags/", views.set_tags, name="tags"),
    path("c/<int:conversation_id>/messages/<int:message_id>/retry/", views.retry, name="retry"),
    path("c/<int:conversation_id>/customer/", views.edit_customer, name="customer"),
    path("c/<int:conversation_id>/identities/", views.add_identity, name="identities"),
    path(
        "c/<int:conversation_id>/identities/<int:identity_id>/verify/",
        views.verify_identity,
        name="verify_identity",
    ),
    path(
        "c/<int:conversation_id>/messages/<int:message_id>/split/",
        views.split_conversation,
        name="split",
    ),
    path(
        "c/<int:conversation_id>/merge-into/",
        views.merge_conversation,
        name="merge_conversation",
    ),
    path("c/<int:conversation_id>/merge/", views.merge_customer, name="merge"),
    path(
        "c/<int:conversation_id>/unmerge/<int:merge_id>/",
        views.unmerge_customer,
        name="unmerge",
    ),
    path("c/<int:conversation_id>/merge/search/", views.merge_search, name="merge_search"),
    path(
        "c/<int:conversation_id>/suggestions/<int:suggestion_id>/accept/",
        views.accept_suggestion,
        name="accept_suggestion",
    ),
    path(
        "c/<int:conversation_id>/suggestions/<int:suggestion_id>/dismiss/",
        views.dismiss_suggestion,
        name="dismiss_suggestion",
    ),
]
