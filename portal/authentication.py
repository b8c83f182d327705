from rest_framework import authentication, exceptions

from .models import ApiToken


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """DRF authentication by the profile's API tokens (``Authorization: Token <key>``)."""

    def authenticate_credentials(self, key):
        token = ApiToken.authenticate(key)
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        return token.user, token
