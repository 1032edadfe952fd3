"""External user ids become scoped to the endpoint that proved them.

Before, a host site's user 42 (widget `identifier_hash`) and an integration's
`external_id` 42 were one global identity `external:42`: user 42 of another site joined
the first one's conversations. Now the value is `<endpoint key>:42` (and the widget
visitor id `external:<endpoint key>:42`). This rewrites the stored identities: each gets
the key of the endpoint(s) its messages arrived on, read from the messages' recorded
sender (`metadata.from`). One that wrote through several endpoints keeps an identity
for each, on the same customer (they were one customer already). One with no message
keeps its old value: nothing says which site issued it, so it matches nothing new.

It lives in conversations because it reads messages; customers sits below it.
"""

from collections import defaultdict

from django.db import migrations

WIDGET_PREFIX = "external:"


def _endpoint_keys_by_sender(Message, kind):
    keys = defaultdict(list)
    rows = (
        Message.objects.filter(direction="in", metadata__from__has_key=kind)
        .exclude(endpoint__isnull=True)
        .values_list(f"metadata__from__{kind}", "endpoint__key")
        .distinct()
        .order_by(f"metadata__from__{kind}", "endpoint__key")
    )
    for value, key in rows:
        if isinstance(value, str) and key not in keys[value]:
            keys[value].append(key)
    return keys


def scope_identities(apps, schema_editor):
    Identity = apps.get_model("customers", "Identity")
    Message = apps.get_model("conversations", "Message")
    scoped = {
        "external": (_endpoint_keys_by_sender(Message, "external"), "{key}:{rest}"),
        "webchat": (_endpoint_keys_by_sender(Message, "webchat"), WIDGET_PREFIX + "{key}:{rest}"),
    }
    for kind, (keys_by_value, form) in scoped.items():
        identities = Identity.objects.filter(kind=kind)
        if kind == "webchat":
            # Only identified users; anonymous visitor ids are random and per endpoint.
            identities = identities.filter(value__startswith=WIDGET_PREFIX)
        for identity in identities.iterator():
            keys = keys_by_value.get(identity.value, [])
            rest = (
                identity.value.removeprefix(WIDGET_PREFIX) if kind == "webchat" else identity.value
            )
            values = [form.format(key=key, rest=rest)[:320] for key in keys]
            if not values:
                continue
            identity.value = values[0]
            identity.save(update_fields=["value"])
            for value in values[1:]:
                Identity.objects.get_or_create(
                    kind=kind,
                    value=value,
                    # Whatever says how it was proven (a flag, later a proof) comes along.
                    defaults={
                        field.attname: getattr(identity, field.attname)
                        for field in Identity._meta.concrete_fields
                        if field.name not in ("id", "kind", "value", "created_at")
                    },
                )


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0005_team_moved_to_agents"),
        ("customers", "0002_inbox_search"),
    ]

    operations = [
        migrations.RunPython(scope_identities, migrations.RunPython.noop, elidable=True),
    ]
