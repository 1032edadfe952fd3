from django.db import migrations, models

# Identities stored before proof was recorded: a web-form claim stays claimed and an
# agent's check stays verified. The rest came through doors that proved them (signed
# webhooks, the widget's signed ids). Email addresses were taken from mail before its
# authenticity was evaluated; they are kept as authenticated so upgrading does not split
# every existing customer, and a later failing message no longer joins them.
_BY_KIND = {"webchat": "host_signed", "external": "host_signed", "email": "email_authenticated"}


def record_proof(apps, schema_editor):
    Identity = apps.get_model("customers", "Identity")
    Identity.objects.filter(claimed=True).update(proof="claimed")
    Identity.objects.filter(claimed=False, verified=True).update(proof="agent_verified")
    for kind, proof in _BY_KIND.items():
        Identity.objects.filter(claimed=False, verified=False, kind=kind).update(proof=proof)


def restore_flags(apps, schema_editor):
    Identity = apps.get_model("customers", "Identity")
    Identity.objects.filter(proof="claimed").update(claimed=True)
    Identity.objects.filter(proof="agent_verified").update(verified=True)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0003_identity_claimed"),
    ]

    operations = [
        migrations.AddField(
            model_name="identity",
            name="proof",
            field=models.CharField(
                choices=[
                    ("provider", "Provider-attested"),
                    ("host_signed", "Signed by the host site"),
                    ("email_authenticated", "Authenticated email"),
                    ("agent_verified", "Verified by an agent"),
                    ("claimed", "Only claimed"),
                ],
                default="provider",
                max_length=24,
            ),
        ),
        migrations.RunPython(record_proof, restore_flags),
        migrations.RemoveField(model_name="identity", name="claimed"),
        migrations.RemoveField(model_name="identity", name="verified"),
    ]
