"""The digest's one-click unsubscribe (RFC 8058): no sign-in, a signed link."""

from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import digests


@csrf_exempt  # mail clients POST "List-Unsubscribe=One-Click" without a CSRF token; the signed link is the proof
@never_cache
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request, token):
    from portal.models import User

    try:
        user_id = digests.user_from_token(token)
    except signing.BadSignature:
        raise Http404("invalid unsubscribe link") from None
    user = get_object_or_404(User, pk=user_id)
    done = False
    if request.method == "POST":
        digests.unsubscribe(user.pk)
        done = True
    return render(
        request,
        "reports/digest_unsubscribe.html",
        {"email": user.email, "digest": user.get_digest_display(), "done": done, "off": user.digest == "off"},
    )
