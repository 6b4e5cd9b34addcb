"""SigV4 verification of a received request, recomputed with botocore's own signer.

The request is rebuilt as a botocore AWSRequest from what arrived on the wire (method,
path and query, exactly the headers the client listed in SignedHeaders, the body), the
timestamp is the X-Amz-Date received, and botocore.auth.SigV4Auth computes the canonical
request, string to sign and signature for the region and service of the credential scope.
The result must equal the Signature the client sent.

Rejections use the codes AWS's JSON services answer with:
  UnrecognizedClientException  unknown access key, or a session token missing or not matching
  ExpiredTokenException        the key's session has expired
  InvalidSignatureException    wrong signature, wrong scope, or a timestamp too far from now
  IncompleteSignatureException the Authorization header lacks a part
  MissingAuthenticationTokenException  no Authorization header at all
"""

import datetime
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Callable

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from .state import Credential, State

_AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256\s+(?P<params>.+)$")
SIGNATURE_MISMATCH = ("The request signature we calculated does not match the signature you "
                      "provided. Check your AWS Secret Access Key and signing method. Consult the "
                      "service documentation for details.")


class AuthError(Exception):
    def __init__(self, code: str, message: str, status: int = 403):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass
class Verified:
    credential: Credential
    region: str
    service: str


class _DeclaredHeadersSigV4(botocore.auth.SigV4Auth):
    """SigV4Auth, but the headers signed are those the client declared, as a server must use.

    botocore's client-side list skips User-Agent and Expect; a server honours whatever the
    client listed, so the rebuilt request carries exactly the declared headers.
    """

    def headers_to_sign(self, request):
        header_map = botocore.awsrequest.HTTPHeaders()
        for name, value in request.headers.items():
            header_map[name.lower()] = value
        return header_map


def _parse_authorization(value: str) -> dict[str, str]:
    m = _AUTH_RE.match(value.strip())
    if not m:
        raise AuthError("IncompleteSignatureException",
                        "Authorization header requires the AWS4-HMAC-SHA256 scheme.", 400)
    params: dict[str, str] = {}
    for part in m.group("params").split(","):
        key, sep, val = part.strip().partition("=")
        if sep:
            params[key] = val
    for needed in ("Credential", "SignedHeaders", "Signature"):
        if needed not in params:
            raise AuthError("IncompleteSignatureException",
                            f"Authorization header requires '{needed}' parameter.", 400)
    return params


def verify(state: State, method: str, host_url: str, raw_path: str,
           headers: list[tuple[str, str]], body: bytes, expected_service: str,
           region_ok: Callable[[str], bool], bad_key: Callable[[str], bool]) -> Verified:
    """Checks the request's signature; raises AuthError as AWS would reject it."""
    lower = {}
    for name, value in headers:
        lower.setdefault(name.lower(), []).append(value)
    if "authorization" not in lower:
        raise AuthError("MissingAuthenticationTokenException", "Missing Authentication Token")
    params = _parse_authorization(lower["authorization"][0])
    scope = params["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise AuthError("IncompleteSignatureException",
                        "Credential should be scoped to a valid region, service and terminator.", 400)
    access_key_id, scope_date, region, service, _ = scope
    amz_date = (lower.get("x-amz-date") or [""])[0]
    if not re.fullmatch(r"\d{8}T\d{6}Z", amz_date):
        raise AuthError("IncompleteSignatureException", "Authorization header requires existence "
                        "of either a 'X-Amz-Date' or a 'Date' header.", 400)
    signed = params["SignedHeaders"].split(";")
    for must in ("host", "x-amz-date") + (("x-amz-security-token",)
                                          if "x-amz-security-token" in lower else ()):
        # The SigV4 documentation requires host and the date to be signed, and the
        # session token too when temporary credentials are used.
        if must not in signed:
            raise AuthError("InvalidSignatureException",
                            f"'{must}' must be a 'SignedHeader' in the AWS Authorization.")
    if any(h not in lower for h in signed):
        raise AuthError("InvalidSignatureException", SIGNATURE_MISMATCH)

    cred = state.credential(access_key_id)
    token = (lower.get("x-amz-security-token") or [None])[0]
    if cred is None or token != cred.session_token:
        raise AuthError("UnrecognizedClientException",
                        "The security token included in the request is invalid.")
    if state.is_expired(cred):
        raise AuthError("ExpiredTokenException",
                        "The security token included in the request is expired")

    if scope_date != amz_date[:8]:
        raise AuthError("InvalidSignatureException",
                        f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version "
                        f"of date from HTTP: '{scope_date}' != '{amz_date[:8]}', from 'X-Amz-Date'.")
    if service != expected_service:
        raise AuthError("InvalidSignatureException",
                        f"Credential should be scoped to correct service: '{expected_service}'. ")
    if not region_ok(region):
        raise AuthError("InvalidSignatureException",
                        "Credential should be scoped to a valid region. ")
    now = datetime.datetime.now(datetime.timezone.utc)
    sent = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc)
    skew = datetime.timedelta(seconds=state.config.clock_skew_seconds)
    if abs(now - sent) > skew:
        raise AuthError("InvalidSignatureException",
                        f"Signature expired: {amz_date} is now earlier than "
                        f"{(now - skew).strftime('%Y%m%dT%H%M%SZ')} "
                        f"({now.strftime('%Y%m%dT%H%M%SZ')} - 5 min.)")
    declared_hash = (lower.get("x-amz-content-sha256") or [None])[0]
    if declared_hash is not None and declared_hash != hashlib.sha256(body).hexdigest():
        raise AuthError("InvalidSignatureException", SIGNATURE_MISMATCH)

    request = botocore.awsrequest.AWSRequest(method=method, url=host_url + raw_path, data=body)
    for name in signed:
        for value in lower[name]:
            request.headers[name] = value
    request.context["timestamp"] = amz_date
    signer = _DeclaredHeadersSigV4(
        botocore.credentials.Credentials(cred.access_key_id, cred.secret_access_key,
                                         cred.session_token), service, region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical), request)
    if bad_key(access_key_id) or not hmac.compare_digest(expected, params["Signature"]):
        raise AuthError("InvalidSignatureException", SIGNATURE_MISMATCH)
    return Verified(cred, region, service)
