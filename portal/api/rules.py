"""My filter rules: the caller's own rules in full (create, read, change,
delete), the portal-wide ones read-only and by their wording only, as the
rules page shows them. Built-in rules live in code and are not listed.

Input is validated by the rules page's own form (UserRuleForm), so both paths
accept and refuse the same rules; every change queues the same re-evaluation
of the caller's stored events (incidents.rules)."""

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from incidents import rules
from incidents.models import FilterRule
from incidents.rule_forms import USER_KINDS, UserRuleForm
from incidents.selectors import rule_catches


class FilterRuleSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:rule-detail")
    kind = serializers.ChoiceField(choices=USER_KINDS)
    network = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Source network (CIDR)."
    )
    caught = serializers.SerializerMethodField(help_text="Your events this rule filtered (in the retention window).")

    class Meta:
        model = FilterRule
        fields = [
            "id",
            "url",
            "kind",
            "network",
            "protocol",
            "port_from",
            "port_to",
            "starts_at",
            "expires_at",
            "reason",
            "enabled",
            "created_at",
            "caught",
        ]
        read_only_fields = ["enabled", "created_at"]
        extra_kwargs = {
            "reason": {"required": False, "allow_blank": True, "help_text": "Empty: described from the rule."},
            "starts_at": {"help_text": "ISO 8601; without an offset, in your profile's zone."},
        }

    @extend_schema_field(int)
    def get_caught(self, rule):
        return self.context.get("caught", {}).get(rule.code, 0)

    def to_representation(self, rule):
        data = super().to_representation(rule)
        data["network"] = str(rule.network) if rule.network else None
        return data

    def to_internal_value(self, data):
        # Times without an offset are read in the user's zone, as the rules page reads them.
        with timezone.override(self.context["request"].user.tz):
            return super().to_internal_value(data)

    def validate(self, attrs):
        request = self.context["request"]
        merged = {name: getattr(self.instance, name) for name in UserRuleForm.Meta.fields} if self.instance else {}
        merged.update(attrs)
        data = {name: "" if value is None else value for name, value in merged.items()}
        # The form reads times without an offset in the active zone, as the
        # rules page does in the user's.
        with timezone.override(request.user.tz):
            self.form = UserRuleForm(data=data, instance=self.instance, user=request.user)
            valid = self.form.is_valid()
        if not valid:
            raise serializers.ValidationError(
                {
                    field if field != "__all__" else "non_field_errors": errors
                    for field, errors in self.form.errors.items()
                }
            )
        return attrs

    def save(self, **kwargs):
        with transaction.atomic():
            self.instance = self.form.save()
            rules.rule_saved(self.instance)
        return self.instance


@extend_schema_view(
    list=extend_schema(summary="My filter rules"),
    create=extend_schema(summary="Add a filter rule; my stored events are checked again"),
    retrieve=extend_schema(summary="One of my filter rules"),
    update=extend_schema(summary="Change a filter rule; my stored events are checked again"),
    partial_update=extend_schema(summary="Change part of a filter rule; my stored events are checked again"),
    destroy=extend_schema(summary="Remove a filter rule; events it hid come back once checked again"),
)
class FilterRuleViewSet(viewsets.ModelViewSet):
    serializer_class = FilterRuleSerializer
    filterset_fields = ["kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # generating the schema: nobody asks
            return FilterRule.objects.none()
        # The caller's own rules only: anyone else's, and portal-wide ones, are 404 here.
        return FilterRule.objects.filter(user=self.request.user)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.action in ("list", "retrieve") and getattr(self, "request", None) is not None:
            codes = [r.code for r in self.filter_queryset(self.get_queryset())]
            context["caught"] = rule_catches(self.request.user, codes)
        return context

    def perform_destroy(self, rule):
        with transaction.atomic():
            rule.delete()
            rules.rule_deleted(rule)


class PortalRuleSerializer(serializers.ModelSerializer):
    """A portal-wide rule as a user sees it: what it is for, not its networks."""

    caught = serializers.SerializerMethodField(help_text="Your events this rule filtered.")

    class Meta:
        model = FilterRule
        fields = ["id", "kind", "reason", "caught"]
        read_only_fields = fields

    @extend_schema_field(int)
    def get_caught(self, rule):
        return self.context.get("caught", {}).get(rule.code, 0)


@extend_schema_view(list=extend_schema(summary="Portal-wide filter rules (read-only)"))
class PortalRuleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = PortalRuleSerializer

    def get_queryset(self):
        return FilterRule.objects.filter(user__isnull=True, enabled=True)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "request", None) is not None and self.request.user.is_authenticated:
            context["caught"] = rule_catches(self.request.user, [r.code for r in self.get_queryset()])
        return context
