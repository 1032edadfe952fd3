"""A trigram index on phone identities, for finding a number by any run of its digits
(conversations/selectors/search.py). Raw SQL, outside the models' state: a partial GIN
index with an operator class that the search's `LIKE '%digits%'` uses.

fastupdate off: with GIN's pending list, new identities wait unindexed until a vacuum,
and the planner, counting that list as a scan, prefers a scan of every identity to the
index. Identities are written once per new customer and searched all day."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_identity_proof"),
    ]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(
            sql=(
                "CREATE INDEX IF NOT EXISTS identity_phone_trgm_idx ON customers_identity "
                "USING gin (value gin_trgm_ops) WITH (fastupdate = off) WHERE kind = 'phone'"
            ),
            reverse_sql="DROP INDEX IF EXISTS identity_phone_trgm_idx",
        ),
    ]
