"""What customers say to the bot, in the help center's languages. Pure functions."""

from __future__ import annotations

import re

# "I want a person" in English, Spanish, German, French and Portuguese. ("personne" is
# also French for "nobody": "personne ne répond" asking for someone is fine too.)
PERSON_WORDS = {
    "agent", "agents", "human", "person", "someone", "representative", "operator", "staff",
    "agente", "agentes", "humano", "persona", "alguien", "asesor", "operador",
    "mitarbeiter", "mitarbeiterin", "mensch", "menschen", "berater", "beraterin", "jemand",
    "jemanden", "kundenberater", "kundenservice",
    "humain", "conseiller", "conseillère", "quelqu'un", "personne", "opérateur", "opératrice",
    "atendente", "pessoa", "alguém", "humana", "operadora",
}  # fmt: skip
YES_WORDS = {
    "yes", "yep", "yeah", "y", "solved", "thanks", "thank", "perfect", "great", "ok", "okay",
    "sí", "si", "gracias", "perfecto", "vale", "resuelto", "genial",
    "ja", "danke", "genau", "perfekt", "super", "gelöst", "klar",
    "oui", "merci", "parfait", "résolu", "génial", "ouais",
    "sim", "obrigado", "obrigada", "perfeito", "resolvido", "ótimo",
}  # fmt: skip
NO_WORDS = {"no", "nope", "not", "nein", "nee", "non", "não", "nao", "nicht", "nada", "pas"}

_WORD = re.compile(r"[\w']+", re.UNICODE)


def words(text: str) -> list[str]:
    # A typographic apostrophe (U+2019, as phones type it) is the same word as a typed one.
    return _WORD.findall(text.lower().replace("\u2019", "'"))


def asks_for_person(text: str) -> bool:
    return any(word in PERSON_WORDS for word in words(text))


def feedback(text: str) -> bool | None:
    """True for "yes, solved", False for "no", None when the message is something else
    (a new question). Only short messages count as an answer."""
    said = words(text)
    if not said or len(said) > 6:
        return None
    if any(word in NO_WORDS for word in said):
        return False
    if any(word in YES_WORDS for word in said):
        return True
    return None


STRINGS = {
    "en": {
        "answer": "This article should help: {title}\n{excerpt}\n{url}\n\nDid that solve it? (yes / no)",  # noqa: E501
        "rephrase": "I'm not sure I understood. Could you say it in other words? Or type \"agent\" to talk to a person.",  # noqa: E501
        "thanks": "Glad that helped! Write again any time.",
        "handoff": "I'm passing you to a person from our team. They can see our conversation, so you won't need to repeat anything.",  # noqa: E501
    },
    "es": {
        "answer": "Este artículo debería ayudarte: {title}\n{excerpt}\n{url}\n\n¿Se ha resuelto? (sí / no)",  # noqa: E501
        "rephrase": "No estoy seguro de haberte entendido. ¿Puedes decirlo con otras palabras? O escribe \"agente\" para hablar con una persona.",  # noqa: E501
        "thanks": "¡Me alegra haber ayudado!",
        "handoff": "Te paso con una persona de nuestro equipo. Verá esta conversación, así que no tendrás que repetir nada.",  # noqa: E501
    },
    "de": {
        "answer": "Dieser Artikel sollte helfen: {title}\n{excerpt}\n{url}\n\nIst Ihr Anliegen damit gelöst? (ja / nein)",  # noqa: E501
        "rephrase": "Ich bin nicht sicher, ob ich Sie richtig verstanden habe. Können Sie es anders formulieren? Oder schreiben Sie \"Mitarbeiter\", um mit einem Menschen zu sprechen.",  # noqa: E501
        "thanks": "Schön, dass ich helfen konnte! Schreiben Sie uns jederzeit wieder.",
        "handoff": "Ich verbinde Sie mit jemandem aus unserem Team. Er oder sie sieht unser Gespräch, Sie müssen also nichts wiederholen.",  # noqa: E501
    },
    "fr": {
        "answer": "Cet article devrait vous aider : {title}\n{excerpt}\n{url}\n\nCela a-t-il résolu votre problème ? (oui / non)",  # noqa: E501
        "rephrase": "Je ne suis pas sûr d'avoir bien compris. Pourriez-vous le dire autrement ? Ou écrivez « conseiller » pour parler à une personne.",  # noqa: E501
        "thanks": "Ravi d'avoir pu vous aider ! N'hésitez pas à nous écrire à nouveau.",
        "handoff": "Je vous mets en relation avec une personne de notre équipe. Elle voit notre conversation : vous n'aurez rien à répéter.",  # noqa: E501
    },
    "pt": {
        "answer": "Este artigo deve ajudar: {title}\n{excerpt}\n{url}\n\nIsso resolveu? (sim / não)",  # noqa: E501
        "rephrase": "Não tenho certeza se entendi. Pode dizer de outra forma? Ou escreva \"atendente\" para falar com uma pessoa.",  # noqa: E501
        "thanks": "Que bom que ajudou! Escreva quando precisar.",
        "handoff": "Vou passar você para uma pessoa da nossa equipe. Ela vê a nossa conversa, então você não vai precisar repetir nada.",  # noqa: E501
    },
}  # fmt: skip


# The languages the bot can speak.
LANGUAGES = tuple(STRINGS)


def say(locale: str, name: str, **values: str) -> str:
    return STRINGS.get(locale, STRINGS["en"])[name].format(**values)
