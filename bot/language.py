"""Which of the bot's languages a customer's message is written in. Pure functions.

Why a detector written here rather than a package: the bot only ever chooses among five
languages (English, Spanish, German, French, Portuguese), on messages of a few words,
offline. General detectors answer a different question: langdetect and langid ship
models for ~55-97 languages (megabytes, a random seed or a numpy model to load in every
web and worker process) and are unreliable on short text precisely because they consider
every language; fastText's lid.176 is 1 MB compressed plus a C++ extension;
lingua-py is accurate but its wheels carry hundreds of megabytes of n-gram data. For
five languages, the words that carry no topic (articles, pronouns, prepositions,
question words, greetings) and a few letters only some of them use (ñ ¿ in Spanish,
ã õ in Portuguese, ß ä ö ü in German, è œ and the elided j' l' d' in French) separate
them well on the short messages customers send, cost microseconds, need no data file
and say honestly when they cannot tell (too few clues, or a tie), so the caller can
fall back to the endpoint's configured language.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that say which language a message is in, not what it is about. A word in two
# lists (Spanish and Portuguese share many) scores for both; the rest decides.
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """i me my mine you your it its the a an is are was were be been am do does did
        don't can't can could would should will what where when why how who which this
        that these those there here and or but not of to in on at for with from by about
        have has had get got want need please hello hi hey thanks thank any some still
        yet just already order ordered package"""
    ),
    "es": _words(
        """yo me mi mis tú tu tus usted el la los las un una unos unas es está están
        estoy soy son fue ha he hay del al de en con por para sin sobre que qué dónde
        donde cuándo cuando cómo como por qué porque pero y o no sí muy más ya todavía
        aún hola gracias quiero quería necesito puedo tengo tiene hace llegó llega mío
        pedido paquete favor este esta eso"""
    ),
    "de": _words(
        """ich mich mir mein meine meinen meiner du dich dir dein sie ihr ihre ihnen wir
        uns es er der die das den dem des ein eine einen einem einer ist sind war bin
        habe hat haben hatte kann können möchte will wollte muss nicht kein keine und
        oder aber auch noch schon wo wie was wann warum wer welche mit von zu zum zur
        auf für bei nach aus über bitte danke hallo guten tag bestellung paket immer
        gibt seit vor"""
    ),
    "fr": _words(
        """je j'ai moi me mon ma mes tu toi ton ta tes vous votre vos il elle on nous
        ils elles le la les un une des du de au aux est sont suis ai as a avez avons
        été être ne pas plus rien jamais et ou mais où comment quand pourquoi quoi qui
        que quel quelle avec pour sans sur dans chez par bonjour bonsoir merci veux
        voudrais peux pouvez dois c'est ce cette ces toujours encore déjà commande
        colis reçu"""
    ),
    "pt": _words(
        """eu me meu minha meus minhas você vocês seu sua o a os as um uma uns umas é
        está estão estou sou são foi tem tenho há do da dos das no na nos nas ao em
        com por para sem sobre que quê onde quando como porque mas e ou não sim muito
        mais já ainda olá oi obrigado obrigada quero queria preciso posso chegou
        encomenda pedido pacote favor isso este esta"""
    ),
}
LANGUAGES = tuple(STOP_WORDS)

# Letters (and marks) only some of the languages write, with what each is worth.
LETTERS: dict[str, dict[str, float]] = {
    "ñ": {"es": 2},
    "¿": {"es": 2},
    "¡": {"es": 2},
    "ã": {"pt": 2},
    "õ": {"pt": 2},
    "ç": {"pt": 1, "fr": 1},
    "ß": {"de": 2},
    "ä": {"de": 2},
    "ö": {"de": 2},
    "ü": {"de": 2},
    "è": {"fr": 2},
    "ù": {"fr": 2},
    "û": {"fr": 2},
    "ë": {"fr": 2},
    "ï": {"fr": 2},
    "î": {"fr": 2},
    "œ": {"fr": 2},
    "ê": {"fr": 1, "pt": 1},
    "â": {"fr": 1, "pt": 1},
    "ô": {"fr": 1, "pt": 1},
    "à": {"fr": 1, "pt": 1},
}
# Letters count once each and at most this much in all: a long word full of accents
# must not outweigh the words around it.
LETTERS_CAP = 3.0
FRENCH_ELISION = re.compile(r"^(?:j|l|d|n|c|m|t|s|qu)'\w")
ENGLISH_CONTRACTION = re.compile(r"\w(?:n't|'m|'re|'ve|'ll|'s|'d)$")

# Fewer clues than this, or a runner-up closer than the margin: "cannot tell".
MIN_SCORE = 2.0
MIN_MARGIN = 1.0
MIN_WORDS = 2

_WORD = re.compile(r"[\w']+", re.UNICODE)


def scores(text: str, languages: Iterable[str] = LANGUAGES) -> dict[str, float]:
    """The evidence for each of `languages` in the text."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'").lower()
    wanted = [code for code in languages if code in STOP_WORDS]
    result = dict.fromkeys(wanted, 0.0)
    for word in _WORD.findall(text):
        for code in wanted:
            if word in STOP_WORDS[code]:
                result[code] += 1
        if "fr" in result and FRENCH_ELISION.match(word):
            result["fr"] += 1
        elif "en" in result and ENGLISH_CONTRACTION.search(word):
            result["en"] += 1
    letters = dict.fromkeys(wanted, 0.0)
    for letter in set(text) & LETTERS.keys():
        for code, weight in LETTERS[letter].items():
            if code in letters:
                letters[code] += weight
    for code in wanted:
        result[code] += min(letters[code], LETTERS_CAP)
    return result


def detect(text: str, languages: Iterable[str] = LANGUAGES) -> str | None:
    """The language of `text` among `languages`, or None when the message is too short
    or the evidence is too thin or too close to call (the caller falls back)."""
    if len(_WORD.findall(text)) < MIN_WORDS:
        return None
    ranked = sorted(scores(text, languages).items(), key=lambda item: item[1], reverse=True)
    if not ranked:
        return None
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if best_score < MIN_SCORE or best_score - runner_up < MIN_MARGIN:
        return None
    return best
