"""Reading SPF/DKIM/DMARC verdicts (channels_app/email_auth.py): pure, no database."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from channels_app.email_auth import (
    AuthResult,
    aligned_domains,
    authentication_results,
    evaluate,
    header_values,
    mailgun_results,
    postmark_results,
    received_spf_result,
    sendgrid_results,
    trusted_authserv_ids,
)

GMAIL = (
    "mx.google.com; dkim=pass header.i=@example.com header.s=20230601 header.b=Ab1/Cd2+;"
    " spf=pass (google.com: domain of dana@example.com designates 203.0.113.7 as permitted"
    " sender) smtp.mailfrom=dana@example.com;"
    " dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com"
)


def verdict(from_address: str, *results: AuthResult):
    return evaluate(from_address=from_address, results=results, source="test")


def test_rfc_8601_results_with_comments_versions_and_quotes():
    results = authentication_results(
        [
            GMAIL,
            'MX.Desk.Test 1; spf = "pass" smtp.mailfrom="a;b@example.org" (a (nested) comment);'
            ' dkim/1=fail reason="bad signature" header.d=example.org; arc=none',
            "mx.desk.test; none",
        ],
        trusted=["mx.desk.test"],
    )
    assert results == [
        AuthResult("spf", "pass", "example.org"),
        AuthResult("dkim", "fail", "example.org"),
    ]
    assert [r.method for r in authentication_results([GMAIL], trusted=["MX.GOOGLE.COM"])] == [
        "dkim",
        "spf",
        "dmarc",
    ]


def test_header_values_are_read_top_first_and_unfolded():
    raw = (
        b"Authentication-Results: mx.desk.test;\r\n spf=pass smtp.mailfrom=a@b.example\r\n"
        b"From: a@b.example\r\nAuthentication-Results: other.example; dmarc=pass\r\n\r\nHi\r\n"
    )
    assert header_values(raw, "Authentication-Results") == [
        "mx.desk.test; spf=pass smtp.mailfrom=a@b.example",
        "other.example; dmarc=pass",
    ]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, ()),
        ({"trusted_authserv_id": "mx.google.com"}, ("mx.google.com",)),
        ({"trusted_authserv_id": "MX.A.test, mx.b.test"}, ("mx.a.test", "mx.b.test")),
        ({"trusted_authserv_id": ["mx.a.test"]}, ("mx.a.test",)),
        ({"trusted_authserv_id": 7}, ()),
    ],
)
def test_trusted_authserv_ids_from_config(config, expected):
    assert trusted_authserv_ids(config) == expected


def test_dmarc_decides_when_it_is_known():
    assert verdict("dana@example.com", AuthResult("dmarc", "pass", "example.com")).passed
    failing = verdict(
        "dana@example.com",
        AuthResult("dkim", "pass", "example.com"),
        AuthResult("dmarc", "fail", "example.com"),
    )
    assert not failing.passed and failing.reason == "DMARC fail"
    elsewhere = verdict("dana@example.com", AuthResult("dmarc", "pass", "attacker.example"))
    assert not elsewhere.passed


def test_without_dmarc_an_aligned_dkim_or_spf_pass_is_needed():
    assert verdict("dana@example.com", AuthResult("dkim", "pass", "example.com")).passed
    assert verdict("dana@mail.example.com", AuthResult("spf", "pass", "example.com")).passed
    assert not verdict("dana@example.com", AuthResult("dkim", "pass", "attacker.example")).passed
    assert not verdict("dana@example.com", AuthResult("spf", "softfail", "example.com")).passed
    nothing = verdict("dana@example.com")
    assert not nothing.passed and nothing.reason == "no verdict"


def test_relaxed_alignment_never_across_a_top_level_domain():
    assert aligned_domains("bounce.example.com", "example.com")
    assert aligned_domains("Example.COM", "example.com")
    assert not aligned_domains("com", "example.com")
    assert not aligned_domains("example.com.attacker.example", "example.com")
    assert not aligned_domains("notexample.com", "example.com")
    assert not aligned_domains("", "example.com")


def mailgun_message(*headers: tuple[str, str]) -> EmailMessage:
    message = EmailMessage()
    for name, value in headers:
        message[name] = value
    return message


def test_mailgun_counts_its_own_headers_on_top_and_needs_every_signature_aligned():
    honest = mailgun_message(
        ("X-Mailgun-Dkim-Check-Result", "Pass"),
        ("X-Mailgun-Spf", "Pass"),
        ("DKIM-Signature", "v=1; a=rsa-sha256; d=example.com; s=s1; b=x"),
        ("From", "dana@example.com"),
    )
    results = mailgun_results(honest, from_address="dana@example.com", envelope_sender="")
    assert results == [AuthResult("spf", "pass", ""), AuthResult("dkim", "pass", "example.com")]
    forged = mailgun_message(
        ("X-Mailgun-Dkim-Check-Result", "Pass"),
        ("X-Mailgun-Spf", "Fail"),
        ("DKIM-Signature", "v=1; d=attacker.example; s=s1; b=x"),
        ("DKIM-Signature", "v=1; d=example.com; s=s1; b=forged"),
        ("X-Mailgun-Spf", "Pass"),
    )
    results = mailgun_results(
        forged, from_address="dana@example.com", envelope_sender="x@attacker.example"
    )
    assert results == [AuthResult("spf", "fail", "attacker.example"), AuthResult("dkim", "pass")]
    assert not verdict("dana@example.com", *results).passed


def test_sendgrid_fields():
    results = sendgrid_results(
        {
            "SPF": "pass",
            "dkim": "{@example.org : pass, @sendgrid.info : fail}",
            "envelope": '{"to":["support@desk.test"],"from":"mo@example.org"}',
        }
    )
    assert results == [
        AuthResult("spf", "pass", "example.org"),
        AuthResult("dkim", "pass", "example.org"),
        AuthResult("dkim", "fail", "sendgrid.info"),
    ]
    assert sendgrid_results({"SPF": "", "dkim": "none"}) == []


def test_postmark_reads_the_first_of_its_headers():
    headers = [
        {"Name": "X-Spam-Tests", "Value": "DKIM_SIGNED,DKIM_VALID,SPF_PASS"},
        {"Name": "Received-SPF", "Value": "Fail (not authorized) envelope-from=x@bad.example"},
        {"Name": "X-Spam-Tests", "Value": "DKIM_VALID_AU,DMARC_PASS"},
        {"Name": "Received-SPF", "Value": "Pass identity=mailfrom; envelope-from=d@example.com"},
    ]
    results = postmark_results(headers, from_address="dana@example.com")
    assert results == [AuthResult("spf", "fail", "bad.example")]
    assert postmark_results(
        [{"Name": "X-Spam-Tests", "Value": "DKIM_VALID,DKIM_VALID_AU,DMARC_REJECT"}],
        from_address="dana@example.com",
    ) == [AuthResult("dkim", "pass", "example.com"), AuthResult("dmarc", "fail", "example.com")]


def test_received_spf_identities():
    assert received_spf_result(
        'pass (x: y) receiver=mx; identity=mailfrom; envelope-from="a@Example.com"; helo=h.test'
    ) == AuthResult("spf", "pass", "example.com")
    assert received_spf_result(
        "neutral identity=helo; helo=relay.example.net; envelope-from=<>"
    ) == AuthResult("spf", "neutral", "relay.example.net")
