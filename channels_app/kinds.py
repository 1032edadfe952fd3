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
    # A message continues the customer's most recent open conversation within the
    # continuity window (a chat goes on where it was, whatever the app). Otherwise (email,
    # forms) a message opens its own conversation unless it names one: thread headers or
    # the subject token (docs/continuity.md).
    conversational: bool = False
    # A satisfaction survey is answered by replying with a bare 1-5 (messaging apps);
    # otherwise the survey carries a link to a rating page.
    answers_surveys_by_keyword: bool = False
    # The customer reads the conversation back on this channel (the widget shows its
    # history), so a message here continues only a conversation this sender already took
    # part in: a merge must not open someone else's history to a browser.
    shows_history_to_sender: bool = False
    # Where the provider sends this channel's messages ("{key}": the endpoint's key), and
    # any further URLs its console asks for, as (label, path).
    webhook_path: str = ""
    extra_webhook_paths: tuple[tuple[str, str], ...] = ()


KINDS: dict[str, ChannelKind] = {
    kind.name: kind
    for kind in (
        ChannelKind(
            "api", "API", "API", None, conversational=True, webhook_path="/api/v1/inbound/"
        ),
        ChannelKind(
            "email",
            "Email",
            "@",
            identities.EMAIL,
            threads_by_email=True,
            webhook_path="/hooks/email/{key}/",
        ),
        ChannelKind(
            "sms",
            "SMS",
            "SMS",
            identities.PHONE,
            conversational=True,
            answers_surveys_by_keyword=True,
            webhook_path="/hooks/twilio/{key}/sms",
            extra_webhook_paths=(
                ("Voice (A call comes in)", "/hooks/twilio/{key}/voice"),
                ("Voice status callback", "/hooks/twilio/{key}/call-status"),
                ("Messaging status callback", "/hooks/twilio/{key}/status"),
            ),
        ),
        # Calls arrive on an SMS endpoint (a Twilio number); only the label is theirs.
        ChannelKind("voice", "Voice", "Call", identities.PHONE, conversational=True),
        ChannelKind(
            "whatsapp",
            "WhatsApp",
            "WA",
            identities.PHONE,
            conversational=True,
            answers_surveys_by_keyword=True,
            webhook_path="/hooks/meta/{key}/",
        ),
        ChannelKind(
            "messenger",
            "Messenger",
            "FB",
            identities.MESSENGER,
            conversational=True,
            answers_surveys_by_keyword=True,
            webhook_path="/hooks/meta/{key}/",
        ),
        ChannelKind(
            "instagram",
            "Instagram",
            "IG",
            identities.INSTAGRAM,
            conversational=True,
            answers_surveys_by_keyword=True,
            webhook_path="/hooks/meta/{key}/",
        ),
        ChannelKind(
            "telegram",
            "Telegram",
            "TG",
            identities.TELEGRAM,
            conversational=True,
            answers_surveys_by_keyword=True,
            webhook_path="/hooks/telegram/{key}/",
        ),
        ChannelKind(
            "webchat",
            "Chat",
            "Chat",
            identities.WEBCHAT,
            conversational=True,
            shows_history_to_sender=True,
            webhook_path="/widget/{key}.js",
        ),
        ChannelKind(
            "webform", "Form", "Form", identities.EMAIL, webhook_path="/hooks/forms/{key}/"
        ),
    )
}


def channel_kind(name: str) -> ChannelKind:
    """The descriptor of `name`; an unknown kind (a channel since removed) gets a
    neutral one labelled with its own name."""
    return KINDS.get(name) or ChannelKind(name, name or "", "•", identity_kind=None)


def identity_kind_for(name: str) -> str | None:
    return channel_kind(name).identity_kind
