"""What customers say to the bot, in the help center's languages. Pure functions."""

from __future__ import annotations

import re

# "I want a person" in English, Spanish, German, French and Portuguese.
PERSON_WORDS = {
    "agent", "agents", "human", "person", "someone", "representative", "operator", "staff",
    "agente", "humano", "persona", "alguien", "asesor", "operador",
    "mitarbeiter", "mensch", "menschen", "berater", "jemand",
    "humain", "conseiller", "quelqu'un", "personne", "opérateur",
    "atendente", "pessoa", "alguém",
}  # fmt: skip
YES_WORDS = {
    "yes", "yep", "yeah", "y", "solved", "thanks", "thank", "perfect", "great", "ok", "okay",
    "sí", "si", "gracias", "ja", "danke", "oui", "merci", "sim", "obrigado", "obrigada",
}  # fmt: skip
NO_WORDS = {"no", "nope", "not", "nein", "non", "não", "nao", "nicht", "nada", "pas"}

_WORD = re.compile(r"[\w']+", re.UNICODE)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


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
}  # fmt: skip


def say(locale: str, name: str, **values: str) -> str:
    return STRINGS.get(locale, STRINGS["en"])[name].format(**values)
