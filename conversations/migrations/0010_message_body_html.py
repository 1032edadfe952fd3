"""Messages keep their body rendered for display (`Message.body_html`): the existing ones
are rendered once here, in batches of primary keys."""

from django.db import migrations, models

BATCH = 500


def render_stored_bodies(apps, schema_editor) -> None:
    from conversations.display import render_message_body

    Message = apps.get_model("conversations", "Message")
    rows = Message.objects.using(schema_editor.connection.alias)
    last_pk = 0
    while True:
        batch = list(
            rows.filter(pk__gt=last_pk, body_html="")
            .order_by("pk")
            .only("pk", "text", "html")[:BATCH]
        )
        if not batch:
            return
        for message in batch:
            message.body_html = render_message_body(text=message.text, html=message.html)
        rows.bulk_update(batch, ["body_html"])
        last_pk = batch[-1].pk


class Migration(migrations.Migration):
    # Each batch commits on its own: a large timeline is not rewritten in one transaction
    # holding its rows locked, and an interrupted run resumes where rows are still empty.
    atomic = False

    dependencies = [
        ("conversations", "0009_customer_merges"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="body_html",
            field=models.TextField(blank=True, default="", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(render_stored_bodies, migrations.RunPython.noop),
    ]
