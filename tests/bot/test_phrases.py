"""What customers say to the bot: asking for a person, and yes or no, in five languages."""

from __future__ import annotations

import pytest

from bot.phrases import asks_for_person, feedback


@pytest.mark.parametrize(
    "text",
    [
        "Can I talk to an agent?",
        "human please",
        "quiero hablar con una persona",
        "Ich brauche einen Mitarbeiter",
        "je veux un conseiller",
        "quero falar com um atendente",
    ],
)
def test_asking_for_a_person(text):
    assert asks_for_person(text)


def test_questions_are_not_requests_for_a_person():
    assert not asks_for_person("how do I return my boots")


@pytest.mark.parametrize(
    ("text", "answer"),
    [("yes", True), ("Sí, gracias", True), ("ja danke", True), ("no", False), ("não", False)],
)
def test_feedback(text, answer):
    assert feedback(text) is answer


def test_a_new_question_is_not_feedback():
    assert feedback("and how long does shipping to Canada take then?") is None
