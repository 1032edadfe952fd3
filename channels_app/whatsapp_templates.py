"""Provider-approved message templates an endpoint may send: WhatsApp only delivers one
of these outside its 24-hour customer-service window.

An endpoint lists them in its configuration, `endpoint.config["templates"]`:
`[{"name": "order_update", "language": "en_US", "text": "Your order has shipped"}]`.
Pure: reads the endpoints it is given, no queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from channels_app.models import ChannelEndpoint
from omnidesk.errors import ApplicationError


@dataclass(frozen=True)
class ApprovedTemplate:
    """One configured template of one endpoint; `text` in the configuration is the
    `preview` agents see (and what the timeline stores as the message's text)."""

    endpoint: ChannelEndpoint
    name: str
    language: str
    preview: str

    @property
    def choice(self) -> str:
        """The value of this template in the composer's picker."""
        return f"{self.endpoint.pk}:{self.name}:{self.language}"

    def as_provider_template(self) -> dict[str, str]:
        return {"name": self.name, "language": self.language}


def approved_templates(endpoints: Iterable[ChannelEndpoint]) -> list[ApprovedTemplate]:
    """Every well-formed template configured on `endpoints`, in configuration order;
    entries without a name or a language are skipped."""
    templates = []
    for endpoint in endpoints:
        for item in endpoint.config.get("templates", []) or []:
            if isinstance(item, dict) and item.get("name") and item.get("language"):
                templates.append(
                    ApprovedTemplate(
                        endpoint=endpoint,
                        name=str(item["name"]),
                        language=str(item["language"]),
                        preview=str(item.get("text") or f"Template {item['name']}"),
                    )
                )
    return templates


def find_approved_template(
    *, endpoints: Iterable[ChannelEndpoint], choice: str
) -> ApprovedTemplate | None:
    """The template an agent picked (its `choice` value) among `endpoints`' templates;
    None when no template was picked. ApplicationError for a choice not among them."""
    if not choice:
        return None
    for template in approved_templates(endpoints):
        if template.choice == choice:
            return template
    raise ApplicationError(
        "That template is not approved for this customer's channels.",
        fields={"template": ["Pick one of the listed templates."]},
    )
