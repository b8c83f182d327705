from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """``?limit=&offset=`` on every list, with a ceiling a client cannot lift."""

    default_limit = 50
    max_limit = 500


class CountedRows:
    """Rows a selector reads one window at a time (SQL LIMIT/OFFSET), shaped
    like a sequence for the paginator: its length is the total the selector
    counted, and a slice asks the selector for just that window."""

    def __init__(self, count: int, fetch):
        self.count, self.fetch = count, fetch

    def __len__(self):
        return self.count

    def __getitem__(self, window: slice):
        start = window.start or 0
        return self.fetch(limit=max(0, window.stop - start), offset=start)


# For a view that pages a list inside its own answer, where drf-spectacular
# does not add them itself (it does so only for list views).
PAGE_PARAMETERS = [
    OpenApiParameter(
        "limit", int, description=f"Rows a page (default {Pagination.default_limit}, at most {Pagination.max_limit})."
    ),
    OpenApiParameter("offset", int, description="Rows to skip."),
]
