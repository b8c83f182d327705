"""Distinct sources and reporters per port and day, recounted from SourceDay
by a scheduled task (incidents.port_counts); this migration counts the days
already stored, once. Database defaults, so ingest's upsert (which names only
the events) keeps working unchanged."""

from django.db import migrations, models

COUNT_EXISTING = """
UPDATE incidents_port_day p
SET sources = c.sources, reporters = c.reporters, counted_events = c.events
FROM (
    SELECT day, protocol, target_port, count(DISTINCT source_ip) AS sources,
           count(DISTINCT reporter_id) AS reporters, sum(events) AS events
    FROM incidents_source_day GROUP BY day, protocol, target_port
) c
WHERE p.day = c.day AND p.protocol = c.protocol AND p.target_port = c.target_port
"""


class Migration(migrations.Migration):
    dependencies = [("incidents", "0006_inbound_response")]

    operations = [
        migrations.AddField(
            model_name="portday",
            name="sources",
            field=models.BigIntegerField(db_default=0, help_text="Distinct source addresses, as of the last count."),
        ),
        migrations.AddField(
            model_name="portday",
            name="reporters",
            field=models.IntegerField(db_default=0, help_text="Distinct reporters, as of the last count."),
        ),
        migrations.AddField(
            model_name="portday",
            name="counted_events",
            field=models.BigIntegerField(db_default=0, help_text="The events the last count saw."),
        ),
        migrations.AddIndex(
            model_name="portday",
            index=models.Index(fields=["protocol", "target_port", "day"], name="port_day_port"),
        ),
        migrations.RunSQL(COUNT_EXISTING, migrations.RunSQL.noop),
    ]
