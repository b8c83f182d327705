import pytest


@pytest.fixture(scope="session", autouse=True)
def _collected_static(django_test_environment):
    """Pages use the production static storage (hashed names from a manifest),
    so tests collect static files first, as a deployment does."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    """Rate-limit counters live in the cache (Redis in CI): start each test clean."""
    if request.node.get_closest_marker("django_db") or "db" in request.fixturenames:
        from django.core.cache import cache

        cache.clear()
