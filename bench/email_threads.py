"""Email threading benchmark: which conversation each of 1,000 emails lands in, and how
fast.

    .venv/bin/python bench/email_threads.py
    .venv/bin/python bench/email_threads.py --seed 7 --concurrency 2
    .venv/bin/python bench/email_threads.py --backlog --concurrency 2 --drains 4

A fixed seed generates the shape of mail a desk receives (the same shape as issue 20's
side-by-side measurement): about 606 threads from about 200 senders, 355 replies with
In-Reply-To and References, 39 replies whose In-Reply-To names a message the desk never
received (a colleague's internal reply) but whose References name the thread, about 10%
of the replies sent by a colleague of the original sender (same company, or someone the
thread was copied to) with the original sender in Cc, new topics from the same sender,
non-ASCII names and subjects, attachments.

Every email is posted in send order through the signed Mailgun inbound webhook
(`/hooks/email/<key>/`, Django's full request stack in this process) and processed by a
real Celery worker (a child process) through Redis, on this bench's own database and
Redis prefix. Printed: conversations created against threads sent, replies and
References-only replies in their thread, colleague replies in their thread with the
colleague as a participant, attachments kept, and messages/s from the first post to the
last message stored, against a bare stdlib parse of the same messages in the same run.
"""

from __future__ import annotations

# The script's own folder comes first on sys.path, where bench/routing.py would shadow
# the routing app: drop the folder before anything imports it.
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from email import policy  # noqa: E402
from email.message import EmailMessage  # noqa: E402
from email.parser import BytesParser  # noqa: E402
from email.utils import format_datetime, formataddr  # noqa: E402

ROOT = _HERE.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench_threading")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("OMNIDESK_REDIS_PREFIX", "bench-threading")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # the worker processes; this process posts
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

SIGNING_KEY = "bench-threading-signing-key-0123456789"
MAILGUN_VERDICT = "X-Mailgun-Incoming: Yes\r\nX-Mailgun-Spf: Pass\r\n"
DESK = "support@desk.test"

# --- The generated mail -----------------------------------------------------------------

WEBMAIL = ("gmail.com", "outlook.com", "yahoo.com", "gmx.de", "icloud.com", "hotmail.fr")
FIRST_NAMES = (
    "Dana", "Fox", "Walter", "Monica", "John", "Jeffrey", "Alex", "Sam", "Priya", "Chen",
    "Zoë", "François", "Jürgen", "Søren", "Björk", "Ana", "José", "Łukasz", "Ngozi", "Kenji",
    "Mei", "Olga", "Yusuf", "Aiko", "Élodie", "Raúl", "Ines", "Tomasz", "Hana", "Omar",
)  # fmt: skip
LAST_NAMES = (
    "Scully", "Mulder", "Skinner", "Reyes", "Doggett", "Spender", "Krycek", "Patel", "Wang",
    "Müller", "Dubois", "Østergaard", "García", "Nowak", "Okafor", "Tanaka", "Ivanova",
    "Çelik", "Kovač", "Rossi", "Novák", "Silva", "Kim", "Haddad", "Lefèvre", "Schmidt",
)  # fmt: skip
TOPICS = (
    "Where is my order {n}?", "Refund for order {n}", "Invoice {n} is wrong",
    "Cannot log in ({n})", "Parcel {n} arrived damaged", "Change the address of order {n}",
    "Question about plan {n}", "Größe tauschen, Bestellung {n}", "Facture {n} incorrecte",
    "Pedido {n} no llegó", "注文 {n} について", "Warranty claim {n}", "Cancel subscription {n}",
    "API error on account {n}", "Export of report {n} fails", "Löschung meiner Daten {n}",
)  # fmt: skip
COMPANY_WORDS = (
    "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell", "cyberdyne",
    "soylent", "wonka", "gringotts", "duff", "vandelay", "prestige", "massive", "oscorp",
)  # fmt: skip


@dataclass
class Person:
    name: str
    address: str
    company: str = ""  # a company domain; "" for a webmail user


@dataclass
class Mail:
    """One generated email and what it should become."""

    index: int
    thread: int
    kind: str  # "new", "reply" (In-Reply-To and References), "references_only"
    sender: Person
    subject: str
    message_id: str
    cc: tuple[str, ...]
    sent_at: datetime
    raw: bytes = b""
    colleague: bool = False  # sent by someone other than the thread's starter
    attachments: int = 0


@dataclass
class Thread:
    index: int
    starter: Person
    subject: str
    cc: tuple[Person, ...]
    mails: list[Mail] = field(default_factory=list)
    # (Message-ID, References) of each message of the thread, in send order, including
    # messages the desk never receives.
    chain: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)


def generate(
    seed: int, *, threads: int = 606, replies: int = 355, references_only: int = 39
) -> list[Mail]:
    """The mails in send order. Deterministic for a seed."""
    rng = random.Random(seed)
    people = _people(rng)
    companies: dict[str, list[Person]] = {}
    for person in people:
        if person.company:
            companies.setdefault(person.company, []).append(person)
    start = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

    # Some senders write again and again (new topics from the same sender).
    weights = [rng.choice((1, 1, 1, 2, 3, 6)) for _ in people]
    everyone = rng.sample(people, len(people))
    all_threads: list[Thread] = []
    for index in range(threads):
        # Everyone writes at least once; some come back with new topics.
        if index < len(everyone):
            starter = everyone[index]
        else:
            starter = rng.choices(people, weights=weights)[0]
        colleagues = [p for p in companies.get(starter.company, []) if p is not starter]
        cc: list[Person] = []
        if colleagues and rng.random() < 0.3:
            cc.append(rng.choice(colleagues))
        if rng.random() < 0.05:
            cc.append(rng.choice([p for p in people if not p.company and p is not starter]))
        subject = rng.choice(TOPICS).format(n=rng.randint(10_000, 99_999))
        all_threads.append(Thread(index, starter, subject, tuple(cc)))

    mails: list[Mail] = []
    for thread in all_threads:
        sent_at = start + timedelta(minutes=rng.randint(0, 60 * 24 * 28))
        mails.append(_mail(rng, thread, "new", thread.starter, sent_at, len(mails)))

    # Replies, each after the message it answers. About 10% come from a colleague of the
    # starter (or someone the thread was copied to), with the starter in Cc.
    with_colleagues = [t for t in all_threads if _colleagues(t, companies)]
    kinds = ["reply"] * replies + ["references_only"] * references_only
    rng.shuffle(kinds)
    for kind in kinds:
        by_colleague = rng.random() < 0.13
        pool = with_colleagues if by_colleague else all_threads
        thread = rng.choice(pool)
        sender = rng.choice(_colleagues(thread, companies)) if by_colleague else thread.starter
        if kind == "references_only":
            # A message the desk never received (a colleague's reply among themselves)
            # sits between the thread and this reply.
            parent_id, parent_refs = thread.chain[-1]
            hidden = (_message_id(rng, sender), (*parent_refs, parent_id))
            thread.chain.append(hidden)
        last_sent = max(m.sent_at for m in thread.mails)
        sent_at = last_sent + timedelta(minutes=rng.randint(5, 60 * 48))
        mail = _mail(rng, thread, kind, sender, sent_at, len(mails))
        mail.colleague = sender is not thread.starter
        mails.append(mail)

    mails.sort(key=lambda m: (m.sent_at, m.index))
    for position, mail in enumerate(mails):
        mail.index = position
    return mails


def _people(rng: random.Random) -> list[Person]:
    people: list[Person] = []
    used: set[str] = set()

    def person(domain: str, company: str) -> Person:
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}".lower()
            address = f"{local}@{domain}"
            if address not in used:
                used.add(address)
                return Person(f"{first} {last}", address, company)

    for number in range(60):
        domain = f"{rng.choice(COMPANY_WORDS)}-{number}.example"
        people += [person(domain, domain) for _ in range(rng.choice((1, 2, 2, 3, 3, 4)))]
    while len(people) < 200:
        people.append(person(rng.choice(WEBMAIL), ""))
    return people[:200]


def _colleagues(thread: Thread, companies: dict[str, list[Person]]) -> list[Person]:
    same_company = [p for p in companies.get(thread.starter.company, []) if p is not thread.starter]
    copied = [p for p in thread.cc if p not in same_company]
    return same_company + copied


def _ascii(name: str) -> str:
    return "".join(c for c in name if c.isascii() and c.isalpha()) or "x"


def _message_id(rng: random.Random, sender: Person) -> str:
    return f"<{rng.getrandbits(96):024x}.{rng.randint(1000, 9999)}@{sender.address.split('@')[1]}>"


def _mail(
    rng: random.Random, thread: Thread, kind: str, sender: Person, sent_at: datetime, index: int
) -> Mail:
    message_id = _message_id(rng, sender)
    email = EmailMessage(policy=policy.SMTP)
    email["From"] = formataddr((sender.name, sender.address))
    email["To"] = formataddr(("Support", DESK))
    cc = [p.address for p in thread.cc if p is not sender]
    if sender is not thread.starter:
        cc.insert(0, thread.starter.address)
    if cc:
        email["Cc"] = ", ".join(cc)
    subject = thread.subject if kind == "new" else f"Re: {thread.subject}"
    email["Subject"] = subject
    email["Date"] = format_datetime(sent_at)
    email["Message-ID"] = message_id
    if kind != "new":
        parent_id, parent_refs = thread.chain[-1]
        references = (*parent_refs, parent_id)
        email["In-Reply-To"] = parent_id
        email["References"] = " ".join(references)
    else:
        references = ()
    lines = [
        f"Hello, this is {sender.name.split()[0]} about «{thread.subject}».",
        rng.choice(
            (
                "Could you have a look, please?",
                "Merci d'avance pour votre aide.",
                "Vielen Dank für die schnelle Antwort!",
                "The tracking page has not changed since Monday.",
                "よろしくお願いします。",
            )
        ),
    ]
    if kind != "new":
        lines += ["", "On an earlier day someone wrote:", "> the previous message", ">"]
    email.set_content("\n".join(lines))
    attachments = 0
    if rng.random() < 0.14:
        for number in range(rng.choice((1, 1, 1, 2))):
            data = rng.randbytes(rng.randint(200, 3000))
            if rng.random() < 0.5:
                email.add_attachment(
                    data, maintype="image", subtype="png", filename=f"screenshot-{number}.png"
                )
            else:
                email.add_attachment(
                    data,
                    maintype="application",
                    subtype="pdf",
                    filename=f"Rechnung-{index}-{number}.pdf",
                )
            attachments += 1
    thread.chain.append((message_id, references))
    mail = Mail(
        index=index,
        thread=thread.index,
        kind=kind,
        sender=sender,
        subject=subject,
        message_id=message_id,
        cc=tuple(cc),
        sent_at=sent_at,
        raw=email.as_bytes(),
        attachments=attachments,
    )
    thread.mails.append(mail)
    return mail


# --- Running it -------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument(
        "--concurrency", type=int, default=1, help="worker processes (prefork pool)"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait")
    parser.add_argument(
        "--backlog",
        action="store_true",
        help="post everything first, then start the worker (a backlog to drain)",
    )
    parser.add_argument(
        "--drains",
        type=int,
        default=1,
        help=(
            "with --backlog: drain tasks sharing the backlog from the start, as workers do "
            "when mail keeps arriving while they drain (SKIP LOCKED batches, processed "
            "out of order)"
        ),
    )
    args = parser.parse_args()

    mails = generate(args.seed)

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    _clear_redis(settings.REDIS_URL, settings.REDIS_KEY_PREFIX)
    settings.ALLOWED_HOSTS = ["*"]

    from agents.models import Team
    from channels_app.models import ChannelEndpoint

    endpoint = ChannelEndpoint.objects.create(
        kind="email",
        name="bench mail",
        config={"address": DESK, "inbound_provider": "mailgun"},
        credentials={"webhook_signing_key": SIGNING_KEY},
    )
    Team.objects.create(name="Support").endpoints.add(endpoint)

    # A bare parse of the same messages, in this run: the stdlib parser reading each
    # message and finding its body.
    started = time.perf_counter()
    for mail in mails:
        BytesParser(policy=policy.default).parsebytes(mail.raw).get_body()
    bare_seconds = time.perf_counter() - started

    workers: list[subprocess.Popen] = []
    if not args.backlog:
        workers.append(_start_worker(args.concurrency))
    try:
        timing = _post_all(
            endpoint,
            mails,
            timeout=args.timeout,
            after_posting=(
                (lambda: workers.append(_start_worker(args.concurrency, drains=args.drains)))
                if args.backlog
                else None
            ),
        )
    finally:
        for worker in workers:
            _stop_worker(worker)
    _report(
        mails,
        timing=timing,
        bare_seconds=bare_seconds,
        concurrency=args.concurrency,
        backlog=args.backlog,
    )


def ensure_database(url: str) -> None:
    """This bench's own database (bench/ingest.py's helper; importing that module would
    take this process off Redis)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _clear_redis(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def _start_worker(concurrency: int, *, drains: int = 0) -> subprocess.Popen:
    """A Celery worker in a child process on this bench's database and Redis prefix;
    `drains` more drain tasks queued for it (one is already queued by the posts)."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "bench-threading-worker.log"
    if drains > 1:
        from intake.tasks import drain_inbound_events

        for _ in range(drains - 1):
            drain_inbound_events.delay()
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "omnidesk",
            "worker",
            "-Q",
            "inbound,outbound,default",
            "--pool",
            "prefork",
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env={**os.environ},
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )


def _stop_worker(worker: subprocess.Popen) -> None:
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()


@dataclass(frozen=True)
class Timing:
    total: float  # first post to last message stored
    posting: float  # the webhook requests


def _post_all(
    endpoint, mails: list[Mail], *, timeout: float, after_posting: Callable[[], None] | None
) -> Timing:
    """Post every mail as Mailgun would, then wait for the worker to store them all.
    `after_posting`: starts the worker once everything is posted (a backlog)."""
    from django.test import Client

    from channels_app.models import InboundEvent

    client = Client()
    path = f"/hooks/email/{endpoint.key}/"
    started = time.perf_counter()
    for mail in mails:
        timestamp = str(int(time.time()))
        token = hashlib.sha256(f"{mail.index}:{mail.message_id}".encode()).hexdigest()[:50]
        signature = hmac.new(
            SIGNING_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
        ).hexdigest()
        response = client.post(
            path,
            data={
                "recipient": DESK,
                "sender": mail.sender.address,
                "from": formataddr((mail.sender.name, mail.sender.address)),
                "subject": mail.subject,
                # Mailgun's own SPF check on top, for the envelope sender: the sender is
                # proven (docs/email-authenticity.md), as a real customer's mail is.
                "body-mime": MAILGUN_VERDICT + mail.raw.decode("utf-8"),
                "timestamp": timestamp,
                "token": token,
                "signature": signature,
            },
            secure=True,  # production settings redirect plain HTTP
        )
        assert response.status_code == 200, (response.status_code, response.content[:200])
    posted = time.perf_counter()
    if after_posting is not None:
        after_posting()
    deadline = time.monotonic() + timeout
    while True:
        waiting = InboundEvent.objects.filter(status=InboundEvent.Status.PENDING).count()
        if not waiting:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"{waiting} events still pending after {timeout:.0f} s")
        time.sleep(0.1)
    finished = time.perf_counter()
    return Timing(total=finished - started, posting=posted - started)


def _report(
    mails: list[Mail], *, timing: Timing, bare_seconds: float, concurrency: int, backlog: bool
) -> None:
    from django.db.models import Max, Min

    from channels_app.models import InboundEvent
    from conversations.models import Attachment, Conversation, Message

    failed = InboundEvent.objects.filter(status=InboundEvent.Status.FAILED).count()
    stored = {
        row["email_message_id"]: row
        for row in Message.objects.filter(direction=Message.Direction.INBOUND).values(
            "email_message_id", "conversation_id"
        )
    }
    first = {}
    for mail in mails:
        if mail.kind == "new":
            first[mail.thread] = stored.get(mail.message_id, {}).get("conversation_id")

    def threaded(mail: Mail) -> bool:
        row = stored.get(mail.message_id)
        return row is not None and row["conversation_id"] == first.get(mail.thread)

    replies = [m for m in mails if m.kind == "reply"]
    references_only = [m for m in mails if m.kind == "references_only"]
    colleague = [m for m in mails if m.colleague]
    participants = _participants()
    with_participant = [
        m for m in colleague if threaded(m) and (first[m.thread], m.sender.address) in participants
    ]
    threads = len(first)
    senders = len({m.sender.address for m in mails})
    attachments = sum(m.attachments for m in mails)
    print(
        f"generated:                     {len(mails):,} emails, {threads} threads from "
        f"{senders} senders (worker concurrency {concurrency})"
    )
    print(f"conversations created:         {Conversation.objects.count()} (expected {threads})")
    print(f"replies in their thread:       {sum(map(threaded, replies))}/{len(replies)}")
    print(
        f"References-only threaded:      "
        f"{sum(map(threaded, references_only))}/{len(references_only)}"
    )
    print(
        f"colleague replies threaded:    {sum(map(threaded, colleague))}/{len(colleague)}"
        f" (colleague a participant: {len(with_participant)})"
    )
    print(f"attachments kept:              {Attachment.objects.count()}/{attachments}")
    if failed:
        print(f"failed events:                 {failed}")
    count = len(mails)
    rate, bare_rate = count / timing.total, count / bare_seconds
    print(
        f"webhook -> worker -> stored:   {rate:,.0f} messages/s ({timing.total:.1f} s); "
        f"bare stdlib parse {bare_rate:,.0f} messages/s; ratio {rate / bare_rate:.3f}"
    )
    if backlog:
        # From the first event processed to the last: the drain without the worker's start.
        span = InboundEvent.objects.aggregate(first=Min("processed_at"), last=Max("processed_at"))
        drain = (span["last"] - span["first"]).total_seconds()
        worker_rate = (count - 1) / drain
        print(
            f"  posting {count / timing.posting:,.0f} requests/s ({timing.posting:.1f} s); "
            f"the worker's drain alone {worker_rate:,.0f} messages/s ({drain:.1f} s), "
            f"ratio to the bare parse {worker_rate / bare_rate:.3f}"
        )


def _participants() -> set[tuple[int, str]]:
    try:
        from conversations.models import ConversationParticipant
    except ImportError:  # before participants existed
        return set()
    return set(ConversationParticipant.objects.values_list("conversation_id", "address"))


if __name__ == "__main__":
    main()
