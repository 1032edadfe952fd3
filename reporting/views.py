"""Reporting pages: the public CSAT survey and the supervisors' dashboard."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from omnidesk.errors import ApplicationError
from reporting import selectors, services
from reporting.forms import CsatAnswerForm


@never_cache
def csat_survey(request: HttpRequest, token: str) -> HttpResponse:
    survey = selectors.survey_for_token(token=token)
    if survey is None:
        raise Http404("This survey link is not valid.")
    answered = selectors.survey_answer(survey=survey)
    context = {"subject": survey.conversation.subject, "answered": answered, "error": ""}
    if answered is not None:
        return render(request, "reporting/csat_survey.html", context)
    if request.method == "POST":
        form = CsatAnswerForm(request.POST)
        if form.is_valid():
            try:
                services.record_csat_response_by_token(
                    token=token,
                    score=form.cleaned_data["score"],
                    comment=form.cleaned_data["comment"],
                )
            except ApplicationError as exc:
                context["error"] = exc.message
            else:
                return redirect("csat-survey", token=token)
    else:
        initial = request.GET.get("score", "")
        form = CsatAnswerForm(
            initial={"score": int(initial)} if initial in "12345" and initial else {}
        )
    context["form"] = form
    status = 400 if request.method == "POST" else 200
    return render(request, "reporting/csat_survey.html", context, status=status)
