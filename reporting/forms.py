from __future__ import annotations

from django import forms

from reporting.services import MAX_COMMENT_LENGTH

SCORE_CHOICES = [
    (5, "5 · Excellent"),
    (4, "4 · Good"),
    (3, "3 · Okay"),
    (2, "2 · Poor"),
    (1, "1 · Very poor"),
]


class CsatAnswerForm(forms.Form):
    score = forms.TypedChoiceField(choices=SCORE_CHOICES, coerce=int, widget=forms.RadioSelect)
    comment = forms.CharField(
        required=False,
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Anything you would like to add? (optional)",
    )
