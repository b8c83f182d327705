import base64
import binascii
import hashlib
import hmac

from django.core.cache import cache
from rest_framework import authentication, exceptions

from .models import ApiToken, DShieldKey

# A nonce of the ISC-HMAC-SHA256 scheme is refused when seen again within this
# time: a copied header cannot be replayed (its clients make a fresh one per post).
NONCE_SECONDS = 7 * 24 * 3600


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF authentication by the profile's API tokens (``Authorization: Token <key>``)."""

    def authenticate_credentials(self, key):
        token = ApiToken.authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token


class DShieldAuthentication(authentication.BaseAuthentication):
    """The ``X-ISC-Authorization`` header of DShield's clients, both schemes:

    - ``ISC-HMAC-SHA256 Credentials=<c> Userid=<id> Nonce=<n>`` (the Python
      client, ``/submitapi/``): c = base64(HMAC-SHA256(key = n + id, msg = api key)).
    - ``credentials=<c> nonce=<n> userid=<id>`` (the Perl clients,
      ``/api/file/dshieldlog``): c = base64(HMAC-SHA256(key = base64-decoded
      n + id, msg = base64-decoded api key)), without padding (Perl's
      ``hmac_sha256_base64($data, $key)`` takes the data first).

    Neither signs the body or a time, so over TLS they are as strong as a
    bearer key; the first at least carries a fresh nonce, which is enforced.
    """

    HEADER = "HTTP_X_ISC_AUTHORIZATION"

    def authenticate(self, request):
        header = request.META.get(self.HEADER, "").strip()
        if not header:
            return None
        modern = header[:15].upper() == "ISC-HMAC-SHA256"
        fields = {}
        for part in (header[15:] if modern else header).split():
            name, _, value = part.partition("=")
            fields[name.lower()] = value
        userid, nonce, credentials = fields.get("userid", ""), fields.get("nonce", ""), fields.get("credentials", "")
        if not (userid.isdigit() and nonce and credentials):
            raise exceptions.AuthenticationFailed("X-ISC-Authorization needs credentials, nonce and userid.")
        row = DShieldKey.objects.select_related("user").filter(userid=int(userid)).first()
        if row is None or not row.user.is_active:
            raise exceptions.AuthenticationFailed("Unknown DShield user id or wrong key.")
        expected = [self._credentials(modern, key, nonce, userid) for key in row.candidate_keys()]
        given = credentials.rstrip("=")
        if not any(e is not None and hmac.compare_digest(e.rstrip("="), given) for e in expected):
            raise exceptions.AuthenticationFailed("Unknown DShield user id or wrong key.")
        if modern and not cache.add(f"dshield-nonce:{row.userid}:{nonce}", 1, timeout=NONCE_SECONDS):
            raise exceptions.AuthenticationFailed("This nonce was used before; make a new header for each post.")
        row.touch()
        return row.user, row

    def authenticate_header(self, request):
        return "ISC-HMAC-SHA256"

    @staticmethod
    def _credentials(modern: bool, key: str, nonce: str, userid: str) -> str | None:
        if modern:
            mac = hmac.new((nonce + userid).encode(), key.encode(), hashlib.sha256)
        else:
            try:
                mac = hmac.new(base64.b64decode(nonce) + userid.encode(), base64.b64decode(key), hashlib.sha256)
            except (binascii.Error, ValueError):
                return None
        return base64.b64encode(mac.digest()).decode()
