"""How the OpenAPI schema describes what drf-spectacular cannot guess."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class DShieldAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "portal.authentication.DShieldAuthentication"
    name = "dshieldAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-ISC-Authorization",
            "description": "DShield clients' HMAC header: `ISC-HMAC-SHA256 Credentials=... Userid=... Nonce=...` "
            "or `credentials=... nonce=... userid=...`, made with the user id and key from /api/v1/dshield/key/.",
        }
