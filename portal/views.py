from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from reports.public_views import front_context
from reports.views import personal_report

from . import account_data
from .forms import AccountDeleteForm, ApiTokenForm, IspServerForm, NetworkForm, ProfileForm
from .models import ApiToken, IspServer, OwnedNetwork


def home(request):
    if not request.user.is_authenticated:
        # The welcome, and the public summary anyone may read.
        return render(request, "portal/welcome.html", front_context(request))
    return personal_report(request)


def _render_profile(request, **forms):
    user = request.user
    context = {
        "profile_form": forms.get("profile_form") or ProfileForm(instance=user),
        "network_form": forms.get("network_form") or NetworkForm(user=user),
        "isp_form": forms.get("isp_form") or IspServerForm(user=user),
        "token_form": forms.get("token_form") or ApiTokenForm(),
        "networks": user.networks.all(),
        "isp_servers": user.isp_servers.all(),
        "tokens": user.api_tokens.all(),
        # Shown once, right after creation; never stored in plain text.
        "new_token_key": request.session.pop("new_token_key", None),
        "submit_box": settings.MAIL_SUBMIT_ADDRESS,
    }
    status = 400 if any(f is not None and f.errors for f in forms.values()) else 200
    return render(request, "portal/profile.html", context, status=status)


@login_required
def profile(request):
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=request.user)
        if form.is_valid():
            form.save()
            messages.success(request, "Your settings are saved.")
            return redirect("profile")
        return _render_profile(request, profile_form=form)
    return _render_profile(request)


@login_required
@require_POST
def network_add(request):
    form = NetworkForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_profile(request, network_form=form)
    OwnedNetwork.objects.create(user=request.user, cidr=form.cleaned_data["cidr"], note=form.cleaned_data["note"])
    messages.success(request, f"Network {form.cleaned_data['cidr']} added. Traffic from it will not be reported.")
    return redirect("profile")


@login_required
@require_POST
def network_delete(request, pk):
    network = get_object_or_404(OwnedNetwork, pk=pk, user=request.user)
    network.delete()
    messages.success(request, f"Network {network.cidr} removed.")
    return redirect("profile")


@login_required
@require_POST
def isp_server_add(request):
    form = IspServerForm(request.POST, user=request.user)
    if not form.is_valid():
        return _render_profile(request, isp_form=form)
    server = IspServer.objects.create(
        user=request.user, kind=form.cleaned_data["kind"], address=form.cleaned_data["address"]
    )
    messages.success(request, f"{server} added.")
    return redirect("profile")


@login_required
@require_POST
def isp_server_delete(request, pk):
    server = get_object_or_404(IspServer, pk=pk, user=request.user)
    server.delete()
    messages.success(request, f"{server} removed.")
    return redirect("profile")


@login_required
@require_POST
def token_create(request):
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _render_profile(request, token_form=form)
    token, key = ApiToken.issue(request.user, form.cleaned_data["name"])
    request.session["new_token_key"] = key
    messages.success(request, f"Token “{token.name}” created. Copy it now: it will not be shown again.")
    return redirect("profile")


@login_required
@require_POST
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    token.revoke()
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("profile")


@login_required
@never_cache
def account_export(request):
    response = StreamingHttpResponse(account_data.export_zip(request.user), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="incident-portal-{timezone.now():%Y-%m-%d}.zip"'
    return response


@login_required
def account_delete(request):
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        deleted = account_data.delete_account(user)
        messages.success(
            request,
            f"Your account is deleted, with {deleted.submissions} submissions and {deleted.events} events. Goodbye.",
        )
        return redirect("home")
    return render(request, "portal/account_delete.html", {"form": form}, status=400 if form.errors else 200)
