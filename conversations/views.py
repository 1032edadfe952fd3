from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from conversations import selectors


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    conversations = (
        selectors.visible_conversations(user=request.user)
        .select_related("customer", "assignee")
        .order_by("-last_message_at", "-id")[:50]
    )
    return render(request, "conversations/inbox.html", {"conversations": conversations})
