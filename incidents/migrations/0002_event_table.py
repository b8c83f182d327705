from django.db import migrations

CREATE = """
CREATE TABLE incidents_event (
    reporter_id bigint NOT NULL,
    time timestamptz NOT NULL,
    submission_id bigint NOT NULL,
    source_ip inet NOT NULL,
    source_port integer,
    target_ip inet NOT NULL,
    target_port integer,
    protocol varchar(16) NOT NULL,
    tcp_flags varchar(8) NOT NULL DEFAULT '',
    count integer NOT NULL DEFAULT 1,
    filter_reason varchar(64) NOT NULL DEFAULT '',
    -- What makes two events of one reporter at the same second the same event.
    -- Computed by PostgreSQL, off the parser's core, with a hash that is stable
    -- across processes and versions.
    fingerprint bigint NOT NULL GENERATED ALWAYS AS (
        hashtextextended(
            host(source_ip) || '|' || coalesce(source_port::text, '') || '|' || host(target_ip) || '|'
            || coalesce(target_port::text, '') || '|' || protocol::text, 0)
    ) STORED,
    PRIMARY KEY (reporter_id, time, fingerprint)
) PARTITION BY RANGE (time);
"""


def create_partitions(apps, schema_editor):
    from incidents import partitions

    partitions.ensure(partitions.accepted_window())


class Migration(migrations.Migration):
    # Partitions are made on their own connection (partitions.py), which must
    # see the committed parent table.
    atomic = False

    dependencies = [("incidents", "0001_initial")]

    operations = [
        migrations.RunSQL(CREATE, "DROP TABLE incidents_event;"),
        migrations.RunPython(create_partitions, migrations.RunPython.noop),
    ]
