"""Reads of the public CSAT survey page (/csat/<token>/)."""

from __future__ import annotations

from reporting.models import CsatResponse, CsatSurvey


def survey_for_token(*, token: str) -> CsatSurvey | None:
    return CsatSurvey.objects.select_related("conversation").filter(token=token).first()


def survey_answer(*, survey: CsatSurvey) -> CsatResponse | None:
    return CsatResponse.objects.filter(survey=survey).first()
