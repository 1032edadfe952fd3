"""Pure text work for articles: Markdown to sanitised HTML, passages, the full-text
configuration per locale and the or-query built from a question. No database."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

# PostgreSQL's text-search configuration for each help-center locale.
FTS_CONFIGS = {
    "en": "english",
    "es": "spanish",
    "de": "german",
    "fr": "french",
    "pt": "portuguese",
}
ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "code", "pre", "blockquote",
    "a", "br", "hr", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
PASSAGE_WORDS = 90

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def fts_config(locale: str) -> str:
    return FTS_CONFIGS.get(locale, "simple")


def render_markdown(source: str) -> str:
    """Article Markdown as HTML safe to show anyone: raw HTML in the source is escaped by
    the renderer and what it makes is cleaned again by nh3 (links get rel=noopener)."""
    return nh3.clean(
        _markdown.render(source),
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(source: str) -> str:
    """Markdown without its markup, for passages and excerpts."""
    text = re.sub(r"[*_`>#]+", "", source)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"[ \t]+", " ", text).strip()


@dataclass(frozen=True)
class PassageText:
    heading: str
    text: str


def split_passages(*, title: str, source: str, max_words: int = PASSAGE_WORDS) -> list[PassageText]:
    """The article cut at its headings and, within a section, at paragraphs, each piece
    at most about `max_words` words. Every passage is searched with its section heading
    (or the title) in front, so a paragraph keeps its subject."""
    sections: list[tuple[str, list[str]]] = [(title, [])]
    for block in re.split(r"\n\s*\n", source.strip()):
        block = block.strip()
        if not block:
            continue
        heading = re.match(r"^#{1,6}\s+(.*)$", block.splitlines()[0])
        if heading:
            sections.append((plain_text(heading.group(1)), []))
            rest = "\n".join(block.splitlines()[1:]).strip()
            if rest:
                sections[-1][1].append(plain_text(rest))
        else:
            sections[-1][1].append(plain_text(block))
    passages: list[PassageText] = []
    for heading, paragraphs in sections:
        current: list[str] = []
        for paragraph in paragraphs:
            words = len(" ".join([*current, paragraph]).split())
            if current and words > max_words:
                passages.append(PassageText(heading, " ".join(current)))
                current = []
            current.append(paragraph)
        if current:
            passages.append(PassageText(heading, " ".join(current)))
    return passages or [PassageText(title, title)]


_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def question_words(question: str, *, limit: int = 32) -> list[str]:
    """The question's words, for an any-of-these-words full-text query (a customer's
    paraphrase rarely contains every word of the article, so all-of would miss)."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(question.lower()):
        if len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)[:limit]


def excerpt(text: str, *, words: int = 40) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_question(text: str) -> str:
    """The same question however it was typed: case, punctuation and spacing folded
    ("Where's my order?!" and "where s my  order" are one knowledge gap)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", folded).split())[:500]
