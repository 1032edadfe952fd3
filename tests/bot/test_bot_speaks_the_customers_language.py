"""The bot answers in the language the customer writes in (among those it has phrases
and published articles for), searches articles in that language first, and falls back
to the endpoint's configured language when a message is too short to tell."""

from __future__ import annotations

import pytest

from bot import phrases
from bot.language import detect
from bot.models import BotSession

MESSAGES = {
    "en": [
        "Where is my package? I ordered it last week.",
        "I forgot my password and can't log in",
        "how do I send something back",
    ],
    "es": [
        "¿Dónde está mi pedido? Lo compré hace una semana.",
        "Quiero devolver unas botas que no me quedan bien",
        "hola, mi paquete no ha llegado todavía",
    ],
    "de": [
        "Wo ist mein Paket? Ich habe vor einer Woche bestellt.",
        "Ich möchte meine Schuhe zurückschicken",
        "Hallo, wann kommt meine Bestellung an?",
    ],
    "fr": [
        "Où est ma commande ? Je l'ai passée il y a une semaine.",
        "Je voudrais retourner des chaussures trop petites",
        "Bonjour, mon colis n\u2019est toujours pas arrivé",  # typed on a phone,
    ],
    "pt": [
        "Onde está o meu pedido? Comprei há uma semana.",
        "Quero devolver umas botas que não servem",
        "Olá, a minha encomenda ainda não chegou",
    ],
}


@pytest.mark.parametrize(
    ("language", "text"), [(code, text) for code, texts in MESSAGES.items() for text in texts]
)
def test_detects_real_customer_messages(language, text):
    assert detect(text) == language


@pytest.mark.parametrize("text", ["ok", "no", "sim", "merci", "pedido 12345", "ok thanks", ""])
def test_too_short_to_tell(text):
    assert detect(text) is None


def test_only_languages_the_bot_can_use_are_candidates():
    assert detect("Wo ist mein Paket? Ich habe vor einer Woche bestellt.", ["en", "es"]) is None


def test_every_language_has_every_phrase():
    assert set(phrases.LANGUAGES) == {"en", "es", "de", "fr", "pt"}
    for code in phrases.LANGUAGES:
        assert phrases.STRINGS[code].keys() == phrases.STRINGS["en"].keys()
        answer = phrases.say(code, "answer", title="T", excerpt="E", url="U")
        assert "T\nE\nU" in answer
        if code != "en":
            for name in phrases.STRINGS["en"]:
                assert phrases.say(code, name, title="", excerpt="", url="") != phrases.say(
                    "en", name, title="", excerpt="", url=""
                )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "article_path", "asked"),
    [
        (
            "Wie kann ich meine Bestellung verfolgen? Wo ist mein Paket gerade?",
            "/help/de/bestellung-verfolgen/",
            "Ist Ihr Anliegen damit gelöst?",
        ),
        (
            "Bonjour, je voudrais suivre ma commande, où est mon colis ?",
            "/help/fr/suivre-commande/",
            "Cela a-t-il résolu votre problème ?",
        ),
        (
            "Olá, quero devolver um artigo que comprei, como faço a devolução?",
            "/help/pt/devolver-artigo/",
            "Isso resolveu?",
        ),
        (
            "Hola, ¿dónde está mi pedido? Quiero seguir el paquete.",
            "/help/es/rastrear-pedido/",
            "¿Se ha resuelto?",
        ),
    ],
)
def test_answers_in_the_customers_language_with_an_article_in_it(
    customer, text, article_path, asked
):
    customer.says(text)  # the endpoint is configured for English

    [answer] = customer.bot_messages()
    assert article_path in answer
    assert asked in answer


@pytest.mark.django_db
def test_english_on_a_spanish_endpoint_is_answered_in_english(customer, bot_endpoint):
    bot_endpoint.config = {"bot": {"enabled": True, "locale": "es"}}
    bot_endpoint.save()

    customer.says("I forgot my password and can't log in, how do I reset it?")

    [answer] = customer.bot_messages()
    assert "/help/en/reset-password/" in answer
    assert "Did that solve it?" in answer


@pytest.mark.django_db
def test_a_short_reply_keeps_the_conversations_language(customer):
    customer.says("Bonjour, je voudrais suivre ma commande, où est mon colis ?")
    customer.says("oui merci")

    assert BotSession.objects.get().state == BotSession.State.RESOLVED
    assert customer.bot_messages()[-1].startswith("Ravi d'avoir pu vous aider")


@pytest.mark.django_db
def test_a_message_too_short_to_tell_uses_the_configured_language(customer, bot_endpoint):
    bot_endpoint.config = {"bot": {"enabled": True, "locale": "pt"}}
    bot_endpoint.save()

    customer.says("zzqx")

    assert customer.bot_messages() == [phrases.say("pt", "rephrase")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "text",
    [
        "I want to talk to a human",
        "quiero hablar con una persona",
        "Ich möchte mit einem Menschen sprechen",
        "je veux parler à un humain",
        "quero falar com um atendente",
    ],
)
def test_asking_for_a_person_in_any_language_hands_off_in_that_language(customer, text):
    customer.says(text)

    assert BotSession.objects.get().state == BotSession.State.HANDED_OFF
    language = detect(text) or "en"
    assert customer.bot_messages() == [phrases.say(language, "handoff")]
