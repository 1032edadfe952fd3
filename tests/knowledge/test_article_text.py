"""Article Markdown, sanitised; passages cut at headings; the language per locale."""

from __future__ import annotations

from knowledge.text import fts_config, question_words, render_markdown, split_passages


def test_markdown_is_rendered_and_nothing_executable_survives():
    html = render_markdown(
        "## Steps\n\n**Bold** [link](https://x.example) [bad](javascript:alert(1))\n\n"
        "<img src=x onerror=alert(1)>"
    )
    assert "<h2>Steps</h2>" in html and "<strong>Bold</strong>" in html
    assert 'href="https://x.example"' in html and 'rel="noopener noreferrer nofollow"' in html
    assert 'href="javascript' not in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def test_passages_follow_headings_and_keep_their_subject():
    passages = split_passages(
        title="Return an item",
        source=(
            "You have 30 days.\n\n## Boots\nBoots go back in their box.\n\n## Gifts\nUse the code."
        ),
    )
    assert [(p.heading, p.text) for p in passages] == [
        ("Return an item", "You have 30 days."),
        ("Boots", "Boots go back in their box."),
        ("Gifts", "Use the code."),
    ]


def test_each_locale_has_its_language_configuration():
    assert [fts_config(code) for code in ("en", "es", "de", "fr", "pt", "nl")] == [
        "english", "spanish", "german", "french", "portuguese", "simple",
    ]  # fmt: skip
    assert question_words("Where's my parcel?! parcel") == ["where", "my", "parcel"]
