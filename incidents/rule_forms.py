from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from .models import FilterRule

USER_KINDS = [
    (k.value, k.label)
    for k in (
        FilterRule.Kind.NETWORK,
        FilterRule.Kind.PORT,
        FilterRule.Kind.PROTOCOL_PORT,
        FilterRule.Kind.REQUESTED_SCAN,
        FilterRule.Kind.IRC_SERVER,
    )
]


class UserRuleForm(forms.ModelForm):
    """A user's own rule. Times are entered in the user's zone (the active one)."""

    kind = forms.ChoiceField(choices=USER_KINDS)
    starts_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="From"
    )
    expires_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), label="Until (empty: no end)"
    )

    class Meta:
        model = FilterRule
        fields = ["kind", "network", "protocol", "port_from", "port_to", "starts_at", "expires_at", "reason"]
        labels = {"network": "Source network (CIDR)", "port_from": "Port", "port_to": "…to port"}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.user = user
        self.fields["reason"].required = False
        self.fields["reason"].help_text = "Shown next to what the rule catches. Empty: described from the rule."
        self.helper = FormHelper()
        self.helper.form_action = "rule-list"
        self.helper.add_input(Submit("submit", "Add rule"))

    def clean(self):
        data = super().clean()
        if not data.get("reason") and data.get("kind"):
            # Into cleaned_data: the instance is built from it after clean().
            data["reason"] = self._describe(data)
        return data

    @staticmethod
    def _describe(data) -> str:
        kind = FilterRule.Kind(data["kind"])
        port = data.get("port_from")
        if data.get("port_to") and data["port_to"] != port:
            port = f"{port}-{data['port_to']}"
        what = {
            FilterRule.Kind.NETWORK: f"my rule: source {data.get('network')}",
            FilterRule.Kind.PORT: f"my rule: port {port}",
            FilterRule.Kind.PROTOCOL_PORT: f"my rule: {data.get('protocol')}/{port}",
            FilterRule.Kind.REQUESTED_SCAN: f"a scan I asked for from {data.get('network')}",
            FilterRule.Kind.IRC_SERVER: f"open-proxy check by IRC server {data.get('network')}",
        }
        return what.get(kind, kind.label)[:120]
