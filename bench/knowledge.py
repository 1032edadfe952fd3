"""Knowledge-base benchmark: hybrid search over 10,000 articles against the bare
full-text query, bot answers per second, embedding time per article and the model's
memory in the process.

    .venv/bin/python bench/knowledge.py                 # 10,000 articles
    .venv/bin/python bench/knowledge.py --articles 2000 --queries 200

The articles are made from the demo help center's (knowledge/demo_articles.json): each
copy names another product, place and number, so no two are the same text. The queries
are the labelled paraphrased questions (tests/fixtures/knowledge_questions.json), asked
round-robin. In the same run and on the same PostgreSQL:
- bare FTS: only the full-text query (`fts_ranking`, any-word tsquery, GIN index);
- embedding: the exact cosine over every passage vector, in numpy;
- hybrid: `knowledge.selectors.search`, both rankings fused and the articles loaded;
- exact cosine alone over synthetic matrices of growing size, to see where brute force
  stops being fast enough (no pgvector on this server);
- the bot: `bot.services.respond` for fresh conversations (search, answer, the bot
  message stored and queued through the one outbound path), answers per second.
Runs with production settings (DEBUG off), its own database.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnidesk_bench_kb")
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"  # tasks queue in memory; nothing is delivered
os.environ.pop("REDIS_URL", None)
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

PRODUCTS = [
    "Trailhead 2 tent", "Alpine shell jacket", "Ridge 30 backpack", "Summit 45 backpack",
    "Glacier sleeping bag", "Canyon boots", "Drift trail runners", "Ember stove",
    "Nimbus down vest", "Harbor rain trousers", "Pathfinder poles", "Lumen head torch",
]  # fmt: skip
PLACES = ["Berlin", "Munich", "Vienna", "Zurich", "Lyon", "Porto", "Madrid", "Oslo", "Leeds"]


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return (time.perf_counter() - started) * 1000


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def make_articles(count: int, rng: random.Random) -> list[dict]:
    demo = [
        a
        for a in json.loads((ROOT / "knowledge" / "demo_articles.json").read_text())["articles"]
        if a["locale"] == "en"
    ]
    made = []
    for n in range(count):
        base = demo[n % len(demo)]
        product, place = rng.choice(PRODUCTS), rng.choice(PLACES)
        extra = (
            f"\n\nThis applies to the {product} bought in our {place} store or online "
            f"(reference {n}), for orders since {2015 + n % 10}."
        )
        made.append(
            {
                "slug": f"{base['slug']}-{n}",
                "title": f"{base['title']}: {product} ({place})",
                "body": base["body"] + extra,
            }
        )
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--bot-turns", type=int, default=200)
    args = parser.parse_args()
    ensure_database(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import numpy as np
    from django.db import connection, transaction
    from django.utils import timezone

    from knowledge import embeddings, selectors, services
    from knowledge.models import Article, Passage
    from knowledge.text import render_markdown, split_passages

    rng = random.Random(15)
    Article.objects.all().delete()

    before_model = rss_mb()
    started = time.perf_counter()
    model = embeddings.embedder()
    load_ms = (time.perf_counter() - started) * 1000
    model_mb = rss_mb() - before_model

    articles = make_articles(args.articles, rng)
    now = timezone.now()
    rows = [
        Article(
            slug=a["slug"],
            title=a["title"],
            locale="en",
            body_markdown=a["body"],
            body_html=render_markdown(a["body"]),
            status=Article.Status.PUBLISHED,
            published_at=now,
            created_at=now,
            updated_at=now,
        )
        for a in articles
    ]
    Article.objects.bulk_create(rows, batch_size=1000)
    stored = list(Article.objects.order_by("id"))

    # Embedding alone (what publishing one article costs in the model), then indexing.
    texts = [
        f"{a.title}. {p.heading}. {p.text}"
        for a in stored
        for p in split_passages(title=a.title, source=a.body_markdown)
    ]
    started = time.perf_counter()
    for i in range(0, len(texts), 512):
        model.embed_passages(texts[i : i + 512])
    embed_s = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, len(stored), 500):
        with transaction.atomic():
            services.index_articles(stored[i : i + 500])
    index_s = time.perf_counter() - started
    selectors.index_changed()
    passages = Passage.objects.count()

    questions = json.loads((ROOT / "tests" / "fixtures" / "knowledge_questions.json").read_text())[
        "questions"
    ]
    asked = [q["q"] for q in questions if q["locale"] == "en"]
    asked = [asked[i % len(asked)] for i in range(args.queries)]

    before_matrix = rss_mb()
    selectors.search(question="warm up", locale="en")  # loads the vectors once
    matrix_mb = rss_mb() - before_matrix

    fts = [timed(selectors.fts_ranking, question=q, locale="en") for q in asked]
    emb = [timed(selectors.embedding_ranking, question=q, locale="en") for q in asked]
    hybrid = [timed(selectors.search, question=q, locale="en") for q in asked]
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('knowledge_passage'))")
        table_size = cursor.fetchone()[0]

    print(f"model: {model.name}, {model.dimensions} dimensions")
    print(f"  load {load_ms:.0f} ms, resident memory +{model_mb:.0f} MB in this process")
    print(
        f"articles: {len(stored)}, passages: {passages}, table {table_size}; "
        f"vectors in memory +{matrix_mb:.0f} MB"
    )
    print(
        f"  embedding: {embed_s / len(stored) * 1000:.3f} ms per article "
        f"({embed_s / len(texts) * 1000:.3f} ms per passage); indexing (split, embed, "
        f"store, tsvector): {index_s / len(stored) * 1000:.2f} ms per article"
    )
    for name, values in (("bare FTS", fts), ("embedding", emb), ("hybrid", hybrid)):
        print(
            f"  search {name:>9}: p50 {statistics.median(values):6.1f} ms  "
            f"p99 {percentile(values, 99):6.1f} ms  ({len(values)} queries)"
        )

    # Exact cosine alone at growing sizes: where brute force stops being fast enough.
    query = model.embed_queries(["where is my parcel"])[0]
    for size in (30_000, 100_000, 300_000, 1_000_000):
        matrix = np.random.default_rng(1).standard_normal(
            (size, model.dimensions), dtype=np.float32
        )
        runs = [timed(lambda m=matrix: np.argpartition(-(m @ query), 50)[:50]) for _ in range(20)]
        print(
            f"  exact cosine over {size:>9,} passages: p50 {statistics.median(runs):7.1f} ms, "
            f"{matrix.nbytes / 2**20:5.0f} MB"
        )
        del matrix

    bot_rate = bench_bot(args.bot_turns, asked)
    print(f"bot: {bot_rate:.1f} answers per second (search, answer, message queued)")


def bench_bot(turns: int, asked: list[str]) -> float:
    from django.db import transaction

    from agents.models import Team
    from bot import services as bot_services
    from channels_app.models import ChannelEndpoint
    from channels_app.types import InboundMessage
    from conversations.services import receive_message
    from customers.identities import scoped_external_id

    endpoint = ChannelEndpoint.objects.create(
        kind="api", name="Bench bot", config={"bot": {"enabled": True}}
    )
    team = Team.objects.create(name=f"Bench bot {endpoint.pk}")
    team.endpoints.add(endpoint)
    message_ids = []
    for n in range(turns):
        with transaction.atomic():
            message = receive_message(
                endpoint=endpoint,
                inbound=InboundMessage(
                    provider_id=f"bench-{endpoint.pk}-{n}",
                    identities={"external": scoped_external_id(endpoint.key, f"c{n}")},
                    text=asked[n % len(asked)],
                    sender_name="Bench",
                ),
            )
        message_ids.append(message.pk)
    started = time.perf_counter()
    outcomes = [bot_services.respond(message_id=pk) for pk in message_ids]
    elapsed = time.perf_counter() - started
    answered = sum(outcome.startswith("answered") for outcome in outcomes)
    print(f"  bot turns: {turns}, answered {answered}, others {turns - answered}")
    return turns / elapsed


if __name__ == "__main__":
    main()
