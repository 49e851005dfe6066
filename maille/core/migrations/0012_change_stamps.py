"""Named change stamps for the per-process settings caches (``maille.core.stamps``), PostgreSQL only.

One row per stamp, set from a sequence by a statement trigger on each table it covers (the apps' own migrations
create their triggers with ``maille_change_stamped('<name>')``). Outside Django's models on purpose: test
flushes must not empty it. SQLite has no statement triggers worth the name: the caches read the tables there.
"""

from django.db import migrations

# Frozen here: every stamp of `maille.core.stamps.STAMPED_TABLES` at the time (a stamp added later gets its row
# from its first change, or from its own migration).
STAMPS = ("access", "uses", "notification_policies", "webhook_subscriptions")

CREATE = """
CREATE SEQUENCE maille_change_stamp_seq;
CREATE TABLE maille_change_stamp (
    name text PRIMARY KEY,
    value bigint NOT NULL
);
CREATE FUNCTION maille_change_stamped() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO maille_change_stamp VALUES (TG_ARGV[0], nextval('maille_change_stamp_seq'))
    ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value;
    RETURN NULL;
END
$$;
"""
DROP = """
DROP FUNCTION IF EXISTS maille_change_stamped() CASCADE;
DROP TABLE IF EXISTS maille_change_stamp;
DROP SEQUENCE IF EXISTS maille_change_stamp_seq;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(CREATE)
    for name in STAMPS:
        schema_editor.execute(
            "INSERT INTO maille_change_stamp VALUES (%s, nextval('maille_change_stamp_seq'))", [name]
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("core", "0011_evaluation_audit_actions")]

    operations = [migrations.RunPython(create, drop)]
