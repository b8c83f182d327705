from django.db import migrations

# Services whose probing an owner can act on; remote shells, file sharing,
# databases, remote desktops and the worm ports of record (Slammer on udp/1434).
DEFAULTS = [
    ("tcp", 22, "SSH"),
    ("tcp", 23, "Telnet"),
    ("tcp", 135, "MS RPC"),
    ("tcp", 139, "NetBIOS session"),
    ("tcp", 445, "SMB"),
    ("tcp", 1433, "MS SQL"),
    ("udp", 1434, "MS SQL monitor (Slammer)"),
    ("tcp", 2323, "Telnet, alternate"),
    ("tcp", 3306, "MySQL"),
    ("tcp", 3389, "Remote Desktop"),
    ("tcp", 5432, "PostgreSQL"),
    ("tcp", 5555, "Android debug bridge"),
    ("tcp", 5900, "VNC"),
    ("tcp", 6379, "Redis"),
    ("tcp", 8080, "HTTP proxy"),
    ("tcp", 9200, "Elasticsearch"),
]


def add_defaults(apps, schema_editor):
    SuspiciousPort = apps.get_model("reports", "SuspiciousPort")
    for protocol, port, note in DEFAULTS:
        SuspiciousPort.objects.get_or_create(protocol=protocol, port=port, defaults={"note": note})


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_suspicious_ports")]

    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
