"""Submissions: send a log (the upload's service), follow it, read what came of it."""

import tempfile

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from incidents.models import Submission
from incidents.parsers import BY_NAME
from incidents.selectors import submission_progress
from incidents.services import SubmissionTooLarge, check_size, submission_create
from incidents.trust.client import client_address
from portal.models import TIMEZONE_CHOICES

from .throttles import SubmissionThrottle

# Multipart bodies carry their boundaries and field headers besides the file.
MULTIPART_OVERHEAD = 65536


class _RawLogParser(parsers.BaseParser):
    """The body is the log itself: spooled to a temporary file (never whole
    in memory), reading no more than one byte past the size limit."""

    def parse(self, stream, media_type=None, parser_context=None):
        # Outlives this call: the view reads it; it is removed when collected.
        spooled = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
        if stream is not None:
            _copy_at_most(stream, spooled, settings.UPLOAD_MAX_BYTES + 1)
        spooled.seek(0)
        return {"body": spooled}


def _copy_at_most(source, target, limit: int) -> None:
    while limit > 0 and (chunk := source.read(min(1024 * 1024, limit))):
        target.write(chunk)
        limit -= len(chunk)


class PlainTextLogParser(_RawLogParser):
    media_type = "text/plain"


class GzipLogParser(_RawLogParser):
    media_type = "application/gzip"


class LegacyGzipLogParser(_RawLogParser):
    media_type = "application/x-gzip"


class ZipLogParser(_RawLogParser):
    media_type = "application/zip"


class SubmissionOptionsSerializer(serializers.Serializer):
    """What may come with a log, in the form fields or the query string."""

    format = serializers.ChoiceField(
        choices=[("", "recognise automatically"), *((name, name) for name in BY_NAME)],
        required=False,
        default="",
        help_text="The log's format; empty or absent: recognised from the lines.",
    )
    timezone = serializers.ChoiceField(
        choices=TIMEZONE_CHOICES,
        required=False,
        help_text="Zone of lines that carry none; absent: your profile's.",
    )
    name = serializers.CharField(required=False, default="", max_length=255, help_text="A name to tell it by.")


class SubmissionUploadSerializer(SubmissionOptionsSerializer):
    file = serializers.FileField(help_text="The log: plain text, .gz or .zip (one log per zip).")


class ProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField(help_text="Of the stored file read so far; 100 once finished.")
    lines_read = serializers.IntegerField()
    finished = serializers.BooleanField()


class RejectedLineSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line number in the log as sent.")
    reason = serializers.CharField()
    text = serializers.CharField(help_text="The line, cut at 300 characters.")


class SubmissionSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:submission-detail", help_text="This status resource.")
    page_url = serializers.SerializerMethodField(help_text="The submission's page on the site.")
    progress = serializers.SerializerMethodField()
    rejected_lines = RejectedLineSerializer(
        many=True, read_only=True, help_text="The first rejected or unrecognised lines."
    )
    skipped_reasons = serializers.DictField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text=(
            "Lines set aside, by reason: reasons starting 'allowed traffic' count in allowed, the others"
            " ('not a traffic record: ...') in not_traffic. The most frequent reasons; the rest as"
            " '...: other reasons'."
        ),
    )
    mostly_rejected = serializers.BooleanField(
        read_only=True, help_text="Over half the lines rejected or unrecognised: most of the log was not stored."
    )

    class Meta:
        model = Submission
        # Not the stored file's path, the reply address or the attempts: the
        # worker's business, not the client's.
        fields = [
            "id",
            "url",
            "page_url",
            "channel",
            "name",
            "created_at",
            "declared_format",
            "detected_format",
            "timezone",
            "status",
            "error",
            "started_at",
            "finished_at",
            "progress",
            "lines",
            "accepted",
            "duplicate",
            "filtered",
            "allowed",
            "not_traffic",
            "skipped",
            "skipped_reasons",
            "rejected",
            "mostly_rejected",
            "rejected_lines",
        ]
        read_only_fields = fields

    def get_page_url(self, obj) -> str:
        return self.context["request"].build_absolute_uri(obj.get_absolute_url())

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, obj):
        return submission_progress(obj)


RAW_BODY_PARAMETERS = [
    OpenApiParameter("format", str, enum=list(BY_NAME), description="For a raw body: the log's format."),
    OpenApiParameter("timezone", str, description="For a raw body: zone of lines without one (IANA name)."),
    OpenApiParameter("name", str, description="For a raw body: a name to tell it by."),
]
ERROR = inline_serializer("Error", {"detail": serializers.CharField()})


@extend_schema_view(
    list=extend_schema(summary="Your submissions, newest first"),
    retrieve=extend_schema(summary="A submission's status, counts and first rejected lines"),
    create=extend_schema(
        summary="Submit a log",
        description="The log as the body (`text/plain`, `application/gzip`, `application/zip`; options in the "
        "query string) or as the `file` field of a `multipart/form-data` form. Stored and queued exactly as an "
        "upload on the site; follow the returned `url` until `status` is `done` or `failed`.",
        parameters=RAW_BODY_PARAMETERS,
        request={
            "multipart/form-data": SubmissionUploadSerializer,
            "text/plain": OpenApiTypes.STR,
            "application/gzip": OpenApiTypes.BINARY,
            "application/zip": OpenApiTypes.BINARY,
        },
        responses={
            202: SubmissionSerializer,
            400: OpenApiResponse(ERROR, description="No log, an unknown format or zone."),
            413: OpenApiResponse(ERROR, description="Larger than the size limit."),
        },
    ),
)
class SubmissionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SubmissionSerializer
    parser_classes = [
        parsers.MultiPartParser,
        PlainTextLogParser,
        GzipLogParser,
        LegacyGzipLogParser,
        ZipLogParser,
    ]
    filterset_fields = ["status", "channel"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # generating the schema: nobody asks
            return Submission.objects.none()
        # Only the caller's own: anyone else's is simply not found (404).
        return Submission.objects.filter(user=self.request.user)

    def get_throttles(self):
        throttles = super().get_throttles()
        return [*throttles, SubmissionThrottle()] if self.action == "create" else throttles

    def create(self, request):
        length = int(request.META.get("CONTENT_LENGTH") or 0)
        multipart = request.content_type.startswith("multipart/")
        try:
            # Refuse an oversized body before reading it, as the upload page does.
            check_size(length - MULTIPART_OVERHEAD if multipart else length)
            if multipart:
                options = SubmissionUploadSerializer(data=request.data)
                options.is_valid(raise_exception=True)
                upload = options.validated_data["file"]
                fileobj, name = upload.file, options.validated_data["name"] or upload.name
            else:
                fileobj = request.data.get("body") if hasattr(request.data, "get") else None
                options = SubmissionOptionsSerializer(data=request.query_params)
                options.is_valid(raise_exception=True)
                name = options.validated_data["name"]
            if fileobj is None or _empty(fileobj):
                raise ParseError("The body is empty: send the log as the body or as the file field of a form.")
            submission = submission_create(
                user=request.user,
                channel=Submission.Channel.API,
                fileobj=fileobj,
                name=name,
                declared_format=options.validated_data["format"],
                timezone=options.validated_data.get("timezone"),
                client_ip=client_address(request),
            )
        except SubmissionTooLarge as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        data = self.get_serializer(submission).data
        location = reverse("api:submission-detail", args=[submission.pk], request=request)
        return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


def _empty(fileobj) -> bool:
    fileobj.seek(0)
    empty = not fileobj.read(1)
    fileobj.seek(0)
    return empty
