import ipaddress

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms

from .models import IspServer, OwnedNetwork, User


def _helper(action: str, label: str) -> FormHelper:
    helper = FormHelper()
    helper.form_action = action
    helper.add_input(Submit("submit", label))
    return helper


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["timezone", "forwarding_opt_in", "digest", "mail_confirmations"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("profile", "Save settings")


class NetworkForm(forms.Form):
    cidr = forms.CharField(
        label="Network (CIDR)",
        max_length=49,
        help_text="A network you operate, e.g. 203.0.113.0/28 or 2001:db8:1::/48. Kept private.",
    )
    note = forms.CharField(max_length=100, required=False)

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.helper = _helper("network-add", "Add network")

    def clean_cidr(self):
        try:
            network = ipaddress.ip_network(self.cleaned_data["cidr"].strip(), strict=False)
        except ValueError:
            raise forms.ValidationError("Enter a network such as 203.0.113.0/28 or a single address.") from None
        if self.user and OwnedNetwork.objects.filter(user=self.user, cidr=network).exists():
            raise forms.ValidationError("You have already added this network.")
        return network


class IspServerForm(forms.Form):
    kind = forms.ChoiceField(choices=IspServer.Kind.choices)
    address = forms.GenericIPAddressField(label="Address")

    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.helper = _helper("isp-server-add", "Add server")

    def clean(self):
        data = super().clean()
        if (
            self.user
            and data.get("address")
            and IspServer.objects.filter(user=self.user, kind=data.get("kind"), address=data["address"]).exists()
        ):
            raise forms.ValidationError("You have already added this server.")
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=80, help_text="What uses it, e.g. “home router cron job”.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper("token-create", "Create token")


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = FormHelper()
        self.helper.form_action = "account-delete"
        self.helper.add_input(Submit("submit", "Delete my account and all my data", css_class="btn-danger"))

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
