"""Reading email: charsets, MIME structure, quotes and signatures, sanitising. No database."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from channels_app.email_parsing import parse_email, sanitize_html, split_reply, to_inbound
from tests.channels_app.conftest import FIXTURES, email_fixture

CORPUS = sorted((FIXTURES / "email").glob("*.eml"))


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_no_message_in_the_corpus_crashes_the_parser(path: Path):
    raw = path.read_bytes()
    parsed = parse_email(raw)
    try:
        inbound = to_inbound(parsed, raw=raw, source="test")
    except ValueError as exc:
        # Only a message without any sender may be refused, and it says so.
        assert "From" in str(exc)
        assert not parsed.from_address
    else:
        assert inbound.provider_id
        assert inbound.to_json()


def test_latin1_quoted_printable_and_encoded_words_are_decoded():
    parsed = parse_email(email_fixture("iso_8859_1.eml"))
    assert parsed.from_name == "François Müller"
    assert parsed.subject == "Problème de livraison"
    assert "le colis est arrivé abîmé. Où est ma facture ?" in parsed.text


def test_iso_2022_jp_is_decoded():
    parsed = parse_email(email_fixture("iso_2022_jp.eml"))
    assert parsed.subject == "ご注文について"
    assert parsed.text == "ご注文の商品がまだ届いていません。"


def test_an_unknown_charset_falls_back_to_a_sensible_guess():
    parsed = parse_email(email_fixture("unknown_charset_8bit.eml"))
    assert parsed.text == "I paid €120 for the “deluxe” plan \u2013 please refund it."
    assert any("charset" in problem for problem in parsed.problems)


def test_multipart_related_keeps_text_sanitised_html_and_the_inline_image():
    parsed = parse_email(email_fixture("multipart_related_inline_image.eml"))
    assert parsed.text == "See the screenshot: the checkout button does nothing."
    assert '<img src="cid:shot1@example.org" alt="screenshot">' in parsed.html
    for dangerous in ("<script", "onclick", "javascript:", "<style"):
        assert dangerous not in parsed.html
    [image] = parsed.attachments
    assert (image.filename, image.content_type, image.content_id) == (
        "screenshot.png",
        "image/png",
        "shot1@example.org",
    )
    assert base64.b64decode(image.content_b64).startswith(b"\x89PNG")


def test_a_forwarded_message_is_kept_whole_as_an_eml_attachment():
    parsed = parse_email(email_fixture("forwarded_rfc822.eml"))
    assert parsed.text == "This invoice is wrong, see the forwarded mail."
    [forwarded] = parsed.attachments
    assert forwarded.content_type == "message/rfc822"
    assert forwarded.filename == "Your invoice 1042.eml"
    inner = parse_email(base64.b64decode(forwarded.content_b64))
    assert inner.message_id == "<invoice-1042@shop.example>"
    assert inner.text == "Total: 120 EUR"


def test_broken_headers_still_give_a_sender_a_subject_and_an_rfc2231_attachment():
    parsed = parse_email(email_fixture("broken_headers.eml"))
    assert parsed.from_address == "broken@example.com"
    assert parsed.subject.startswith("Hello world")
    assert parsed.date is None
    assert parsed.message_id == "<not-in-brackets-0001@example.com>"
    assert [a.filename for a in parsed.attachments] == ["résumé.pdf"]
    assert parsed.problems


def test_quoted_reply_and_signature_are_folded_but_kept():
    parsed = parse_email(email_fixture("plain_reply_with_quote.eml"))
    reply, quoted = split_reply(parsed.text)
    assert reply == (
        "Thanks! The tracking link says it is stuck in Memphis though.\n\n"
        "Could you check with the carrier?"
    )
    assert quoted.startswith("-- \nDana Scully")
    assert "> Hi Dana, your order shipped yesterday." in quoted
    inbound = to_inbound(parsed, raw=b"", source="test")
    assert inbound.text == parsed.text


@pytest.mark.parametrize(
    ("text", "expected_reply"),
    [
        ("Yes please.\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold", "Yes please."),
        ("Ok\n\nFrom: Support <s@d.test>\nSent: Monday\nTo: me\n\nold", "Ok"),
        ("Fine\n\nSent from my iPhone", "Fine"),
        ("> only a quote\n> nothing new", "> only a quote\n> nothing new"),
    ],
)
def test_split_reply_recognises_common_quote_styles(text, expected_reply):
    assert split_reply(text)[0] == expected_reply


def test_sanitize_html_drops_active_content():
    dirty = '<p>hi<iframe src="https://evil"></iframe><img src=x onerror=alert(1)></p>'
    assert sanitize_html(dirty) == '<p>hi<img src="x"></p>'


def test_auto_replies_are_flagged_and_bounces_name_the_bounced_message():
    auto = parse_email(email_fixture("auto_reply.eml"))
    assert auto.auto_submitted and not auto.bounce
    assert to_inbound(auto, raw=b"", source="test").metadata["no_auto_reply"] is True
    bounce = parse_email(email_fixture("bounce_dsn.eml"))
    assert bounce.bounce
    assert bounce.bounced_message_id == "<BOUNCED-MESSAGE-ID>"
    assert "5.1.1" in bounce.bounce_diagnostic
    assert "User unknown" in bounce.bounce_diagnostic
    assert to_inbound(bounce, raw=b"", source="test").kind == "bounce"
