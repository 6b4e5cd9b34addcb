"""GitHub Actions' OIDC token endpoint and the signing key behind it.

The runner's request is GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud> with
"Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN"; the reply is {"count": N, "value": JWT}.
The JWT mirrors GitHub's: RS256, iss https://token.actions.githubusercontent.com, sub
repo:<owner/repo>:ref:<ref>, and the repository/ref/run claims. Without an audience
GitHub uses the repository owner's URL.
"""

import base64
import hashlib
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .config import Config

ISSUER = "https://token.actions.githubusercontent.com"


class TokenRejected(Exception):
    """Why STS would not accept a web identity token: an STS error code and its message."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class OidcKey:
    private_pem: bytes
    public_key: Any
    kid: str

    @staticmethod
    def generate() -> "OidcKey":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        kid = base64.urlsafe_b64encode(hashlib.sha1(spki).digest()).decode().rstrip("=")
        return OidcKey(pem, key.public_key(), kid)


def issue_token(key: OidcKey, config: Config, audience: str, lifetime: int) -> str:
    now = int(time.time())
    owner = config.github_repo.split("/", 1)[0]
    claims = {
        "jti": str(uuid.uuid4()),
        "sub": config.subject,
        "aud": audience,
        "ref": config.github_ref,
        "sha": "0" * 40,
        "repository": config.github_repo,
        "repository_owner": owner,
        "repository_owner_id": "1000001",
        "repository_id": "2000002",
        "repository_visibility": "private",
        "run_id": "3000003",
        "run_number": "7",
        "run_attempt": "1",
        "actor": "octocat",
        "actor_id": "4000004",
        "workflow": "mirror",
        "workflow_ref": f"{config.github_repo}/.github/workflows/mirror.yml@{config.github_ref}",
        "event_name": "push",
        "ref_type": "branch",
        "ref_protected": "false",
        "runner_environment": "github-hosted",
        "iss": ISSUER,
        "nbf": now - 5,
        "iat": now,
        "exp": now + lifetime,
    }
    return jwt.encode(claims, key.private_pem, algorithm="RS256",
                      headers={"typ": "JWT", "kid": key.kid})


def default_audience(config: Config) -> str:
    return "https://github.com/" + config.github_repo.split("/", 1)[0]


def verify_token(key: OidcKey, token: str, expected_audience: str) -> dict[str, Any]:
    """The token's claims, if STS's OIDC provider check would pass; else TokenRejected.

    The codes follow what STS answers: a malformed or foreign token is InvalidIdentityToken,
    an audience outside the provider's client IDs is InvalidIdentityToken "Incorrect token
    audience", an expired token is ExpiredTokenException. The trust policy (sub) is checked by
    the caller, since it fails with AccessDenied instead.
    """
    try:
        header = jwt.get_unverified_header(token)
        jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise TokenRejected("InvalidIdentityToken", "The ID Token provided is not a valid JWT. "
                            "(You may see this error if you sent an Access Token)") from None
    try:
        claims = jwt.decode(token, key.public_key, algorithms=["RS256"],
                            options={"verify_aud": False, "verify_exp": False,
                                     "verify_nbf": False, "verify_iat": False})
    except jwt.PyJWTError:
        claims = None
    if claims is None or header.get("kid") != key.kid:
        raise TokenRejected("InvalidIdentityToken", "The web identity token that was passed could "
                            "not be validated by AWS. Get a new identity token from the identity "
                            "provider and then retry the request.")
    if claims.get("iss") != ISSUER:
        raise TokenRejected("InvalidIdentityToken",
                            f"No OpenIDConnect provider found in your account for {claims.get('iss')}")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if expected_audience not in audiences:
        raise TokenRejected("InvalidIdentityToken", "Incorrect token audience")
    now = int(time.time())
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        raise TokenRejected("ExpiredTokenException", f"Token expired: current date/time {now} "
                            f"must be before the expiration date/time {exp}")
    nbf = claims.get("nbf")
    if isinstance(nbf, int) and nbf > now + 60:
        raise TokenRejected("InvalidIdentityToken", "Token used before its nbf time")
    return claims
