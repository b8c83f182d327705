from django.db import migrations


def load(apps, schema_editor):
    # The live refresh rather than a frozen copy: it writes by COPY to columns this migration's
    # state already has, and a fresh install should start with today's lists.
    from incidents.trust.known_networks import known_networks_refresh

    known_networks_refresh(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("trust", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
