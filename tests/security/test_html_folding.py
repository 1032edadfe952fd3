"""Folding quoted HTML cannot inject markup (issue 14, finding M1): a "<blockquote" hidden
in an attribute stays text in that attribute, so no htmx or event attribute reaches the
agent's page."""

from __future__ import annotations

from html.parser import HTMLParser

from conversations.display import sanitize_html

PAYLOAD = (
    "<p>Hello</p><span title='<blockquote hx-post=/inbox/c/1/assign/ hx-trigger=load "
    'hx-vals={"agent":"me"} onmouseover=alert(1) a=b\'>x</span>'
    "<blockquote>earlier mail</blockquote>"
)


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def test_a_blockquote_inside_an_attribute_adds_no_attribute_to_the_page():
    parser = Elements()
    parser.feed(str(sanitize_html(PAYLOAD)))
    for _, attributes in parser.found:
        assert not [name for name in attributes if name.startswith(("hx-", "on"))]
    tags = [tag for tag, _ in parser.found]
    # The real quote is folded once; the fake one made no element.
    assert tags.count("details") == 1 and tags.count("blockquote") == 1
