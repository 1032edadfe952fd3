"""The demo desk's conversations as plans: who writes on which channel when, who answers,
what happens next. Pure values, no database: `omnidesk.demo` plays them through the real
services.

Two kinds of story:
- the history: about three months of everyday requests, drawn with a seeded random
  generator from the scenarios of `omnidesk.demo_content` (so every report has data);
- the showcase: hand-written conversations that show what the desk does (a customer who
  moves from WhatsApp to email, a voicemail with its recording, an email thread with
  quoted history, a reopened thread, a merge suggestion, SLA warnings and breaches, the
  work waiting right now).

Every story has a stable key: the provider ids of its messages derive from it, which is
what makes seeding twice add nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from omnidesk.demo_content import (
    DISCOUNT_CODES,
    HIGH_SCORE_COMMENTS,
    LOW_SCORE_COMMENTS,
    PEOPLE,
    PRODUCTS,
    SCENARIOS,
    Person,
    Scenario,
)

HISTORY_DAYS = 90
SUPPORT_CHANNELS = ("email", "webchat", "webform", "api")
MESSAGING_CHANNELS = ("sms", "whatsapp", "messenger", "instagram", "telegram")
# Channels where a customer writes a letter rather than a chat line.
LETTER_CHANNELS = ("email", "webform")
AGENT_OF_TEAM = {"support": "alice", "messaging": "bob"}


# --- Steps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Says:
    """The customer writes (or calls, `call` set: the voicemail's transcription)."""

    at: datetime
    channel: str
    text: str
    subject: str = ""
    attachment: str = ""  # "photo" or "pdf"
    call: str = ""
    identities: dict[str, str] | None = None  # instead of the person's own, for the channel
    form: dict[str, str] | None = None


@dataclass(frozen=True)
class Replies:
    at: datetime
    text: str
    agent: str = ""  # default: the story's agent
    channel: str = ""  # default: the channel of the customer's latest message


@dataclass(frozen=True)
class Takes:
    """The agent assigns the conversation to themselves."""

    at: datetime
    agent: str = ""


@dataclass(frozen=True)
class Notes:
    at: datetime
    text: str
    agent: str = ""


@dataclass(frozen=True)
class Tags:
    at: datetime
    names: tuple[str, ...]


@dataclass(frozen=True)
class Links:
    """The agent adds an identity the customer gave them (an email address in a chat)."""

    at: datetime
    kind: str
    value: str


@dataclass(frozen=True)
class Moves:
    """The agent hands the conversation to another team's queue."""

    at: datetime
    team: str


@dataclass(frozen=True)
class Sets:
    """A status change; resolving sends the satisfaction survey."""

    at: datetime
    status: str
    until: datetime | None = None


@dataclass(frozen=True)
class Rates:
    """The customer answers the satisfaction survey of the latest resolution."""

    at: datetime
    score: int
    comment: str = ""


Step = Says | Replies | Takes | Notes | Tags | Links | Moves | Sets | Rates


@dataclass(frozen=True)
class Story:
    key: str
    person: Person
    agent: str
    steps: tuple[Step, ...]

    @property
    def start(self) -> datetime:
        return self.steps[0].at

    @property
    def end(self) -> datetime:
        return self.steps[-1].at


# --- Helpers shared by both kinds of story ------------------------------------------------


def team_of(channel: str) -> str:
    return "support" if channel in SUPPORT_CHANNELS else "messaging"


def letter(person: Person, text: str, *, signoff: str = "Thanks,") -> str:
    return f"Hello,\n\n{text}\n\n{signoff}\n{person.first}"


def agent_letter(person: Person, agent_first: str, text: str) -> str:
    return f"Hi {person.first},\n\n{text}\n\nBest regards,\n{agent_first}\nNorthwind Outdoor"


AGENT_FIRST = {"alice": "Alice", "bob": "Bob", "supervisor": "Sam"}


@dataclass
class _Fill:
    """The values a scenario's placeholders take in one story."""

    first: str
    order: str
    product: str
    tracking: str
    code: str

    def __call__(self, text: str) -> str:
        return text.format(
            first=self.first,
            order=self.order,
            product=self.product,
            tracking=self.tracking,
            code=self.code,
        )


# --- The history ------------------------------------------------------------------------


@dataclass
class _Writer:
    """Builds one generated story's steps, minding channel etiquette (letters on email)
    and the teams' working hours."""

    rng: random.Random
    person: Person
    agent: str
    channel: str
    fill: _Fill
    steps: list[Step] = field(default_factory=list)

    def says(self, at: datetime, text: str, *, channel: str = "", subject: str = "") -> None:
        channel = channel or self.channel
        text = self.fill(text)
        if channel in LETTER_CHANNELS:
            text = letter(self.person, text, signoff=self.rng.choice(SIGNOFFS))
        self.steps.append(Says(at, channel, text, subject=self.fill(subject)))

    def replies(self, at: datetime, text: str, *, channel: str = "") -> None:
        text = self.fill(text)
        if not channel and self.last_channel() == "webform":
            channel = "email"  # a web form cannot carry an answer back
        if (channel or self.last_channel()) == "email":
            text = agent_letter(self.person, AGENT_FIRST[self.agent], text)
        self.steps.append(Replies(at, text, channel=channel))

    def last_channel(self) -> str:
        return next(s.channel for s in reversed(self.steps) if isinstance(s, Says))

    def answering_channel(self) -> str:
        """Where the customer writes back: where they last wrote, email after a form."""
        channel = self.last_channel()
        return "email" if channel == "webform" else channel


SIGNOFFS = ("Thanks,", "Best,", "Kind regards,", "Cheers,", "Many thanks,")


def history(*, rng: random.Random, now: datetime) -> list[Story]:
    """About three months of everyday conversations, all resolved by now (the last few
    days belong to the showcase's current work). Volume grows over the period, more on
    weekdays, in office hours for email and into the evening for messaging."""
    stories: list[Story] = []
    free_from: dict[str, datetime] = {}
    seen: set[str] = set()
    first_day = now.date() - timedelta(days=HISTORY_DAYS)
    for offset in range(HISTORY_DAYS - 2):
        day = first_day + timedelta(days=offset)
        weekend = day.weekday() >= 5
        growth = 0.7 + 0.6 * offset / HISTORY_DAYS
        expected = (0.4 if weekend else 1.1) * growth
        count = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
        for _ in range(count):
            story = _generated_story(rng, day, len(stories), free_from, seen, now)
            if story is not None:
                stories.append(story)
                free_from[story.person.name] = story.end + timedelta(hours=12)
                seen.add(story.person.name)
    return stories


def _generated_story(
    rng: random.Random,
    day: date,
    number: int,
    free_from: dict[str, datetime],
    seen: set[str],
    now: datetime,
) -> Story | None:
    hour = rng.choices(
        range(24),
        weights=[1, 0, 0, 0, 0, 1, 2, 4, 7, 9, 9, 8, 6, 7, 8, 8, 7, 6, 5, 5, 4, 3, 2, 1],
    )[0]
    start = datetime.combine(day, time(hour, rng.randrange(60)), tzinfo=UTC)
    people = [p for p in PEOPLE if free_from.get(p.name, start) <= start]
    if not people:
        return None
    person = rng.choice(people)
    first_contact = person.name not in seen
    # Most people stick to their first channel, by which they first got in touch.
    if first_contact or rng.random() < 0.7:
        channel = person.channels[0]
    else:
        channel = rng.choice(person.channels)
    team = team_of(channel)
    scenario = rng.choice(SCENARIOS)
    working_team = "support" if scenario.routed_to_support else team
    agent = AGENT_OF_TEAM[working_team] if rng.random() < 0.9 else "supervisor"
    fill = _Fill(
        first=person.first,
        order=f"NW-{9000 + number * 7 + rng.randrange(7)}",
        product=rng.choice(PRODUCTS),
        tracking=f"1Z{rng.randrange(10**9, 10**10)}",
        code=rng.choice(DISCOUNT_CODES),
    )
    writer = _Writer(rng, person, agent, channel, fill)
    # A channel switch within the team's inboxes. Not for a request a routing rule sends
    # to the other team: a message on another of Messaging's inboxes would then open a
    # new conversation (continuity stays within what the arriving inbox's team sees).
    same_team = [
        c
        for c in person.channels
        if c != channel and team_of(c) == team and not scenario.routed_to_support
    ]
    shape = rng.choices(
        ["quick", "two_rounds", "waits_on_customer", "switches", "reopens", "voicemail"],
        weights=[
            40,
            25,
            15,
            12 if same_team else 0,
            6 if channel == "email" else 0,
            5 if channel == "sms" else 0,
        ],
    )[0]
    _write(writer, scenario, shape, start, same_team)
    if first_contact:
        _link_contact_details(writer, channel)
    story = Story(key=f"h{number:03d}", person=person, agent=agent, steps=tuple(writer.steps))
    # The history ends before the showcase's current work begins.
    if story.end > now - timedelta(hours=6):
        return None
    return story


# The identities a message on each channel carries (`omnidesk.demo` builds them).
GIVEN_BY_CHANNEL = {
    "email": {"email"},
    "webform": {"email", "phone"},
    "api": {"email", "phone"},
    "sms": {"phone"},
    "whatsapp": {"phone"},
}


def _link_contact_details(w: _Writer, channel: str) -> None:
    """On first contact, the agent adds the email address or phone number the customer
    mentioned to their record, so their next message on that channel finds them."""
    given = GIVEN_BY_CHANNEL.get(channel, set())
    details = {"email": w.person.email, "phone": w.person.phone}
    first_reply = next(i for i, step in enumerate(w.steps) if isinstance(step, Replies))
    at = w.steps[first_reply].at + timedelta(minutes=1)
    links = [
        Links(at, kind, value) for kind, value in details.items() if value and kind not in given
    ]
    w.steps[first_reply + 1 : first_reply + 1] = links


def _first_reply_at(rng: random.Random, at: datetime, channel: str) -> datetime:
    """When an agent first answers a message that arrived at `at`: minutes on chat and
    messaging apps, hours on email; next working morning outside the team's hours
    (Support works weekdays 8:00-18:00 UTC, Messaging every day 7:00-22:00)."""
    if channel == "webchat":
        delay = timedelta(minutes=rng.randint(1, 9))
    elif channel in MESSAGING_CHANNELS:
        delay = timedelta(minutes=rng.choice([3, 5, 8, 12, 18, 25, 40, 70]))
    else:
        delay = timedelta(minutes=rng.choice([20, 35, 50, 75, 110, 160, 240, 420]))
    return _working(at + delay, channel, rng)


def _working(at: datetime, channel: str, rng: random.Random) -> datetime:
    if team_of(channel) == "support":
        while at.weekday() >= 5 or not time(8) <= at.time() < time(18):
            if at.time() >= time(18) or at.weekday() >= 5:
                at = datetime.combine(at.date() + timedelta(days=1), time(8), tzinfo=UTC)
            else:
                at = datetime.combine(at.date(), time(8), tzinfo=UTC)
            at += timedelta(minutes=rng.randint(5, 50))
        return at
    if not time(7) <= at.time() < time(22):
        next_day = at.date() + timedelta(days=1) if at.time() >= time(22) else at.date()
        at = datetime.combine(next_day, time(7), tzinfo=UTC) + timedelta(minutes=rng.randint(5, 40))
    return at


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randint(low, high))


def _write(
    w: _Writer, scenario: Scenario, shape: str, start: datetime, same_team: list[str]
) -> None:
    rng, channel = w.rng, w.channel
    if shape == "voicemail":
        w.steps.append(Says(start, "sms", "", call=w.fill(scenario.opener)))
    else:
        w.says(start, scenario.opener, subject=scenario.subject)
    if channel == "webform":
        # A web form is answered by email, and the customer goes on by email.
        channel = w.channel = "email"
    first = _first_reply_at(rng, start, channel)
    w.steps.append(Takes(first - timedelta(minutes=1)))
    slow = first - start > timedelta(hours=8)
    if shape == "waits_on_customer":
        w.replies(first, scenario.ask)
        w.steps.append(Sets(first + timedelta(minutes=1), "pending"))
        back = first + _minutes(rng, 90, 2 * 24 * 60)
        w.says(back, scenario.info, subject=_re(scenario.subject))
        answer = _working(back + _minutes(rng, 5, 90), channel, rng)
        w.replies(answer, scenario.reply)
        end = answer
    else:
        w.replies(first, scenario.reply)
        end = first
        if shape in ("two_rounds", "switches", "reopens"):
            follow_channel = rng.choice(same_team) if shape == "switches" else channel
            back = first + _minutes(rng, 20, 26 * 60)
            w.says(back, scenario.follow_up, channel=follow_channel, subject=_re(scenario.subject))
            if rng.random() < 0.3:
                w.steps.append(Notes(back + _minutes(rng, 1, 3), rng.choice(NOTES)))
            answer = _working(back + _minutes(rng, 4, 120), follow_channel, rng)
            w.replies(answer, scenario.answer)
            end = answer
    if scenario.tags and rng.random() < 0.3:
        w.steps.append(Tags(end + timedelta(minutes=1), scenario.tags))
    if rng.random() < 0.4 or w.last_channel() == "webform":
        end = end + _minutes(rng, 10, 300)
        w.says(end, scenario.thanks, channel=w.answering_channel(), subject=_re(scenario.subject))
    resolved = end + _minutes(rng, 2, 45)
    w.steps.append(Sets(resolved, "resolved"))
    if shape == "reopens":
        again = resolved + _minutes(rng, 20 * 60, 3 * 24 * 60)
        w.says(again, REOPEN_TEXT, subject=_re(scenario.subject))
        answer = _working(again + _minutes(rng, 15, 180), "email", rng)
        w.replies(answer, REOPEN_ANSWER)
        resolved = answer + _minutes(rng, 5, 60)
        w.steps.append(Sets(resolved, "resolved"))
        slow = True
    if rng.random() < 0.6:
        w.steps.append(_rating(rng, resolved + _minutes(rng, 5, 8 * 60), slow=slow))


NOTES = (
    "Checked with the warehouse: stock confirmed, ships today.",
    "Second contact about this one; keep an eye on it.",
    "Courier claim opened, reference CL-20931.",
    "Payments team confirmed the refund went out.",
)
REOPEN_TEXT = (
    "Sorry to come back to this, but it isn't actually sorted: I've just received a second "
    "email saying the opposite. Can you check again?"
)
REOPEN_ANSWER = (
    "Apologies for the confusion, that second email was sent automatically by mistake. "
    "Everything is as I described; I've made a note on your account so it won't happen again."
)


def _re(subject: str) -> str:
    return f"Re: {subject}" if subject else ""


def _rating(rng: random.Random, at: datetime, *, slow: bool) -> Rates:
    weights = [10, 12, 18, 30, 30] if slow else [2, 4, 10, 34, 50]
    score = rng.choices([1, 2, 3, 4, 5], weights=weights)[0]
    comments = LOW_SCORE_COMMENTS if score <= 2 else HIGH_SCORE_COMMENTS
    return Rates(at, score, rng.choice(comments))


# --- The showcase ------------------------------------------------------------------------

LENA = Person(
    name="Lena Novak",
    email="lena.novak@example.com",
    phone="+14155550131",
    channels=("whatsapp", "email"),
)
MARCO = Person(name="Marco Rossi", phone="+14155550132", channels=("sms",))
YUKI = Person(name="Yuki Sato", telegram="5231977", channels=("telegram",))
KWAME = Person(name="Kwame Boateng", phone="+14155550133", channels=("whatsapp",))
SOFIA = Person(name="Sofia Marchetti", messenger="7310042999001", channels=("messenger",))
NOOR = Person(name="Noor Rahman", instagram="17841409999002", channels=("instagram",))
PETRA = Person(name="Petra Lindgren", email="petra@highline-guides.example", channels=("email",))
LEO = Person(name="Leo Fischer", webchat="v-demo-leo", channels=("webchat",))
GRACE = Person(name="Grace Kim", email="grace.kim@example.com", channels=("webform",))
DANIEL = Person(
    name="Daniel Mensah",
    email="daniel.mensah@example.com",
    phone="+14155550134",
    channels=("sms", "email", "api"),
)
OLIVIA = Person(name="Olivia Brown", email="olivia.brown@example.com", channels=("email",))
HUGO = Person(name="Hugo Martin", email="hugo.martin@example.com", channels=("email",))
AMARA = Person(name="Amara Eze", webchat="v-demo-amara", channels=("webchat",))
TOM = Person(name="Tom Becker", email="tom.becker@example.com", channels=("email",))
MEI = Person(
    name="Mei Chen", email="mei.chen@example.com", webchat="v-demo-mei", channels=("webchat",)
)
RAFAEL = Person(name="Rafael Santos", phone="+14155550135", channels=("sms", "whatsapp"))
ELLA = Person(name="Ella Wright", email="ella.wright@example.com", channels=("email",))
VICTORIA = Person(
    name="Victoria Hale",
    email="victoria.hale@example.com",
    phone="+14155550137",
    channels=("api",),
    attributes={"tier": "VIP"},
)
FARAH = Person(
    name="Farah Qureshi",
    email="farah@ridgewalkers.example",
    phone="+14155550136",
    channels=("webform", "email"),
)


def showcase(*, now: datetime) -> list[Story]:
    """Hand-written conversations: a few in the recent past (threads, a reopen, handoffs,
    the two records of one person), then the work waiting right now. Times count back
    from `now`, so the SLA warnings and breaches are the same whenever the demo is
    loaded."""

    def ago(days: float = 0, hours: float = 0, minutes: float = 0) -> datetime:
        return now - timedelta(days=days, hours=hours, minutes=minutes)

    stories = [
        *_recent_past(ago),
        *_waiting_now(ago, now),
    ]
    return stories


def _recent_past(ago) -> list[Story]:
    t = ago(days=12, hours=5)
    double_charge = Story(
        key="s-double-charge",
        person=OLIVIA,
        agent="alice",
        steps=(
            Says(
                t,
                "email",
                letter(
                    OLIVIA,
                    "I was charged twice for order NW-10234 (the Ridge 30 backpack): two "
                    "payments of 89.00 on the same day. Could you refund one of them?",
                    signoff="Kind regards,",
                ),
                subject="Charged twice for order NW-10234",
            ),
            Takes(t + timedelta(minutes=40)),
            Replies(
                t + timedelta(minutes=42),
                agent_letter(
                    OLIVIA,
                    "Alice",
                    "You're right, and I'm sorry: the payment went through twice when the "
                    "checkout page timed out. I've refunded the duplicate payment of 89.00; "
                    "it will be back on your card within 3 to 5 working days.",
                ),
            ),
            Says(
                t + timedelta(hours=3),
                "email",
                letter(
                    OLIVIA,
                    "Thank you! Will I get a confirmation for the refund? My bank asks for "
                    "a reference.",
                    signoff="Best,",
                ),
                subject="Re: Charged twice for order NW-10234",
            ),
            Replies(
                t + timedelta(hours=3, minutes=25),
                agent_letter(
                    OLIVIA,
                    "Alice",
                    "Of course: the refund reference is RF-10234-2. A confirmation email "
                    "with it is on its way too.",
                ),
            ),
            Says(
                t + timedelta(hours=4),
                "email",
                letter(OLIVIA, "Perfect, got it. Thanks for the quick help!", signoff="Best,"),
                subject="Re: Charged twice for order NW-10234",
            ),
            Sets(t + timedelta(hours=4, minutes=10), "resolved"),
            Rates(t + timedelta(hours=6), 4, "Quick and clear."),
        ),
    )
    t = ago(days=26, hours=3)
    reopened = Story(
        key="s-boots-reopened",
        person=HUGO,
        agent="alice",
        steps=(
            Says(
                t,
                "email",
                letter(
                    HUGO,
                    "The sole of my left Canyon hiking boot is coming off after six weeks. "
                    "Order NW-10102. Can I get them repaired or replaced?",
                ),
                subject="Canyon boots: sole coming off",
            ),
            Takes(t + timedelta(hours=2)),
            Replies(
                t + timedelta(hours=2, minutes=5),
                agent_letter(
                    HUGO,
                    "Alice",
                    "That's covered by the warranty. I've emailed you a free return label; "
                    "we'll send a new pair as soon as the courier picks up the old one.",
                ),
            ),
            Sets(t + timedelta(hours=2, minutes=10), "resolved"),
            Rates(t + timedelta(hours=5), 4),
            Says(
                t + timedelta(days=3, hours=1),
                "email",
                letter(
                    HUGO,
                    "The courier came for the boots on Monday but I haven't received the "
                    "new pair, and the label email says 'repair', not 'replacement'. "
                    "Could you check?",
                    signoff="Regards,",
                ),
                subject="Re: Canyon boots: sole coming off",
            ),
            Replies(
                t + timedelta(days=3, hours=2),
                agent_letter(
                    HUGO,
                    "Alice",
                    "You're right, the label was created as a repair by mistake. I've "
                    "changed it to a replacement and the new pair left our warehouse this "
                    "morning, tracking 1Z8840021775.",
                ),
            ),
            Sets(t + timedelta(days=3, hours=2, minutes=5), "resolved"),
            Rates(t + timedelta(days=3, hours=9), 2, "Had to write twice to get it sorted."),
        ),
    )
    t = ago(days=8, hours=2)
    chat_to_email = Story(
        key="s-chat-to-email",
        person=MEI,
        agent="alice",
        steps=(
            Says(
                t,
                "webchat",
                "Hi! Do you have the Glacier -15 sleeping bag in the long version?",
            ),
            Takes(t + timedelta(minutes=2)),
            Replies(
                t + timedelta(minutes=3),
                "Hi Mei! We do, the long fits up to 198 cm. I can email you the size chart "
                "and the stock per colour; what's your email address?",
            ),
            Says(t + timedelta(minutes=5), "webchat", "mei.chen@example.com, thanks!"),
            Links(t + timedelta(minutes=6), "email", MEI.email),
            Replies(
                t + timedelta(minutes=8),
                agent_letter(
                    MEI,
                    "Alice",
                    "As promised, the size chart for the Glacier -15 is below. The long "
                    "version is in stock in blue and orange.",
                ),
                channel="email",
            ),
            Says(
                t + timedelta(hours=20),
                "email",
                letter(MEI, "Ordered the long one in orange. Thanks for the help!"),
                subject="Re: Glacier -15 long",
            ),
            Sets(t + timedelta(hours=20, minutes=30), "resolved"),
            Rates(t + timedelta(hours=23), 5, "Loved getting the details by email."),
        ),
    )
    t = ago(days=5, hours=7)
    sms_to_whatsapp = Story(
        key="s-sms-to-whatsapp",
        person=RAFAEL,
        agent="bob",
        steps=(
            Says(
                t,
                "sms",
                "Hi, the Ember camp stove I bought won't light. The igniter clicks but "
                "nothing happens. Order NW-10461",
            ),
            Takes(t + timedelta(minutes=9)),
            Replies(
                t + timedelta(minutes=10),
                "Hi Rafael, sorry about that! Could you send a short video of it clicking? "
                "WhatsApp on this same number is easiest.",
            ),
            Says(
                t + timedelta(minutes=30),
                "whatsapp",
                "Here it is on WhatsApp. You can hear the click but there's no spark.",
            ),
            Replies(
                t + timedelta(minutes=38),
                "Thanks, that's a faulty igniter. A replacement stove is on its way, "
                "tracking 1Z9921004431. No need to return the old one.",
            ),
            Says(t + timedelta(hours=26), "whatsapp", "New stove works perfectly, thanks Bob!"),
            Sets(t + timedelta(hours=26, minutes=5), "resolved"),
        ),
    )
    t = ago(days=19, hours=6)
    complaint = Story(
        key="s-complaint",
        person=TOM,
        agent="supervisor",
        steps=(
            Says(
                t,
                "email",
                letter(
                    TOM,
                    "One of the poles of my Trailhead 2 tent snapped during setup on our "
                    "very first trip. We had to sleep in the car. Not impressed.",
                    signoff="Tom",
                ),
                subject="Tent pole snapped on first trip",
            ),
            Takes(t + timedelta(days=2, hours=3)),
            Replies(
                t + timedelta(days=2, hours=3, minutes=5),
                agent_letter(
                    TOM,
                    "Sam",
                    "I'm very sorry, that should never happen, and I'm sorry it took us two "
                    "days to answer. A replacement pole set is on its way with express "
                    "delivery, and I've added a 20.00 voucher to your account.",
                ),
            ),
            Sets(t + timedelta(days=2, hours=3, minutes=10), "resolved"),
            Rates(t + timedelta(days=2, hours=6), 1, "Two days to get an answer."),
        ),
    )
    t = ago(days=40, hours=4)
    daniel_by_sms = Story(
        key="s-daniel-sms",
        person=Person(name="Daniel Mensah", phone=DANIEL.phone, channels=("sms",)),
        agent="bob",
        steps=(
            Says(t, "sms", "Hi, can I still return the Drift trail runners? Bought 3 weeks ago."),
            Takes(t + timedelta(minutes=12)),
            Replies(
                t + timedelta(minutes=13),
                "Hi Daniel! Yes, returns are free within 30 days. I've texted you the return link.",
            ),
            Says(t + timedelta(minutes=20), "sms", "Got it, thanks"),
            Sets(t + timedelta(minutes=25), "resolved"),
            Rates(t + timedelta(hours=1), 5),
        ),
    )
    t = ago(days=18, hours=1)
    daniel_by_email = Story(
        key="s-daniel-email",
        person=Person(name="Daniel Mensah", email=DANIEL.email, channels=("email",)),
        agent="alice",
        steps=(
            Says(
                t,
                "email",
                letter(
                    DANIEL,
                    "Is the Alpine shell jacket's hood removable? Thinking of buying one.",
                ),
                subject="Alpine shell jacket hood",
            ),
            Takes(t + timedelta(hours=1)),
            Replies(
                t + timedelta(hours=1, minutes=2),
                agent_letter(
                    DANIEL,
                    "Alice",
                    "It isn't removable, but it rolls into the collar and stays put with a "
                    "tab. Happy to help if you have more questions!",
                ),
            ),
            Sets(t + timedelta(hours=1, minutes=5), "resolved"),
        ),
    )
    t = ago(days=15, hours=2)
    club_discount = Story(
        key="s-club-form",
        person=FARAH,
        agent="alice",
        steps=(
            Says(
                t,
                "webform",
                "I run a hiking club of 24 members. Do you offer a group discount if we "
                "order rain jackets together?",
                subject="Group discount for a hiking club",
                form={"company": "Ridge Walkers", "members": "24"},
            ),
            Takes(t + timedelta(hours=1)),
            Replies(
                t + timedelta(hours=1, minutes=5),
                agent_letter(
                    FARAH,
                    "Alice",
                    "We do: clubs get 15% off orders of 10 items or more. I've set up the "
                    "code CLUB15RW for you, valid until the end of next month.",
                ),
                channel="email",
            ),
            Says(
                t + timedelta(hours=5),
                "email",
                letter(FARAH, "Wonderful, we'll order next week. Thank you!", signoff="Best,"),
                subject="Re: Group discount for a hiking club",
            ),
            Sets(t + timedelta(hours=5, minutes=20), "resolved"),
            Rates(t + timedelta(hours=8), 5, "Clear answer, nice discount."),
        ),
    )
    t = ago(days=6, hours=4)
    vip_order = Story(
        key="s-vip-order",
        person=VICTORIA,
        agent="alice",
        steps=(
            Says(
                t,
                "api",
                "Can I add a second pair of Pathfinder trekking poles to order NW-10498 "
                "before it ships?",
                subject="Add an item to order NW-10498",
            ),
            Takes(t + timedelta(minutes=6)),
            Replies(
                t + timedelta(minutes=8),
                "Hi Victoria, done: the second pair is added to NW-10498 and it all ships "
                "together tomorrow. As a club member, the extra shipping is on us.",
            ),
            Sets(t + timedelta(minutes=10), "resolved"),
            Rates(t + timedelta(hours=2), 5, "Fast as always."),
        ),
    )
    return [
        vip_order,
        club_discount,
        daniel_by_sms,
        reopened,
        complaint,
        daniel_by_email,
        double_charge,
        chat_to_email,
        sms_to_whatsapp,
    ]


def _waiting_now(ago, now: datetime) -> list[Story]:
    """The work waiting right now. Messaging's queue has an SLA warning (WhatsApp, 13
    minutes old) and a breach (Messenger); Support's has the WhatsApp-then-email
    customer, a web chat past its 5-minute target and a merge suggestion. Bob has open
    conversations of his own; Alice's are waiting on customers."""
    t = ago(hours=20)
    lena = Story(
        key="s-lena",
        person=LENA,
        agent="bob",
        steps=(
            Says(
                t,
                "whatsapp",
                "Hi! The zip on my new Alpine shell jacket broke on the first hike 😕 Is "
                "that covered by the warranty? Order NW-10391",
            ),
            Replies(
                t + timedelta(minutes=15),
                "Hi Lena, sorry to hear that! Zips are covered by our two-year warranty. "
                "Could you email a couple of photos of the zip to "
                "support@northwind-outdoor.example? What's your email address, so I can "
                "add it to your profile?",
            ),
            Says(
                t + timedelta(minutes=22),
                "whatsapp",
                "Sure, it's lena.novak@example.com. I'll send the photos tomorrow morning.",
            ),
            Links(t + timedelta(minutes=24), "email", LENA.email),
            Replies(
                t + timedelta(minutes=25),
                "Thanks Lena, added! Send the photos whenever it suits you and we'll take it "
                "from there.",
            ),
            Notes(t + timedelta(minutes=26), "Warranty claim: over to Support for the photos."),
            Moves(t + timedelta(minutes=27), "Support"),
            Says(
                ago(hours=2, minutes=10),
                "email",
                letter(
                    LENA,
                    "As promised on WhatsApp, here's a photo of the broken zip on my Alpine "
                    "shell jacket (order NW-10391). The slider came off completely.",
                    signoff="Best,",
                ),
                subject="Photos of the broken zip - order NW-10391",
                attachment="photo",
            ),
        ),
    )
    marco = Story(
        key="s-marco",
        person=MARCO,
        agent="bob",
        steps=(
            Says(
                ago(hours=3),
                "sms",
                "",
                call=(
                    "Hi, this is Marco Rossi, order NW-10544. I sent back the Canyon hiking "
                    "boots ten days ago and haven't heard anything since. Could someone call "
                    "or text me back? Thanks."
                ),
            ),
            Takes(ago(hours=2, minutes=52)),
            Replies(
                ago(hours=2, minutes=50),
                "Hi Marco, it's Bob from Northwind Outdoor, thanks for your voicemail. Your "
                "boots reached our warehouse yesterday and the refund is being processed "
                "today. I'll text you the reference as soon as it's issued.",
            ),
            Says(
                ago(minutes=26),
                "sms",
                "Thanks Bob. Could the refund be store credit instead? I'd like the Drift "
                "trail runners in 44.",
            ),
        ),
    )
    yuki = Story(
        key="s-yuki",
        person=YUKI,
        agent="bob",
        steps=(
            Says(
                ago(hours=5),
                "telegram",
                "Hello! Do you ship to Japan? I'd like the Summit 45 backpack.",
            ),
            Takes(ago(hours=4, minutes=52)),
            Replies(
                ago(hours=4, minutes=50),
                "Hi Yuki! Yes, we ship to Japan: 6 to 9 working days, duties included at checkout.",
            ),
            Says(
                ago(hours=4, minutes=40), "telegram", "Great. Is the 45 L fine as airline carry-on?"
            ),
            Replies(
                ago(hours=4, minutes=31),
                "It's 58 x 32 x 24 cm, a little over most carry-on limits. The Ridge 30 fits "
                "all of them.",
            ),
            Says(
                ago(hours=1, minutes=10),
                "telegram",
                "Then the Ridge 30 in green please. Is green in stock?",
            ),
        ),
    )
    kwame = Story(
        key="s-kwame",
        person=KWAME,
        agent="bob",
        steps=(
            Says(
                ago(minutes=13),
                "whatsapp",
                "Hi! Is the Trailhead 2 tent still on sale? The site says 20% off but my "
                "basket shows the full price.",
            ),
        ),
    )
    sofia = Story(
        key="s-sofia",
        person=SOFIA,
        agent="bob",
        steps=(
            Says(
                ago(minutes=55),
                "messenger",
                "My order NW-10561 still hasn't been dispatched after 5 days and I need the "
                "tent for a trip on Saturday. What's going on?",
            ),
        ),
    )
    noor = Story(
        key="s-noor",
        person=NOOR,
        agent="bob",
        steps=(
            Says(
                ago(minutes=4),
                "instagram",
                "Saw your reel with the Ridge 30 backpack, does it come in green? 😍",
            ),
        ),
    )
    petra = Story(
        key="s-petra",
        person=PETRA,
        agent="alice",
        steps=(
            Says(
                ago(hours=3, minutes=20),
                "email",
                letter(
                    PETRA,
                    "For our accounts I need an invoice for order NW-10488 with our company "
                    "name, Highline Guides Ltd, and our VAT number GB 293 1185 82. The order "
                    "confirmation is attached.",
                    signoff="Kind regards,",
                ),
                subject="Invoice with VAT number for order NW-10488",
                attachment="pdf",
            ),
        ),
    )
    leo = Story(
        key="s-leo",
        person=LEO,
        agent="alice",
        steps=(
            Says(
                ago(minutes=9),
                "webchat",
                "Hi, is the Summit 45 backpack allowed as cabin luggage? Flying on Friday.",
            ),
        ),
    )
    grace = Story(
        key="s-grace",
        person=GRACE,
        agent="alice",
        steps=(
            Says(
                ago(hours=5, minutes=30),
                "webform",
                "We run a small outdoor shop in Bend, Oregon and would like to stock your "
                "Ridge and Summit backpacks. Do you sell wholesale, and what are the "
                "minimum order quantities?",
                subject="Wholesale enquiry",
                form={"company": "Basecamp Bend", "country": "United States"},
            ),
        ),
    )
    # The shop's order system knows Daniel's email and phone together; the desk has him
    # twice (once from his SMS, once from his email): it suggests merging the two records.
    daniel = Story(
        key="s-daniel-api",
        person=DANIEL,
        agent="alice",
        steps=(
            Says(
                ago(hours=1, minutes=30),
                "api",
                "Order NW-10577 has been 'processing' for three days. Is something wrong with it?",
                subject="Order NW-10577 stuck in processing",
                identities={
                    "email": DANIEL.email,
                    "phone": DANIEL.phone,
                    "external": "shop-4471",
                },
            ),
        ),
    )
    ella = Story(
        key="s-ella",
        person=ELLA,
        agent="alice",
        steps=(
            Says(
                ago(hours=9, minutes=40),
                "email",
                letter(
                    ELLA,
                    "URGENT: I received the wrong item. I ordered the Nimbus down vest in "
                    "women's S and got a men's XL. I need it for a trip this weekend.",
                ),
                subject="Wrong item received - order NW-10552",
            ),
        ),
    )
    t = ago(days=2, hours=3)
    exchange = Story(
        key="s-exchange",
        person=AMARA,
        agent="alice",
        steps=(
            Says(
                t,
                "webchat",
                "Hi, I got my gift card code by email but it says it's invalid at checkout.",
            ),
            Takes(t + timedelta(minutes=3)),
            Replies(
                t + timedelta(minutes=4),
                "Hi Amara! Gift card codes are activated once the payment clears, which can "
                "take up to a day. Could you try again tomorrow and let me know here?",
            ),
            Sets(t + timedelta(minutes=5), "pending"),
        ),
    )
    t = ago(days=1, hours=4)
    jacket = Story(
        key="s-jacket-size",
        person=Person(name="Jonas Weber", email="jonas.weber@example.com", channels=("email",)),
        agent="alice",
        steps=(
            Says(
                t,
                "email",
                "Hello,\n\nThe Alpine shell jacket in M is too tight across the shoulders. "
                "Can I exchange it for an L? Order NW-10533.\n\nThanks,\nJonas",
                subject="Exchange Alpine shell jacket M for L",
            ),
            Takes(t + timedelta(minutes=50)),
            Replies(
                t + timedelta(minutes=55),
                "Hi Jonas,\n\nOf course! I've reserved an L for you and emailed a return "
                "label. As soon as the courier scans your parcel, the L ships.\n\n"
                "Best regards,\nAlice\nNorthwind Outdoor",
            ),
            Sets(t + timedelta(minutes=56), "pending"),
        ),
    )
    t = ago(days=3, hours=2)
    restock = Story(
        key="s-restock",
        person=Person(name="Clara Jensen", email="clara.jensen@example.com", channels=("email",)),
        agent="alice",
        steps=(
            Says(
                t,
                "email",
                "Hello,\n\nWhen will the Ridge 30 backpack be back in green? I'd really like "
                "that colour.\n\nBest,\nClara",
                subject="Ridge 30 in green?",
            ),
            Takes(t + timedelta(hours=1)),
            Replies(
                t + timedelta(hours=1, minutes=3),
                "Hi Clara,\n\nThe green Ridge 30 is due back in stock on Friday. I'll write "
                "to you the moment it's in.\n\nBest regards,\nAlice\nNorthwind Outdoor",
            ),
            Sets(t + timedelta(hours=1, minutes=4), "snoozed", until=now + timedelta(days=3)),
        ),
    )
    return [
        restock,
        exchange,
        jacket,
        lena,
        ella,
        grace,
        yuki,
        petra,
        marco,
        daniel,
        sofia,
        kwame,
        leo,
        noor,
    ]
