"""What the demo desk's customers and agents say: the people, the shop's catalogue and the
kinds of request a help desk of an outdoor-gear shop answers all day. Plain data, read by
`omnidesk.demo`, which turns it into conversations through the real services.

Placeholders in the texts: {first} (the customer's first name), {order}, {product},
{tracking} and {code}."""

from __future__ import annotations

from dataclasses import dataclass, field

BRAND = "Northwind Outdoor"
SUPPORT_ADDRESS = "support@northwind-outdoor.example"

PRODUCTS = (
    "Trailhead 2 tent",
    "Alpine shell jacket",
    "Ridge 30 backpack",
    "Summit 45 backpack",
    "Glacier -5 sleeping bag",
    "Canyon hiking boots",
    "Drift trail runners",
    "Ember camp stove",
    "Nimbus down vest",
    "Harbor rain trousers",
    "Pathfinder trekking poles",
    "Lumen 400 head torch",
)
DISCOUNT_CODES = ("WELCOME15", "SPRING20", "TRAIL10", "CLUB25")


@dataclass(frozen=True)
class Person:
    """A customer of the demo and the channels they use, the first one first (most
    people stick to one or two). The first channel gives the customer record its
    identity; an agent adds the email address or phone number they mention."""

    name: str
    email: str = ""
    phone: str = ""
    messenger: str = ""
    instagram: str = ""
    telegram: str = ""
    webchat: str = ""
    channels: tuple[str, ...] = ()
    # What the shop's order system (the API channel) says about them.
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def first(self) -> str:
        return self.name.split()[0]


def _person(name: str, *channels: str, phone: str = "", vip: bool = False) -> Person:
    first, _, last = name.partition(" ")
    slug = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
    return Person(
        name=name,
        email=f"{slug}@example.com" if {"email", "webform", "api"} & set(channels) else "",
        phone=phone,
        channels=channels,
        # The shop's order system tells the desk who its best customers are.
        attributes={"tier": "VIP"} if vip else {},
    )


def _with_app_ids(people: tuple[Person, ...]) -> tuple[Person, ...]:
    """Messenger, Instagram, Telegram and web-chat ids in the providers' shapes, stable
    per position in the list."""
    result = []
    for index, person in enumerate(people):
        channels = set(person.channels)
        result.append(
            Person(
                name=person.name,
                email=person.email,
                phone=person.phone,
                messenger=f"{7310042000000 + index * 7919}" if "messenger" in channels else "",
                instagram=f"{17841400000000 + index * 104729}" if "instagram" in channels else "",
                telegram=f"{5120000 + index * 613}" if "telegram" in channels else "",
                webchat=f"v-demo{index:04d}" if "webchat" in channels else "",
                channels=person.channels,
                attributes=person.attributes,
            )
        )
    return tuple(result)


# Phones are in the 555-01xx range of the North American plan reserved for fiction.
PEOPLE: tuple[Person, ...] = _with_app_ids(
    (
        _person("Ana Silva", "webchat", "email"),
        _person("Ben Okafor", "sms", "whatsapp", phone="+14155550111"),
        _person("Chloe Moreau", "instagram", "email"),
        _person("Dmitri Volkov", "telegram"),
        _person("Emeka Nwosu", "whatsapp", "email", phone="+14155550112"),
        _person("Fatima Haddad", "email", "api", phone="+14155550113"),
        _person("Giulia Romano", "messenger"),
        _person("Hiro Tanaka", "webchat", "email"),
        _person("Ines Duarte", "sms", phone="+14155550114"),
        _person("Jonas Schmidt", "email"),
        _person("Kemal Aydin", "whatsapp", phone="+14155550115"),
        _person("Lucia Fernandez", "instagram"),
        _person("Mateo Ruiz", "webform", "email"),
        _person("Nadia Kowalski", "messenger", "email"),
        _person("Oskar Lindqvist", "webchat", "email"),
        _person("Priya Raman", "whatsapp", "sms", phone="+14155550116"),
        _person("Quentin Dubois", "email"),
        _person("Rosa Jimenez", "sms", "whatsapp", phone="+14155550117"),
        _person("Sven Olsen", "telegram", "email"),
        _person("Tariq Mansour", "email", "api", phone="+14155550118", vip=True),
        _person("Uma Patel", "webchat"),
        _person("Viktor Horvat", "whatsapp", phone="+14155550119"),
        _person("Wen Li", "instagram", "email"),
        _person("Xavier Laurent", "email"),
        _person("Yara Haddad", "sms", phone="+14155550120"),
        _person("Zoe Clarke", "webchat", "email"),
        _person("Aiko Mori", "email", "webform"),
        _person("Bruno Costa", "whatsapp", "sms", phone="+14155550121"),
        _person("Carmen Vidal", "messenger"),
        _person("Diego Alvarez", "telegram"),
        _person("Elif Demir", "email"),
        _person("Finn O'Brien", "webchat", "email"),
        _person("Greta Berg", "whatsapp", phone="+14155550122"),
        _person("Hannah Weiss", "email", "api", phone="+14155550123", vip=True),
        _person("Isaac Cohen", "sms", phone="+14155550124"),
        _person("Julia Nowak", "instagram", "email"),
        _person("Kofi Asante", "api", "email", phone="+14155550125"),
        _person("Laura Becker", "api", "email"),
    )
)


# --- Kinds of request ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One kind of request, as it goes in a typical conversation: the customer's opener,
    the agent's answer, a follow-up and its answer, the customer's last word, and a
    question an agent may have to ask first (the conversation then waits on the customer,
    who answers with `info`)."""

    subject: str
    opener: str
    reply: str
    follow_up: str
    answer: str
    thanks: str
    ask: str
    info: str
    tags: tuple[str, ...] = ()
    # A routing rule sends it to Support when it arrives on a messaging app.
    routed_to_support: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        subject="Where is my order {order}?",
        opener=(
            "Hi, I ordered the {product} last week (order {order}) and the tracking page "
            "hasn't moved for three days. Any idea where it is?"
        ),
        reply=(
            "Sorry for the wait! I checked with the courier: the parcel was held at their "
            "hub after a scanning fault and went out for delivery this morning. You can "
            "follow it here: {tracking}."
        ),
        follow_up=(
            "Still nothing today. Tracking says 'delivery attempted' but I was home all day."
        ),
        answer=(
            "That's frustrating, I'm sorry. I've opened a claim with the courier and booked "
            "a redelivery for tomorrow before noon. If it doesn't turn up by then, I'll send "
            "a replacement straight away."
        ),
        thanks="It arrived this morning. Thanks for chasing it!",
        ask=(
            "Could you confirm the delivery address? The courier says the house number is "
            "missing on the label."
        ),
        info="Oh, sorry: it's number 14, second floor.",
        tags=("shipping",),
    ),
    Scenario(
        subject="{product} arrived damaged",
        opener=(
            "My {product} arrived today but the box was crushed and one of the parts is "
            "bent. Order {order}. What can I do?"
        ),
        reply=(
            "I'm sorry it arrived like that. I've sent you a prepaid return label by email; "
            "a replacement goes out as soon as the courier scans the return."
        ),
        follow_up="Label received, dropped it off at the post office just now.",
        answer=(
            "Perfect, the return is already scanned. Your replacement ships today with "
            "express delivery, tracking {tracking}."
        ),
        thanks="Replacement is here and it's perfect. Thank you!",
        ask="Could you send me a photo of the damage? It helps us file the claim with the courier.",
        info="Here you go, photo attached. The pole is bent at the second joint.",
        tags=("damaged",),
    ),
    Scenario(
        subject="Exchange the {product} for a bigger size",
        opener=(
            "The {product} I got fits too tight. Can I swap it for one size up? Order {order}."
        ),
        reply=(
            "Of course! Exchanges are free within 30 days. I've reserved the next size up "
            "for you and emailed a return label; we ship the new one as soon as the return "
            "is on its way."
        ),
        follow_up="Great, do I need to include the original tags?",
        answer="Yes please, tags on and in the original bag if you still have it.",
        thanks="Sent it back today, thanks for the quick help.",
        ask="Which size would you like instead? The M and the L are both in stock.",
        info="The L please.",
        tags=("returns",),
    ),
    Scenario(
        subject="Refund for order {order} not received",
        opener=(
            "I returned the {product} two weeks ago and still haven't seen the refund. "
            "Order {order}."
        ),
        reply=(
            "I can see the return arrived at our warehouse on Monday. The refund was issued "
            "yesterday; it usually shows on your statement within 3 to 5 working days."
        ),
        follow_up="It's been 5 days now and my bank says nothing is pending.",
        answer=(
            "I've asked our payments team to check: the refund went out under reference "
            "RF-{order}. Your bank can trace it with that reference."
        ),
        thanks="Found it, my bank had it under a different name. All good!",
        ask="Could you tell me the last four digits of the card you paid with?",
        info="It ends in 4417.",
        tags=("billing", "returns"),
    ),
    Scenario(
        subject="Charged twice for order {order}",
        opener=(
            "I was charged twice for order {order}, I can see two payments of the same "
            "amount on my card. Please refund one of them."
        ),
        reply=(
            "You're right, the payment went through twice when the checkout page timed out. "
            "I've refunded the duplicate; it will be back on your card in a few days."
        ),
        follow_up="Thanks. Will I get a confirmation for the refund?",
        answer="Yes, a confirmation email went out a minute ago with the refund reference.",
        thanks="Got it. Thanks for sorting it so quickly.",
        ask="Could you send me a screenshot of the two payments so I can match them?",
        info="Screenshot sent. Both on the same day, 2 minutes apart.",
        tags=("billing",),
    ),
    Scenario(
        subject="Change the delivery address on {order}",
        opener=(
            "I just placed order {order} and realised it's going to my old address. Can you "
            "change it before it ships?"
        ),
        reply=(
            "Caught it in time: the order hasn't left the warehouse yet. What's the new address?"
        ),
        follow_up="It's 22 Harbour Street, flat 3, same city and postcode.",
        answer="Done, the order will go to 22 Harbour Street, flat 3. You'll get tracking tonight.",
        thanks="Brilliant, thank you!",
        ask="Is the new address a business or a home address? The courier asks.",
        info="Home address.",
        tags=("shipping",),
    ),
    Scenario(
        subject="Please cancel order {order}",
        opener="Can I cancel order {order}? I ordered the wrong colour of the {product}.",
        reply=(
            "No problem, order {order} is cancelled and the payment released. Want me to "
            "place it again in the right colour?"
        ),
        follow_up="Yes please, the dark green one.",
        answer="Done, new order placed in dark green with the same delivery options.",
        thanks="Thanks a lot!",
        ask="Just to check before I cancel: is it the whole order or only the {product}?",
        info="Only the {product}, keep the rest.",
        tags=("orders",),
    ),
    Scenario(
        subject="Discount code {code} doesn't work",
        opener=(
            "The code {code} says 'not valid' at checkout. I got it in your newsletter yesterday."
        ),
        reply=(
            "Sorry about that, the code only works on full-price items and your basket has "
            "a sale item. I've applied the discount manually: use the link I just emailed."
        ),
        follow_up="That worked, but the shipping is charged twice now?",
        answer="My mistake, I've removed the second shipping line. Total is correct now.",
        thanks="All paid, thanks!",
        ask="Which items are in your basket? I'll check which ones the code covers.",
        info="Just the {product}, size M.",
        tags=("billing",),
    ),
    Scenario(
        subject="Can't log in to my account",
        opener=("I can't log in, it says my password is wrong and the reset email never arrives."),
        reply=(
            "Your account was locked after too many attempts. I've unlocked it and sent a "
            "fresh reset link; it's valid for one hour. Check the spam folder too."
        ),
        follow_up="Got the link, but it says it expired.",
        answer="Sorry, here's a new one that's valid for 24 hours. It should work now.",
        thanks="I'm in. Thanks!",
        ask="Which email address did you sign up with? I can't find an account under this one.",
        info="Probably my work address, I'll check and send it.",
        tags=("account",),
    ),
    Scenario(
        subject="Invoice with VAT number for order {order}",
        opener=(
            "I need an invoice for order {order} with our company name and VAT number for "
            "our accounts. Can you send one?"
        ),
        reply=(
            "Of course. I've generated the invoice with your company details and sent it as "
            "a PDF to your email address."
        ),
        follow_up="Thanks, but the VAT number has a typo: it should end in 82, not 28.",
        answer="Corrected and sent again. Sorry about that!",
        thanks="Perfect, that's the one. Thanks.",
        ask="What company name and VAT number should appear on the invoice?",
        info="Highline Guides Ltd, VAT GB 293 1185 82.",
        tags=("billing",),
        routed_to_support=True,
    ),
    Scenario(
        subject="When is the {product} back in stock?",
        opener="Is the {product} coming back in stock? I'd like it in size L.",
        reply=(
            "The next delivery is expected in about two weeks. I can add you to the restock "
            "alert so you get an email the moment it's back."
        ),
        follow_up="Yes please add me. Can I pre-order?",
        answer=(
            "You're on the alert list. Pre-orders open the same day, and club members get "
            "a day's head start."
        ),
        thanks="Thanks, I'll watch my inbox.",
        ask="Which colour would you like? Only black is scheduled in the next delivery.",
        info="Black is fine.",
        tags=("stock",),
    ),
    Scenario(
        subject="Warranty claim: {product}",
        opener=(
            "The zip on my {product} broke after two months of normal use. Is that covered "
            "by the warranty?"
        ),
        reply=(
            "Yes, zips are covered for two years. We can repair it in about a week or "
            "replace it if the repair isn't possible. Which do you prefer?"
        ),
        follow_up="A repair is fine if it's quicker.",
        answer=(
            "Repair it is. I've emailed a free shipping label; it'll be back with you within "
            "7 to 10 days."
        ),
        thanks="Got it back today, good as new. Thank you!",
        ask="Could you send me a photo of the zip and your order number?",
        info="Photo attached. Order number is {order}.",
        tags=("warranty",),
    ),
    Scenario(
        subject="Gift card balance",
        opener="How do I check the balance on a gift card? The code starts with GC-88.",
        reply=(
            "Your gift card has 45.00 left and it's valid until the end of next year. You "
            "can check it any time under Account, Gift cards."
        ),
        follow_up="Can I use it together with a discount code?",
        answer="Yes, the gift card pays after the discount is applied.",
        thanks="Great, thanks!",
        ask="Could you send me the full code? I need all 16 characters to look it up.",
        info="GC-88F2-1K9Q-7ZT4.",
        tags=("billing",),
    ),
    Scenario(
        subject="Missed delivery for order {order}",
        opener=(
            "The courier left a card saying I missed the delivery of order {order}. Can it "
            "go to a pickup point instead?"
        ),
        reply=(
            "Yes! I've asked the courier to send it to the pickup point nearest to you. "
            "You'll get a text with the collection code."
        ),
        follow_up="Got the code. How long will they keep it?",
        answer="Pickup points keep parcels for 10 days.",
        thanks="Picked it up, thanks!",
        ask="Which pickup point suits you best? There's one at the station and one at the mall.",
        info="The station one please.",
        tags=("shipping",),
    ),
    Scenario(
        subject="Which sleeping bag for winter camping?",
        opener=(
            "I'm going winter camping in February, nights around -8°C. Is the Glacier -5 "
            "sleeping bag warm enough or do I need something else?"
        ),
        reply=(
            "At -8°C the Glacier -5 is at its limit, not its comfort rating. I'd pair it with "
            "our fleece liner (+4°C) or go for the Glacier -15. Happy to compare both."
        ),
        follow_up="What's the weight difference between the two options?",
        answer="Glacier -5 plus liner is 1.7 kg; the Glacier -15 is 1.9 kg but packs bigger.",
        thanks="I'll go with the -5 and the liner then. Thanks for the advice!",
        ask="Will you be sleeping in a tent or a shelter? It changes the recommendation.",
        info="In a tent, the Trailhead 2.",
        tags=("advice",),
    ),
    Scenario(
        subject="Trailblazer club membership renewal",
        opener=(
            "My Trailblazer club membership renewed automatically. I didn't want that, can "
            "you cancel it?"
        ),
        reply=(
            "I've cancelled the renewal and refunded the fee in full. Your membership stays "
            "active until the end of this month."
        ),
        follow_up="Will I lose my points?",
        answer="Points stay on your account for 12 months, you can still use them.",
        thanks="Good to know, thanks.",
        ask="Could you confirm the email address on the membership so I cancel the right one?",
        info="It's the one I'm writing from.",
        tags=("account", "billing"),
    ),
    Scenario(
        subject="Return label for the {product}",
        opener="I want to return the {product}, it's not for me. Where do I get a return label?",
        reply=(
            "I've emailed you a prepaid return label. Drop the parcel at any post office "
            "within 30 days of delivery; the refund follows once we receive it."
        ),
        follow_up="Can I return it in a different box? I threw the original away.",
        answer="Any sturdy box is fine, just make sure the label is clearly visible.",
        thanks="Sent off today. Thank you!",
        ask="Is it the whole order {order} or only the {product}?",
        info="Only the {product}.",
        tags=("returns",),
    ),
    Scenario(
        subject="Do you ship to Canada?",
        opener="Do you ship to Canada? And would I have to pay customs on arrival?",
        reply=(
            "We do! Shipping to Canada takes 5 to 8 working days. Duties are included at "
            "checkout, so there's nothing to pay on arrival."
        ),
        follow_up="Is there free shipping above a certain amount?",
        answer="Yes, free international shipping on orders over 150.",
        thanks="Perfect, ordering now.",
        ask="Which province is it going to? Delivery times differ a little.",
        info="British Columbia.",
        tags=("shipping",),
    ),
    Scenario(
        subject="Price match on the {product}",
        opener=(
            "I saw the {product} 20 cheaper at another shop. Do you price match? I'd rather "
            "buy from you."
        ),
        reply=(
            "We do match prices of authorised dealers. I've checked the link: it's a genuine "
            "dealer, so I've set up the matched price for you, valid for 48 hours."
        ),
        follow_up="Does the matched price also work with my club discount?",
        answer="The club discount doesn't stack with a price match, but you'll still get points.",
        thanks="Fair enough. Ordered, thanks!",
        ask="Could you send me the link to the other shop's offer?",
        info="Here it is: https://shop.example.net/{product}",
        tags=("orders",),
    ),
    Scenario(
        subject="Tent pole snapped on first trip",
        opener=(
            "One of the poles of my {product} snapped during setup on our very first trip. "
            "Not impressed, to be honest."
        ),
        reply=(
            "That shouldn't happen, I'm sorry it spoiled your trip. A replacement pole set "
            "is on its way with express delivery, no need to send anything back."
        ),
        follow_up="Took a week to get an answer though.",
        answer=(
            "You're right, and I apologise: we had a backlog last week. I've added a 20 "
            "voucher to your account for the trouble."
        ),
        thanks="Poles arrived. Thanks for the voucher.",
        ask="Could you tell me which pole snapped (the long one or the short cross pole)?",
        info="The long one, right at the hub.",
        tags=("damaged", "warranty"),
    ),
)

# Answers customers leave with a low score: the reports' CSAT tables show them.
LOW_SCORE_COMMENTS = (
    "Took far too long to get an answer.",
    "Had to explain the same thing twice.",
    "Problem solved in the end, but it was a hassle.",
    "Nobody told me the refund would take this long.",
)
HIGH_SCORE_COMMENTS = (
    "Super quick, thank you!",
    "Friendly and helpful.",
    "",
    "",
    "Great service as always.",
)

CANNED_RESPONSES = (
    (
        "thanks",
        "Thanks for reaching out",
        "Thanks for reaching out! I'm looking into this now and will get back to you shortly.",
        "",
    ),
    (
        "tracking",
        "Ask for the order number",
        "Could you send me your order number (it starts with NW-)? I'll check the "
        "tracking right away.",
        "",
    ),
    (
        "return",
        "Return label sent",
        "I've emailed you a prepaid return label. Drop the parcel at any post office within "
        "30 days; the refund follows as soon as we receive it.",
        "",
    ),
    (
        "refund-time",
        "How long a refund takes",
        "The refund has been issued. Depending on your bank it shows on your statement "
        "within 3 to 5 working days.",
        "Support",
    ),
    (
        "warranty",
        "Warranty: ask for a photo",
        "Sorry to hear that! Everything we sell has a two-year warranty. Could you send a "
        "photo of the problem and your order number?",
        "",
    ),
    (
        "whatsapp-hours",
        "Messaging hours",
        "We answer WhatsApp, SMS and social messages every day from 8am to 8pm. Outside "
        "those hours we reply first thing in the morning.",
        "Messaging",
    ),
    (
        "closing",
        "Anything else?",
        "Is there anything else I can help you with? If not, I'll close this conversation; "
        "just reply here if anything comes up.",
        "",
    ),
)
