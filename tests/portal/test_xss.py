"""Markup in users' data is shown as text on every page that shows it."""

import pytest
from django.urls import reverse

from incidents.models import Submission
from tests.factories import UserFactory
from tests.xss import ESCAPED_SCRIPT, IMG, SCRIPT, plant

pytestmark = pytest.mark.django_db


def test_markup_is_escaped_on_the_users_pages_and_the_admin_lists(client, submit, recent):
    user = UserFactory()
    submission = plant(user, submit, recent)
    assert submission.rejected >= 2 and submission.filtered == 1

    def page(url):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert SCRIPT not in text, url
        assert IMG not in text and "<img src=x" not in text, url
        return text

    client.force_login(user)
    detail = page(reverse("submission-detail", args=[submission.pk]))
    assert detail.count(ESCAPED_SCRIPT) >= 3  # the file name, the rejected line, the address it names
    assert "file &lt;script&gt;window" in page(reverse("submission-list"))  # the name is cut at 40 characters
    assert ESCAPED_SCRIPT in page(reverse("profile"))
    assert ESCAPED_SCRIPT in page(reverse("rule-list"))
    assert ESCAPED_SCRIPT in page(reverse("report-filtered"))
    page(reverse("home"))

    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    for name in ("incidents_submission", "incidents_inboundmail", "portal_apitoken", "incidents_filterrule"):
        assert ESCAPED_SCRIPT in page(reverse(f"admin:{name}_changelist")), name
    assert ESCAPED_SCRIPT in page(reverse("admin:incidents_submission_change", args=[submission.pk]))
    assert Submission.objects.get(pk=submission.pk).name.startswith("file <script>")  # stored as sent
