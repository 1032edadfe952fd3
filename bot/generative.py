"""The optional written answer: when OMNIDESK_LLM_URL names an OpenAI-compatible server,
the bot asks it to answer from the retrieved passages only, citing them by number."""

from __future__ import annotations

import logging

import requests
from django.conf import settings

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 15
SYSTEM_PROMPT = (
    "You answer a customer's question for a help desk, only from the numbered help "
    "articles given. Cite the articles you used as [1], [2]. If they do not answer the "
    "question, reply exactly: UNKNOWN. Be brief and friendly."
)


def written_answer(*, question: str, sources: list[dict]) -> str | None:
    """The server's answer with its citations, or None (no server configured, it failed,
    or it said the articles do not answer): the caller falls back to the extractive one."""
    base = settings.OMNIDESK_LLM_URL
    if not base or not sources:
        return None
    numbered = "\n\n".join(
        f"[{n}] {source['title']} ({source['url']})\n{source['text']}"
        for n, source in enumerate(sources, start=1)
    )
    try:
        response = requests.post(
            f"{base}/v1/chat/completions",
            json={
                "model": settings.OMNIDESK_LLM_MODEL,
                "temperature": 0,
                "messages": [
                    {"role": "system", "content": SYSTEM_PROMPT},
                    {"role": "user", "content": f"Articles:\n{numbered}\n\nQuestion: {question}"},
                ],
            },
            timeout=TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        text = response.json()["choices"][0]["message"]["content"].strip()
    except (requests.RequestException, KeyError, IndexError, TypeError, ValueError) as exc:
        logger.warning("LLM answer failed, using the extractive answer: %s", exc)
        return None
    if not text or text.startswith("UNKNOWN"):
        return None
    cited = [
        f"[{n}] {source['url']}" for n, source in enumerate(sources, start=1) if f"[{n}]" in text
    ] or [f"[1] {sources[0]['url']}"]
    return text + "\n\n" + "\n".join(cited)
