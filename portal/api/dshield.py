"""DShield-compatible submission: existing DShield clients change only their
URL and credentials (a user id and key from ``/api/v1/dshield/key/``).

- ``POST dshield/submitapi/``: the Python client (``DShield.py``,
  ``fwlogparser.py``) posting ``{"type": "firewall", "logs": [...]}``.
- ``PUT dshield/file/dshieldlog``: the Perl client (``dshield.pl``) putting
  a mail-like text (``Subject: FORMAT DSHIELD ... TZ ...``, a blank line,
  DShield lines), answered with the byte count and checksums it checks.

Both authenticate with ``X-ISC-Authorization`` (portal.authentication) and
store the log through the same service as an upload, as an API submission.
"""

import hashlib
from xml.sax.saxutils import escape

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import parsers, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from incidents.dshield_client import split_header, subject_options, submitapi_lines
from incidents.models import Submission
from incidents.services import SubmissionTooLarge, check_size, submission_create
from incidents.trust.client import client_address
from portal.authentication import DShieldAuthentication
from portal.models import DShieldKey

from .submissions import PlainTextLogParser
from .throttles import SubmissionThrottle, UserThrottle


class _DShieldView(APIView):
    authentication_classes = [DShieldAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = [UserThrottle, SubmissionThrottle]

    def _store(self, request, text: str, *, name: str, fmt: str, tz: str | None) -> Submission:
        return submission_create(
            user=request.user,
            channel=Submission.Channel.API,
            text=text,
            name=name,
            declared_format=fmt,
            timezone=tz or "UTC",
            client_ip=client_address(request),
        )


class SubmitApiSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="Only `firewall` is taken.")
    logs = serializers.ListField(child=serializers.JSONField(), help_text="Firewall records.")
    authheader = serializers.CharField(required=False, help_text="Ignored: the header is what counts.")


SubmitApiReply = inline_serializer(
    "DShieldSubmitReply",
    {"status": serializers.CharField(), "submission": serializers.IntegerField(), "url": serializers.URLField()},
)


class SubmitApiView(_DShieldView):
    parser_classes = [parsers.JSONParser]

    @extend_schema(
        summary="DShield /submitapi/ (firewall records)",
        request=SubmitApiSerializer,
        responses={200: SubmitApiReply, 400: OpenApiResponse(description="Not firewall records.")},
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise ParseError("Expected a JSON object with type and logs.")
        body = SubmitApiSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        if body.validated_data["type"] != "firewall":
            raise ParseError(f"Only firewall logs are taken here, not {body.validated_data['type']!r}.")
        text = submitapi_lines(body.validated_data["logs"], request.auth.userid)
        try:
            submission = self._store(request, text, name="DShield submitapi", fmt="dshield", tz="UTC")
        except SubmissionTooLarge as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        # 200, not 202: the client treats anything else as a failure.
        url = reverse("api:submission-detail", args=[submission.pk], request=request)
        return Response({"status": "ok", "submission": submission.pk, "url": url})


class DShieldLogView(_DShieldView):
    parser_classes = [PlainTextLogParser]

    @extend_schema(
        summary="DShield /api/file/dshieldlog (mail-like text)",
        request={"text/plain": OpenApiTypes.STR},
        responses={(200, "application/xml"): OpenApiTypes.STR},
    )
    def put(self, request):
        spooled = request.data.get("body") if hasattr(request.data, "get") else None
        raw = spooled.read() if spooled is not None else b""
        try:
            check_size(len(raw))
        except SubmissionTooLarge as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        headers, log = split_header(raw.decode("utf-8", errors="replace"))
        if not log.strip():
            raise ParseError("The body holds no log lines.")
        options = subject_options(headers.get("subject", ""))
        submission = self._store(request, log, name="DShield log", fmt=options.format, tz=options.timezone)
        # What the client checks: the bytes received and their SHA-1 and MD5.
        reply = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<dshieldlog><status>ok</status>'
            f"<bytes>{len(raw)}</bytes>"
            f"<sha1checksum>{hashlib.sha1(raw, usedforsecurity=False).hexdigest()}</sha1checksum>"
            f"<md5checksum>{hashlib.md5(raw, usedforsecurity=False).hexdigest()}</md5checksum>"
            f"<submission>{submission.pk}</submission>"
            f"<url>{escape(reverse('api:submission-detail', args=[submission.pk], request=request))}</url>"
            "</dshieldlog>\n"
        )
        return HttpResponse(reply, content_type="application/xml")

    post = put


class DShieldKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = DShieldKey
        fields = ["userid", "created_at", "last_used_at"]
        read_only_fields = fields


class IssuedKeySerializer(DShieldKeySerializer):
    apikey = serializers.CharField(help_text="Shown once: configure it as the client's apikey.")
    submitapi_url = serializers.URLField()
    dshieldlog_url = serializers.URLField()

    class Meta(DShieldKeySerializer.Meta):
        fields = [*DShieldKeySerializer.Meta.fields, "apikey", "submitapi_url", "dshieldlog_url"]
        read_only_fields = fields


class DShieldKeyView(APIView):
    """The caller's DShield user id and key (one pair at a time)."""

    serializer_class = DShieldKeySerializer

    @extend_schema(summary="My DShield user id (not the key)", responses={200: DShieldKeySerializer, 404: None})
    def get(self, request):
        row = DShieldKey.objects.filter(user=request.user).first()
        if row is None:
            return Response({"detail": "No DShield key yet: POST here to make one."}, status=status.HTTP_404_NOT_FOUND)
        return Response(DShieldKeySerializer(row).data)

    @extend_schema(
        summary="Make a new DShield user id and key, replacing any earlier",
        request=None,
        responses={201: IssuedKeySerializer},
    )
    def post(self, request):
        row, key = DShieldKey.issue(request.user)
        data = {
            **DShieldKeySerializer(row).data,
            "apikey": key,
            "submitapi_url": reverse("api:dshield-submitapi", request=request),
            "dshieldlog_url": reverse("api:dshield-log", request=request),
        }
        return Response(IssuedKeySerializer(data).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Revoke my DShield key", responses={204: None})
    def delete(self, request):
        DShieldKey.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
