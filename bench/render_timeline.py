"""Timeline render benchmark: a conversation pane of a few hundred messages rendered with
each body folded and sanitised at render (what the pane did before bodies were stored),
against the same pane printing the bodies stored when the messages were written
(`Message.body_html`), both in the same run.

    .venv/bin/python bench/render_timeline.py
    .venv/bin/python bench/render_timeline.py --messages 600 --repeat 30

The messages are built in memory (no database): a third HTML emails with a quoted
thread, a third plain-text replies with `>` quotes, a third short chat messages. Each
render goes through the pane's own code, `presenters.timeline_entries` and the
`_timeline_item.html` template per item. "at render" computes every body first, as a
cold render did (content this process had not memoised: new messages, and every view
past the 1,024 bodies the old memo held). Printed: median ms per pane of each, and
their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# The script's own folder comes first on sys.path, where bench/routing.py would shadow
# the routing app: drop the folder before anything imports it.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != Path(__file__).parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ["DJANGO_SETTINGS_MODULE"] = "omnidesk.settings"
os.environ.setdefault("DJANGO_DEBUG", "1")  # no collected static files needed
os.environ.setdefault("LOG_LEVEL", "WARNING")

QUOTE = (
    "Hi team,<br>the parcel for order {n} has not arrived yet. Could you check the "
    "tracking number and tell me when it will be delivered?<br>Thanks, Dana"
)


def html_email(n: int) -> str:
    """An HTML reply on top of a thread of earlier messages, each quoted inside the last."""
    thread = ""
    for depth in range(6):
        thread = (
            f"<p>On Mon, {depth + 1} Mar 2025, support wrote:</p>"
            f"<blockquote type='cite'><div dir='ltr'>{QUOTE.format(n=n)}</div>{thread}</blockquote>"
        )
    return (
        f"<div dir='ltr'><p>Hello, any news on order <b>{n}</b>?</p>"
        f"<table><tr><td>Order</td><td>{n}</td></tr></table>"
        f"<p><a href='https://shop.example/orders/{n}'>My order</a></p></div>{thread}"
    )


def text_reply(n: int) -> str:
    quoted = "\n".join(f"> {line}" for line in QUOTE.format(n=n).split("<br>") * 8)
    return f"Thanks, that works for order {n}.\n\nOn Mon, 3 Mar 2025 Alice wrote:\n{quoted}"


def build_items(count: int) -> list:
    from django.utils import timezone

    from conversations.display import render_message_body
    from conversations.models import Message
    from conversations.selectors import TimelineItem

    now = timezone.now()
    items = []
    for n in range(count):
        kind = n % 3
        message = Message(
            pk=n + 1,
            conversation_id=1,
            direction=Message.Direction.INBOUND,
            kind=Message.Kind.CUSTOMER,
            channel=("email", "email", "whatsapp")[kind],
            sender_name="Dana Scully",
            subject="Where is my parcel?" if kind == 0 else "",
            text="" if kind == 0 else (text_reply(n) if kind == 1 else f"Any news on {n}?"),
            html=html_email(n) if kind == 0 else "",
            delivery_status=Message.DeliveryStatus.RECEIVED,
            metadata={},
            created_at=now,
        )
        message.body_html = render_message_body(text=message.text, html=message.html)
        message.has_attachments = False
        items.append(TimelineItem(at=now, kind="message", conversation_id=1, item=message))
    return items


def render_pane(items: list) -> str:
    from django.template.loader import render_to_string

    from conversations.presenters import timeline_entries

    context = {"history": False, "other_conversation": False}
    return "".join(
        render_to_string("conversations/_timeline_item.html", {**context, "e": entry})
        for entry in timeline_entries(items, customer_name="Dana Scully")
    )


def render_pane_folding_at_render(items: list) -> str:
    from conversations.display import render_message_body

    for entry in items:
        message = entry.item
        message.body_html = render_message_body(text=message.text, html=message.html)
    return render_pane(items)


def interleaved_medians_ms(functions: list, repeat: int) -> list[float]:
    """Median of each function, run in turns so that a machine slowing down or speeding
    up during the run weighs on all of them alike (their ratio is what counts)."""
    for function in functions:
        function()
    samples: list[list[float]] = [[] for _ in functions]
    for _ in range(repeat):
        for function, timings in zip(functions, samples, strict=True):
            started = time.perf_counter()
            function()
            timings.append((time.perf_counter() - started) * 1000)
    return [statistics.median(timings) for timings in samples]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    import django

    django.setup()
    items = build_items(args.messages)
    assert render_pane(items) == render_pane_folding_at_render(items)  # the same page
    at_render_ms, stored_ms = interleaved_medians_ms(
        [lambda: render_pane_folding_at_render(items), lambda: render_pane(items)],
        args.repeat,
    )
    size = sum(len(item.item.text) + len(item.item.html) for item in items)
    print(f"timeline of {args.messages} messages ({size / 1024:.0f} KiB of text and HTML)")
    print(f"  folded and sanitised at render  {at_render_ms:9.2f} ms")
    print(f"  stored when written             {stored_ms:9.2f} ms")
    print(f"  ratio                           {at_render_ms / stored_ms:9.2f}x")


if __name__ == "__main__":
    main()
