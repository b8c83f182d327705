"""The block list as data. It is the document /blocklist/block.json
publishes, of the same snapshot (reports.blocklist.current_blocklist:
today's, built now if the scheduled build has not run), so what a client
reads here is what the linked signature covers. latest_blocklist() would
answer yesterday's list until today's is built while the linked files
already serve today's, and a client checking the signature would fail."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from reports import blocklist, blocklist_formats, signing

from .lookups import PublicView


class DocumentEntrySerializer(serializers.Serializer):
    """A line of block.json."""

    rank = serializers.IntegerField(allow_null=True, help_text="Null for a reserved range, listed whole.")
    start = serializers.IPAddressField()
    end = serializers.IPAddressField()
    netblock = serializers.IntegerField(help_text="The prefix length.")
    cidr = serializers.CharField()
    attacks = serializers.IntegerField(allow_null=True)
    targets = serializers.IntegerField(
        allow_null=True, help_text="Each independent reporter's distinct targets per source and day, capped."
    )
    reporters = serializers.IntegerField(allow_null=True, help_text="Independent reporters.")
    name = serializers.CharField(allow_blank=True)
    country = serializers.CharField(allow_blank=True)
    abuse = serializers.CharField(allow_blank=True, help_text="The network's abuse desk, where known.")
    reserved = serializers.BooleanField()
    first_seen = serializers.DateTimeField(allow_null=True, help_text="By independent reporters in the window.")
    last_seen = serializers.DateTimeField(allow_null=True)
    explained = serializers.URLField(allow_null=True, help_text="The page that says why it is listed.")


class SignedFilesSerializer(serializers.Serializer):
    document = serializers.URLField(help_text="block.json, the bytes the signature covers.")
    signature = serializers.URLField(help_text="Its detached signature (DER).")
    public_key = serializers.URLField(help_text="The PEM of the key that signed it.")
    fingerprint = serializers.CharField(help_text="The key's fingerprint, to compare with one you trust.")


class BlockListSerializer(serializers.Serializer):
    day = serializers.DateField()
    first_day = serializers.DateField(help_text="First whole UTC day counted.")
    last_day = serializers.DateField()
    url = serializers.URLField(help_text="The list's page.")
    definition = serializers.CharField()
    entries = DocumentEntrySerializer(many=True, help_text="The ranked networks, then the reserved ranges.")
    signed = SignedFilesSerializer()


class BlockListView(PublicView):
    serializer_class = BlockListSerializer

    @extend_schema(summary="Today's block list, with its signed files")
    def get(self, request):
        snapshot = blocklist.current_blocklist()
        signed = {
            "document": blocklist_formats.url(blocklist_formats.JSON_NAME),
            "signature": blocklist_formats.url(blocklist_formats.JSON_NAME + ".sig"),
            "public_key": blocklist_formats.url(blocklist_formats.KEY_NAME),
            "fingerprint": signing.fingerprint(snapshot.public_key),
        }
        return Response(self.get_serializer({**blocklist.blocklist_document(snapshot), "signed": signed}).data)
