"""The REST API under /api/v1/: one module per resource (serializers and
views together), registered once in ``urls.py``.

Views stay thin: they check who asks, validate with a serializer (or the
HTML form, where one exists, so both paths refuse the same input) and call
the same services and selectors as the HTML views. A selector that returns
dataclasses gets a plain ``Serializer`` whose fields name the dataclass's
attributes (see ``reports.SourceRowSerializer``); a new read-only endpoint is
such a serializer, a ``GenericAPIView`` and one line in ``urls.py``.
"""
