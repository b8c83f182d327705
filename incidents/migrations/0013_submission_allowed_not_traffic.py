from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0012_port_day_public_events"),
    ]

    # Submissions processed before stay as they were: their skipped lines
    # cannot be told apart now (the page says so), and their raw files may
    # already be gone.
    operations = [
        migrations.AddField(
            model_name="submission",
            name="allowed",
            field=models.PositiveIntegerField(default=0, help_text="Traffic the device let through: not stored."),
        ),
        migrations.AddField(
            model_name="submission",
            name="not_traffic",
            field=models.PositiveIntegerField(
                default=0, help_text="Lines recording no traffic (headers, DHCP, configuration): not stored."
            ),
        ),
        migrations.AddField(
            model_name="submission",
            name="skipped_reasons",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Lines skipped by reason, the most frequent reasons; the rest as other.",
            ),
        ),
        migrations.AlterField(
            model_name="submission",
            name="skipped",
            field=models.PositiveIntegerField(default=0, help_text="Allowed and not-traffic lines together."),
        ),
    ]
