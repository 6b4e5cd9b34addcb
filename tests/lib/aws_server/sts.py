"""STS AssumeRoleWithWebIdentity over the query protocol: form-encoded request, XML reply.

The reply and error documents follow STS's wire format (namespace
https://sts.amazonaws.com/doc/2011-06-15/, indented as STS sends them). Error statuses come
from botocore's sts model where the error is modeled (AccessDenied is not modeled there, and
STS sends it as 403; Throttling, a common error, as 400).
"""

import re
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from . import model
from .oidc import OidcKey, TokenRejected, verify_token
from .scenario import Scenario
from .state import State, random_upper

NAMESPACE = "https://sts.amazonaws.com/doc/2011-06-15/"

# code -> (HTTP status, Type, default message)
ERRORS: dict[str, tuple[int, str, str]] = {
    "AccessDenied": (403, "Sender", "Not authorized to perform sts:AssumeRoleWithWebIdentity"),
    "InvalidIdentityToken": (400, "Sender", "Couldn't retrieve verification key from your "
                             "identity provider,  please reference AssumeRoleWithWebIdentity "
                             "documentation for requirements"),
    "IDPRejectedClaim": (403, "Sender", "Identity provider rejected the claim"),
    "IDPCommunicationError": (400, "Sender", "The request could not be fulfilled because the "
                              "identity provider (IDP) that was asked to verify the incoming "
                              "identity token could not be reached. Retry the request."),
    "ExpiredTokenException": (400, "Sender", "Token expired"),
    "RegionDisabledException": (403, "Sender", "STS is not activated in this region for account"),
    "Throttling": (400, "Sender", "Rate exceeded"),
    "ValidationError": (400, "Sender", "Validation failed"),
    "InvalidAction": (400, "Sender", "Could not find operation"),
    "MissingAction": (400, "Sender", "Missing Action"),
    "InternalFailure": (500, "Receiver", "An internal error occurred."),
    "ServiceUnavailable": (503, "Receiver", "Service Unavailable"),
}
_STATUS_CODES = {500: "InternalFailure", 503: "ServiceUnavailable"}


@dataclass
class Reply:
    status: int
    body: bytes
    log: dict[str, Any]
    request_id: str
    content_type: str = "text/xml"


class StsFault(Exception):
    def __init__(self, code: str, message: str | None = None):
        self.code = code
        status, _, default = ERRORS.get(code, (400, "Sender", code))
        self.status = model.error_status("sts", code) or status
        self.message = message or default
        super().__init__(self.message)


def _error_document(fault: StsFault, request_id: str) -> bytes:
    kind = ERRORS.get(fault.code, (0, "Sender", ""))[1]
    return (f'<ErrorResponse xmlns="{NAMESPACE}">\n'
            f"  <Error>\n"
            f"    <Type>{kind}</Type>\n"
            f"    <Code>{escape(fault.code)}</Code>\n"
            f"    <Message>{escape(fault.message)}</Message>\n"
            f"  </Error>\n"
            f"  <RequestId>{request_id}</RequestId>\n"
            f"</ErrorResponse>\n").encode()


def _glob_match(pattern: str, value: str) -> bool:
    # IAM StringLike: * is any run of characters, ? is one character, nothing else is special.
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, re.DOTALL) is not None


def _injected_fault(entry: Any) -> StsFault:
    if isinstance(entry, int):
        return StsFault(_STATUS_CODES.get(entry, "InternalFailure"))
    return StsFault(str(entry))


def _assume(state: State, key: OidcKey, scenario: Scenario, params: dict[str, str],
            log: dict[str, Any]) -> str:
    required = ("RoleArn", "RoleSessionName", "WebIdentityToken")
    shaped: dict[str, Any] = {k: params[k] for k in required if k in params}
    if "DurationSeconds" in params:
        try:
            shaped["DurationSeconds"] = int(params["DurationSeconds"])
        except ValueError:
            raise StsFault("ValidationError", f"Value '{params['DurationSeconds']}' at "
                           "'durationSeconds' failed to satisfy constraint: Member must be a number")
    log.update({k: params.get(k) for k in ("RoleArn", "RoleSessionName", "DurationSeconds")})
    message = model.validate_input("sts", "AssumeRoleWithWebIdentity", shaped)
    if message:
        raise StsFault("ValidationError", message)
    role = re.fullmatch(r"arn:aws[\w-]*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)",
                        shaped["RoleArn"])
    if not role:
        raise StsFault("ValidationError", "Request ARN is invalid")
    duration = shaped.get("DurationSeconds", 3600)
    if duration > state.config.max_session_duration:
        raise StsFault("ValidationError", "The requested DurationSeconds exceeds the "
                       "MaxSessionDuration set for this role.")

    injected = scenario.take_failure("sts_fail", "sts_always")
    if injected is not None:
        log["injected"] = injected
        raise _injected_fault(injected)

    audience = scenario.setting("expected_audience", state.config.expected_audience)
    try:
        claims = verify_token(key, shaped["WebIdentityToken"], audience)
    except TokenRejected as rejected:
        raise StsFault(rejected.code, rejected.message) from None
    allowed_sub = scenario.setting("allowed_sub", state.config.subject_pattern)
    allowed_role = scenario.setting("allowed_role", state.config.allowed_role)
    if not _glob_match(allowed_sub, str(claims.get("sub"))) or \
            not _glob_match(allowed_role, shaped["RoleArn"]):
        # The trust policy's conditions failed: STS does not say which one.
        raise StsFault("AccessDenied")

    cred = state.issue_session(duration)
    account, role_name = role.group(1), role.group(2)
    session = shaped["RoleSessionName"]
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(cred.expires_at))
    role_id = "AROA" + random_upper(17)
    return (f"    <Credentials>\n"
            f"      <AccessKeyId>{cred.access_key_id}</AccessKeyId>\n"
            f"      <SecretAccessKey>{escape(cred.secret_access_key)}</SecretAccessKey>\n"
            f"      <SessionToken>{escape(cred.session_token)}</SessionToken>\n"
            f"      <Expiration>{expiration}</Expiration>\n"
            f"    </Credentials>\n"
            f"    <SubjectFromWebIdentityToken>{escape(str(claims['sub']))}"
            f"</SubjectFromWebIdentityToken>\n"
            f"    <AssumedRoleUser>\n"
            f"      <AssumedRoleId>{role_id}:{escape(session)}</AssumedRoleId>\n"
            f"      <Arn>arn:aws:sts::{account}:assumed-role/{escape(role_name)}/{escape(session)}"
            f"</Arn>\n"
            f"    </AssumedRoleUser>\n"
            f"    <Provider>arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
            f"</Provider>\n"
            f"    <Audience>{escape(audience)}</Audience>\n")


def handle(state: State, key: OidcKey, scenario: Scenario, method: str, query: str,
           content_type: str, body: bytes) -> Reply:
    request_id = str(uuid.uuid4())
    params = dict(parse_qsl(query, keep_blank_values=True))
    # The query protocol reads a body only when it is form-encoded.
    if method == "POST" and content_type.split(";")[0].strip().lower() == \
            "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    action = params.get("Action")
    log: dict[str, Any] = {"service": "sts", "action": action}
    try:
        if not action:
            raise StsFault("MissingAction", "Missing Action")
        if action != "AssumeRoleWithWebIdentity" or params.get("Version") != "2011-06-15":
            raise StsFault("InvalidAction", f"Could not find operation {action} for version "
                           f"{params.get('Version', 'NO_VERSION_SPECIFIED')}")
        result = _assume(state, key, scenario, params, log)
    except StsFault as fault:
        log.update({"status": fault.status, "error": fault.code})
        return Reply(fault.status, _error_document(fault, request_id), log, request_id)
    log["status"] = 200
    doc = (f'<AssumeRoleWithWebIdentityResponse xmlns="{NAMESPACE}">\n'
           f"  <AssumeRoleWithWebIdentityResult>\n{result}"
           f"  </AssumeRoleWithWebIdentityResult>\n"
           f"  <ResponseMetadata>\n"
           f"    <RequestId>{request_id}</RequestId>\n"
           f"  </ResponseMetadata>\n"
           f"</AssumeRoleWithWebIdentityResponse>\n")
    return Reply(200, doc.encode(), log, request_id)
