import pytest
from django.core.management import call_command
from django.urls import reverse

from incidents.models import Submission
from portal.models import User

pytestmark = pytest.mark.django_db


def test_demo_data_gives_a_report_worth_reading_and_loads_once(client):
    call_command("demo_data")
    call_command("demo_data")
    demo = User.objects.get(email="demo@example.org")
    assert demo.check_password("demo-portal-2026")
    assert User.objects.get(email="admin@example.org").is_staff
    assert Submission.objects.filter(user=demo).count() == 1
    assert Submission.objects.get(user=demo).status == "done"

    client.force_login(demo)
    rows = client.get(reverse("home")).context["sources"]
    labels = {row.label for row in rows}
    assert "seen only by you" in labels
    assert labels & {"seen by a few", "widespread"}
    filtered = client.get(reverse("report-filtered")).context["summary"]
    assert [code for code, _, _ in filtered] == ["reserved"]


def test_demo_neighbours_cannot_sign_in():
    call_command("demo_data")
    neighbours = User.objects.filter(email__startswith="reporter")
    assert neighbours.count() == 5
    assert not any(user.has_usable_password() for user in neighbours)


def test_demo_data_counts_sources_per_port_for_the_public_pages():
    from incidents import port_counts
    from incidents.models import PortDay

    call_command("demo_data")
    assert port_counts.stale_days() == []
    assert PortDay.objects.filter(sources__gt=0).exists()
