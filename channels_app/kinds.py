"""One descriptor per channel kind: every fact about a kind of channel that the rest of
the desk needs, in one place. Adding a channel adds one entry here and one adapter
(`channels_app/adapters/`); nothing else branches on a kind's name.

Policy that belongs to the provider (WhatsApp's 24-hour window) is data on the adapter
(`Adapter.free_form_window`)."""

from __future__ import annotations

from dataclasses import dataclass

from customers import identities


@dataclass(frozen=True)
class ChannelKind:
    name: str
    label: str  # what agents read beside a message ("WhatsApp")
    icon: str  # the short badge in the inbox list
    # The identity a message on this channel comes from and a reply goes to; None: any
    # identity the customer has (the generic API channel).
    identity_kind: str | None
    # Replies carry In-Reply-To and References, so mail clients thread them.
    threads_by_email: bool = False
    # A satisfaction survey is answered by replying with a bare 1-5 (messaging apps);
    # otherwise the survey carries a link to a rating page.
    answers_surveys_by_keyword: bool = False


KINDS: dict[str, ChannelKind] = {
    kind.name: kind
    for kind in (
        ChannelKind("api", "API", "API", identity_kind=None),
        ChannelKind("email", "Email", "@", identities.EMAIL, threads_by_email=True),
        ChannelKind("sms", "SMS", "SMS", identities.PHONE, answers_surveys_by_keyword=True),
        # Calls arrive on an SMS endpoint; the timeline labels them.
        ChannelKind("voice", "Voice", "Call", identities.PHONE),
        ChannelKind(
            "whatsapp", "WhatsApp", "WA", identities.PHONE, answers_surveys_by_keyword=True
        ),
        ChannelKind(
            "messenger", "Messenger", "FB", identities.MESSENGER, answers_surveys_by_keyword=True
        ),
        ChannelKind(
            "instagram", "Instagram", "IG", identities.INSTAGRAM, answers_surveys_by_keyword=True
        ),
        ChannelKind(
            "telegram", "Telegram", "TG", identities.TELEGRAM, answers_surveys_by_keyword=True
        ),
        ChannelKind("webchat", "Chat", "Chat", identities.WEBCHAT),
        ChannelKind("webform", "Form", "Form", identities.EMAIL),
    )
}

_UNKNOWN = ChannelKind("", "", "•", identity_kind=None)


def channel_kind(name: str) -> ChannelKind:
    """The descriptor of `name`; an unknown kind (a channel since removed) gets a
    neutral one labelled with its own name."""
    return KINDS.get(name) or ChannelKind(name, name or "", _UNKNOWN.icon, identity_kind=None)


def identity_kind_for(name: str) -> str | None:
    return channel_kind(name).identity_kind
