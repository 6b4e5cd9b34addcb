"""ECR Public (SpencerFrontendService) and ECR (AmazonEC2ContainerRegistry_V20150921), JSON 1.1.

Every request must be SigV4-signed for the operation's signing name (ecr-public, always in
us-east-1; ecr in any region). Replies follow botocore's models for the two services:
GetAuthorizationToken, DescribeRepositories and CreateRepository. Timestamps are epoch
seconds written the way AWS's JSON services write them (1.704110400123E9). Errors are
{"__type": code, "message": text} with the code also in x-amzn-ErrorType.
"""

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from . import model, sigv4
from .scenario import Scenario
from .state import Repository, State

TARGET_PREFIXES = {"SpencerFrontendService": "ecr-public",
                   "AmazonEC2ContainerRegistry_V20150921": "ecr"}
IMPLEMENTED = ("GetAuthorizationToken", "DescribeRepositories", "CreateRepository",
               "BatchCheckLayerAvailability", "PutLifecyclePolicy")
CONTENT_TYPE = "application/x-amz-json-1.1"
# Statuses of the codes a scenario injects or this module raises (unmodeled: ECR's models
# carry no HTTP status for their errors, all of which are 400 but ServerException).
STATUS = {"ServerException": 500, "InternalFailure": 500, "ServiceUnavailableException": 503,
          "ThrottlingException": 400}
_STATUS_CODES = {500: "ServerException", 503: "ServiceUnavailableException"}
_EPOCH = re.compile(r'"@@epoch:(\d+)\.(\d{3})@@"')


@dataclass
class Reply:
    status: int
    body: bytes
    log: dict[str, Any]
    content_type: str = CONTENT_TYPE
    headers: dict[str, str] = field(default_factory=dict)


class EcrFault(Exception):
    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS.get(code, 400)


def _epoch(seconds: float) -> str:
    return f"@@epoch:{seconds:.3f}@@"


def _coral_number(m: re.Match) -> str:
    whole, frac = m.group(1), m.group(2)
    digits = (whole[1:] + frac).rstrip("0") or "0"
    return f"{whole[0]}.{digits}E{len(whole) - 1}"


def _encode(doc: dict[str, Any]) -> bytes:
    return _EPOCH.sub(_coral_number, json.dumps(doc, separators=(",", ":"))).encode()


def _repository_json(service: str, repo: Repository, region: str, alias: str) -> dict[str, Any]:
    if service == "ecr-public":
        out = {"repositoryArn": f"arn:aws:ecr-public::{repo.registry_id}:repository/{repo.name}",
               "registryId": repo.registry_id, "repositoryName": repo.name,
               "repositoryUri": f"public.ecr.aws/{alias}/{repo.name}",
               "createdAt": _epoch(repo.created_at)}
        return out
    s = repo.settings
    return {"repositoryArn": f"arn:aws:ecr:{region}:{repo.registry_id}:repository/{repo.name}",
            "registryId": repo.registry_id, "repositoryName": repo.name,
            "repositoryUri": f"{repo.registry_id}.dkr.ecr.{region}.amazonaws.com/{repo.name}",
            "createdAt": _epoch(repo.created_at),
            "imageTagMutability": s.get("imageTagMutability", "MUTABLE"),
            **({"imageTagMutabilityExclusionFilters": s["imageTagMutabilityExclusionFilters"]}
               if s.get("imageTagMutabilityExclusionFilters") else {}),
            "imageScanningConfiguration": s.get("imageScanningConfiguration", {"scanOnPush": False}),
            "encryptionConfiguration": s.get("encryptionConfiguration", {"encryptionType": "AES256"})}


class Operations:
    def __init__(self, state: State, scenario: Scenario, service: str, region: str):
        self.state, self.scenario, self.service, self.region = state, scenario, service, region
        self.account = state.config.account_id

    def _missing(self, name: str, registry: str) -> EcrFault:
        return EcrFault("RepositoryNotFoundException", f"The repository with name '{name}' does "
                        f"not exist in the registry with id '{registry}'")

    def GetAuthorizationToken(self, params: dict[str, Any]) -> dict[str, Any]:
        expires_in = int(self.scenario.setting("ecr_expires_in", self.state.config.ecr_expires_in))
        registries = params.get("registryIds") or [self.account]
        data = []
        for registry in registries:
            pw = self.state.issue_ecr_password(expires_in)
            entry = {"authorizationToken": base64.b64encode(f"AWS:{pw.password}".encode()).decode(),
                     "expiresAt": _epoch(pw.expires_at)}
            if self.service == "ecr":
                entry["proxyEndpoint"] = self.state.config.ecr_proxy_endpoint or \
                    f"https://{registry}.dkr.ecr.{self.region}.amazonaws.com"
            data.append(entry)
        if self.service == "ecr-public":
            return {"authorizationData": data[0]}
        return {"authorizationData": data}

    def DescribeRepositories(self, params: dict[str, Any]) -> dict[str, Any]:
        registry = params.get("registryId", self.account)
        alias = self.state.config.public_alias
        names = params.get("repositoryNames")
        if names:
            found = []
            for name in names:
                repo = self.state.repository(self.service, registry, name)
                if repo is None:
                    raise self._missing(name, registry)
                found.append(_repository_json(self.service, repo, self.region, alias))
            return {"repositories": found}
        repos = self.state.repositories(self.service, registry)
        try:
            start = int(base64.b64decode(params.get("nextToken", "MA==")).decode())
        except ValueError:
            raise EcrFault("InvalidParameterException", "Invalid parameter at 'nextToken'") from None
        limit = params.get("maxResults", 100)
        page = repos[start:start + limit]
        out: dict[str, Any] = {
            "repositories": [_repository_json(self.service, r, self.region, alias) for r in page]}
        if start + limit < len(repos):
            out["nextToken"] = base64.b64encode(str(start + limit).encode()).decode()
        return out

    def CreateRepository(self, params: dict[str, Any]) -> dict[str, Any]:
        registry = params.get("registryId", self.account)
        name = params["repositoryName"]
        settings = {k: v for k, v in params.items() if k not in ("repositoryName", "registryId")}
        repo = self.state.create_repository(self.service, registry, name, settings)
        if repo is None:
            raise EcrFault("RepositoryAlreadyExistsException", f"The repository with name "
                           f"'{name}' already exists in the registry with id '{registry}'")
        out: dict[str, Any] = {"repository": _repository_json(
            self.service, repo, self.region, self.state.config.public_alias)}
        if self.service == "ecr-public":
            catalog = {k: v for k, v in params.get("catalogData", {}).items()
                       if k in ("description", "architectures", "operatingSystems", "aboutText",
                                "usageText")}
            out["catalogData"] = {**catalog, "marketplaceCertified": False}
        return out


    def _existing(self, params: dict[str, Any]) -> Repository:
        registry = params.get("registryId", self.account)
        repo = self.state.repository(self.service, registry, params["repositoryName"])
        if repo is None:
            raise self._missing(params["repositoryName"], registry)
        return repo

    def BatchCheckLayerAvailability(self, params: dict[str, Any]) -> dict[str, Any]:
        """AVAILABLE when the registry attached with --registry-root holds the blob in this
        repository (distribution links a blob into a repository's _layers once uploaded or
        mounted there), as ECR answers per repository."""
        repo = self._existing(params)
        layers, failures = [], []
        for digest in params["layerDigests"]:
            algorithm, _, hexpart = digest.partition(":")
            if algorithm != "sha256" or len(hexpart) != 64:
                failures.append({"layerDigest": digest, "failureCode": "InvalidLayerDigest",
                                 "failureReason": "Invalid layer digest"})
                continue
            size = self.state.registry_blob_size(self.service, repo.name, hexpart)
            if self.scenario.setting("layers_all_available"):
                size = size or 1  # a stand-in that lies: every layer AVAILABLE
            entry = {"layerDigest": digest,
                     "layerAvailability": "AVAILABLE" if size is not None else "UNAVAILABLE"}
            if size is not None:
                entry["layerSize"] = size
            layers.append(entry)
        return {"layers": layers, "failures": failures}

    def PutLifecyclePolicy(self, params: dict[str, Any]) -> dict[str, Any]:
        repo = self._existing(params)
        try:
            json.loads(params["lifecyclePolicyText"])
        except ValueError:
            raise EcrFault("InvalidParameterException", "Invalid parameter at "
                           "'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy "
                           "validation failure'") from None
        repo.settings["lifecyclePolicyText"] = params["lifecyclePolicyText"]
        return {"registryId": repo.registry_id, "repositoryName": repo.name,
                "lifecyclePolicyText": params["lifecyclePolicyText"]}


def iam_actions(service: str, op: str, params: dict[str, Any]) -> list[str]:
    """The IAM actions AWS authorises the call under: the operation's own, and those it implies.
    ECR Public's token is an STS service bearer token (ECR Public User Guide, "Registry
    authentication": ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken); tags on
    CreateRepository need TagResource too (tag-on-create); a repository encrypted with a KMS key
    needs kms:CreateGrant, kms:RetireGrant and kms:DescribeKey on it (ECR User Guide,
    "Encryption at rest")."""
    actions = [f"{service}:{op}"]
    if service == "ecr-public" and op == "GetAuthorizationToken":
        actions.append("sts:GetServiceBearerToken")
    if op == "CreateRepository":
        if params.get("tags"):
            actions.append(f"{service}:TagResource")
        encryption = params.get("encryptionConfiguration") or {}
        if encryption.get("encryptionType", "").startswith("KMS") and encryption.get("kmsKey"):
            actions += ["kms:CreateGrant", "kms:RetireGrant", "kms:DescribeKey"]
    return actions


def _loggable(params: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in params.items() if k != "catalogData"}
    if "catalogData" in params:
        out["catalogData"] = {k: v for k, v in params["catalogData"].items()
                              if k != "logoImageBlob"}
    return out


def _injected(entry: Any) -> EcrFault:
    if isinstance(entry, dict):
        status = entry.get("status")
        code = entry.get("code") or _STATUS_CODES.get(status or 500, "InternalFailure")
        return EcrFault(code, entry.get("message", "Injected failure"), status)
    if isinstance(entry, int):
        return EcrFault(_STATUS_CODES.get(entry, "InternalFailure"), "Injected failure", entry)
    return EcrFault(str(entry), "Rate exceeded" if "Throttl" in str(entry) else "Injected failure")


def handle(state: State, scenario: Scenario, method: str, host_url: str, raw_path: str,
           headers: list[tuple[str, str]], body: bytes) -> Reply:
    lower = {k.lower(): v for k, v in headers}
    prefix, _, op = lower.get("x-amz-target", "").partition(".")
    service = TARGET_PREFIXES.get(prefix)
    log: dict[str, Any] = {"service": service or "unknown", "action": op or None}
    try:
        if service is None or method != "POST":
            raise EcrFault("UnknownOperationException", "Unknown operation")
        if lower.get("content-type", "").split(";")[0].strip() != CONTENT_TYPE:
            raise EcrFault("UnknownOperationException",
                           f"Content-Type must be {CONTENT_TYPE} for X-Amz-Target requests")
        bad = scenario.setting("bad_signature_key")
        bad_keys = bad if isinstance(bad, list) else [bad] if bad else []
        verified = sigv4.verify(
            state, method, host_url, raw_path, headers, body,
            expected_service=service,
            region_ok=(lambda r: r == "us-east-1") if service == "ecr-public"
            else (lambda r: re.fullmatch(r"[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d", r) is not None),
            bad_key=lambda k: "*" in bad_keys or k in bad_keys)
        log["region"] = verified.region
        if op not in IMPLEMENTED:
            known = op in model.service_model(service).operation_names
            raise EcrFault("UnknownOperationException",
                           f"{op} is not implemented by tests/lib/aws_server" if known
                           else f"Unknown operation {op}")
        injected = scenario.take_failure(
            "ecr_fail", "ecr_always",
            lambda e: not isinstance(e, dict) or (e.get("op") in (None, op) and
                                                  e.get("service") in (None, service)))
        if injected is not None:
            log["injected"] = injected
            raise _injected(injected)
        try:
            params = json.loads(body) if body.strip() else {}
            if not isinstance(params, dict):
                raise model.SerializationError("Expected a JSON object")
            message = model.validate_input(service, op, params)
        except (ValueError, model.SerializationError) as e:
            raise EcrFault("SerializationException", str(e)) from None
        log["params"] = _loggable(params)
        log["iam"] = iam_actions(service, op, params)
        if message:
            raise EcrFault("InvalidParameterException", message)
        result = getattr(Operations(state, scenario, service, verified.region), op)(params)
    except sigv4.AuthError as e:
        log.update({"status": e.status, "error": e.code})
        return _error_reply(e.code, e.message, e.status, log)
    except EcrFault as e:
        log.update({"status": e.status, "error": e.code})
        return _error_reply(e.code, e.message, e.status, log)
    log["status"] = 200
    return Reply(200, _encode(result), log, headers={"x-amzn-RequestId": str(uuid.uuid4())})


def _error_reply(code: str, message: str, status: int, log: dict[str, Any]) -> Reply:
    body = json.dumps({"__type": code, "message": message}, separators=(",", ":")).encode()
    return Reply(status, body, log, headers={
        "x-amzn-RequestId": str(uuid.uuid4()),
        "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazonaws.ecr/"})
