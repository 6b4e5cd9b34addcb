"""Scripted behaviour: failures to inject, settings to override, one-shot actions.

A scenario is a JSON object. It arrives either as a file (--scenario, re-read
whenever its content changes) or as the body of POST /_control; both are applied
the same way, as a patch over what was applied before:

  sts_fail: ["Throttling", "Throttling"]  the next STS calls fail with these codes, in order
  sts_always: "AccessDenied" | null        every STS call fails (null: stop)
  oidc_fail: [500, 401] / oidc_always: 500 the OIDC endpoint fails with these statuses
  ecr_fail: ["ThrottlingException", 500, {"code": "ServerException", "op": "GetAuthorizationToken",
             "service": "ecr-public"}]     the next matching ECR / ECR Public calls fail
  ecr_always: "ServerException" | null
  bad_signature_key: "AKID" | ["AKID", ...] | "*" | null  treat signatures by these keys as wrong
  expire_credentials: true                 every credential issued so far is expired from now on
  repositories: ["a", "b"] | {"ecr": [...], "ecr-public": [...]}  replace the repository set; an
                                           entry may be {"name", "settings": {CreateRepository input}}
  expected_audience, allowed_sub, allowed_role, ecr_expires_in, oidc_lifetime: override the flags
  layers_all_available: true               BatchCheckLayerAvailability answers AVAILABLE for all
  reset: true                              forget everything applied before (applied first)

A code is an AWS error code (see sts.py and ecr.py for the known ones) or an int HTTP status.
"""

import hashlib
import json
import os
import threading
from typing import Any, Callable

_QUEUES = ("sts_fail", "oidc_fail", "ecr_fail")
_SETTINGS = ("sts_always", "oidc_always", "ecr_always", "bad_signature_key", "expected_audience",
             "allowed_sub", "allowed_role", "ecr_expires_in", "oidc_lifetime", "layers_all_available")
_ACTIONS = ("repositories", "expire_credentials", "reset")


class ScenarioError(ValueError):
    pass


class Scenario:
    def __init__(self, path: str | None, on_action: Callable[[str, Any], None]):
        self._path = path
        self._on_action = on_action
        self._lock = threading.Lock()
        self._settings: dict[str, Any] = {}
        self._queues: dict[str, list[Any]] = {q: [] for q in _QUEUES}
        self._file_stat: tuple[int, int] | None = None
        self._file_digest: str | None = None

    def apply(self, patch: Any) -> None:
        if not isinstance(patch, dict):
            raise ScenarioError("a scenario must be a JSON object")
        unknown = set(patch) - set(_QUEUES) - set(_SETTINGS) - set(_ACTIONS)
        if unknown:
            raise ScenarioError(f"unknown scenario keys: {sorted(unknown)}")
        for q in _QUEUES:
            if q in patch and not isinstance(patch[q], list):
                raise ScenarioError(f"{q} must be a list")
        with self._lock:
            if patch.get("reset"):
                self._settings.clear()
                for q in _QUEUES:
                    self._queues[q] = []
            for q in _QUEUES:
                if q in patch:
                    self._queues[q] = list(patch[q])
            for s in _SETTINGS:
                if s in patch:
                    self._settings[s] = patch[s]
        for a in ("reset", "repositories", "expire_credentials"):
            if a in patch and patch[a] not in (None, False):
                self._on_action(a, patch[a])

    def refresh_from_file(self) -> None:
        """Re-reads the scenario file when it changed since the last look."""
        if not self._path:
            return
        try:
            st = os.stat(self._path)
        except FileNotFoundError:
            return
        key = (st.st_mtime_ns, st.st_size)
        if key == self._file_stat:
            return
        with open(self._path, "rb") as f:
            data = f.read()
        self._file_stat = key
        digest = hashlib.sha256(data).hexdigest()
        if digest == self._file_digest or not data.strip():
            return
        self._file_digest = digest
        self.apply(json.loads(data))

    def setting(self, name: str, default: Any = None) -> Any:
        with self._lock:
            value = self._settings.get(name)
        return default if value is None else value

    def take_failure(self, queue: str, always: str, matches: Callable[[Any], bool] = lambda _: True):
        """The failure to inject into this call, if any: a queued one first, else the standing one."""
        with self._lock:
            pending = self._queues[queue]
            for i, entry in enumerate(pending):
                if matches(entry):
                    return pending.pop(i)
            standing = self._settings.get(always)
        if standing is not None and matches(standing):
            return standing
        return None

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {**self._settings, **{q: list(v) for q, v in self._queues.items()}}
