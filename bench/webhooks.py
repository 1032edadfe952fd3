"""Webhook benchmark: each provider's webhook (verify, parse, store, answer) against the
generic API channel's door in the same run, and email parsing against the bare stdlib
parser.

    .venv/bin/python bench/webhooks.py --requests 2000

Requests go through Django's full request stack in-process (Client), with the broker
in memory, so the figure is the webhook's own cost: processing happens later in a worker.
Ratios below 1.0 mean the webhook is slower than the baseline.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench_channels")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # enqueue to the in-memory broker only
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("LOG_LEVEL", "ERROR")
FIXTURES = ROOT / "tests" / "fixtures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "bench"))
    from ingest import ensure_database

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from rest_framework.authtoken.models import Token
    from twilio.request_validator import RequestValidator

    from channels_app.models import ChannelEndpoint, InboundEvent
    from tests.factories import make_agent

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    settings.ALLOWED_HOSTS = ["*"]
    n = args.requests
    client = Client()

    api = ChannelEndpoint.objects.create(kind="api", name="bench api")
    admin = make_agent(role="admin", username="bench-admin")
    token = Token.objects.create(user=admin).key

    def api_request(i: int):
        body = {
            "endpoint": api.key,
            "id": f"api-{i}",
            "from": {"phone": "+14155552671"},
            "text": "Where is my order?",
        }
        return client.post(
            "/api/v1/inbound/",
            data=json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Token {token}",
        )

    twilio = ChannelEndpoint.objects.create(
        kind="sms",
        name="bench sms",
        credentials={
            "account_sid": "AC" + "0" * 32,
            "auth_token": "t" * 32,
            "phone_number": "+14155550100",
        },
    )
    sms = json.loads((FIXTURES / "twilio" / "sms_inbound.json").read_text())
    validator = RequestValidator("t" * 32)
    twilio_path = f"/hooks/twilio/{twilio.key}/sms"

    def twilio_request(i: int):
        params = {**sms, "MessageSid": f"SM{i:032d}"}
        signature = validator.compute_signature(settings.OMNIDESK_PUBLIC_URL + twilio_path, params)
        return client.post(
            twilio_path,
            data=urlencode(params),
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )

    whatsapp = ChannelEndpoint.objects.create(
        kind="whatsapp", name="bench wa", credentials={"app_secret": "s" * 32}
    )
    wa = json.loads((FIXTURES / "meta" / "whatsapp_text.json").read_text())

    def whatsapp_request(i: int):
        wa["entry"][0]["changes"][0]["value"]["messages"][0]["id"] = f"wamid.bench{i}"
        raw = json.dumps(wa).encode()
        signature = hmac.new(b"s" * 32, raw, hashlib.sha256).hexdigest()
        return client.post(
            f"/hooks/meta/{whatsapp.key}/",
            data=raw,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=f"sha256={signature}",
        )

    mailgun = ChannelEndpoint.objects.create(
        kind="email",
        name="bench mail",
        config={"address": "support@desk.test", "inbound_provider": "mailgun"},
        credentials={"webhook_signing_key": "k" * 32},
    )
    fields = json.loads((FIXTURES / "mailgun" / "inbound_mime.json").read_text())

    def mailgun_request(i: int):
        body = fields["body-mime"].replace("reply-1@mail", f"reply-{i}@mail")
        token = f"{i:050d}"
        signature = hmac.new(
            b"k" * 32, f"{fields['timestamp']}{token}".encode(), hashlib.sha256
        ).hexdigest()
        return client.post(
            f"/hooks/email/{mailgun.key}/",
            data={**fields, "body-mime": body, "token": token, "signature": signature},
        )

    def timed(make_request) -> float:
        started = time.perf_counter()
        for i in range(n):
            response = make_request(i)
            assert response.status_code in (200, 202), response.status_code
        return time.perf_counter() - started

    baseline = timed(api_request)
    print(f"requests per kind:            {n:,}")
    print(f"baseline /api/v1/inbound/:    {n / baseline:,.0f} req/s")
    for name, make_request in (
        ("Twilio SMS webhook", twilio_request),
        ("WhatsApp webhook", whatsapp_request),
        ("Mailgun email webhook", mailgun_request),
    ):
        seconds = timed(make_request)
        print(
            f"{name + ':':<30}{n / seconds:,.0f} req/s   ratio vs API door {baseline / seconds:.2f}"
        )
    assert InboundEvent.objects.count() == 4 * n

    from channels_app.email_parsing import parse_email

    corpus = [p.read_bytes() for p in sorted((FIXTURES / "email").glob("*.eml"))] * 50
    started = time.perf_counter()
    for raw in corpus:
        BytesParser(policy=policy.default).parsebytes(raw).get_body()
    stdlib = time.perf_counter() - started
    started = time.perf_counter()
    for raw in corpus:
        parse_email(raw)
    ours = time.perf_counter() - started
    print(
        f"email corpus parse ({len(corpus)} msgs): stdlib {len(corpus) / stdlib:,.0f}/s, "
        f"parse_email {len(corpus) / ours:,.0f}/s, ratio {stdlib / ours:.2f}"
    )


if __name__ == "__main__":
    main()
