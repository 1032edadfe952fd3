"""The composer's macro picker: list, preview and run, as HTMX fragments. Thin: access
checks, one service, render."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from conversations import selectors as conversation_selectors
from conversations.variables import VARIABLES
from macros import selectors, services
from omnidesk.errors import ApplicationError, NotFoundError


def picker_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Login required; what the agent may not see is a 404; a refusal is shown inline."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(exc.message)
        except ApplicationError as exc:
            return render(request, "macros/_error.html", {"error": exc}, status=422)

    return wrapped


@require_GET
@picker_view
def picker(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id, related=()
    )
    return render(
        request,
        "macros/_picker.html",
        {
            "conversation": conversation,
            "macros": selectors.macros_for(user=request.user),
            "variables": VARIABLES,
        },
    )


@require_GET
@picker_view
def preview(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id
    )
    if not request.GET.get("macro"):
        return HttpResponse("")
    macro = selectors.access_macro(user=request.user, macro_id=request.GET["macro"])
    steps = services.preview_macro(macro=macro, conversation=conversation, actor=request.user)
    return render(request, "macros/_preview.html", {"macro": macro, "steps": steps})


@require_POST
@picker_view
def run(request: HttpRequest, conversation_id: int) -> HttpResponse:
    conversation = conversation_selectors.access_conversation(
        user=request.user, conversation_id=conversation_id
    )
    macro = selectors.access_macro(user=request.user, macro_id=request.POST.get("macro", ""))
    services.run_macro(macro=macro, conversation=conversation, actor=request.user)
    response = render(request, "macros/_ran.html", {"macro": macro})
    # macros.js reloads the conversation pane: the reply, note and changes show at once.
    response.headers["HX-Trigger"] = json.dumps(
        {"omnidesk:macro-ran": {"conversation": conversation.pk}}
    )
    return response
