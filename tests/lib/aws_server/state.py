"""What the server remembers: credentials it issued, ECR passwords, repositories, secrets, log."""

import base64
import json
import os
import secrets
import string
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from .config import Config

_UPPER_ALNUM = string.ascii_uppercase + string.digits


def random_upper(n: int) -> str:
    return "".join(secrets.choice(_UPPER_ALNUM) for _ in range(n))


def random_b64(n_bytes: int) -> str:
    return base64.b64encode(secrets.token_bytes(n_bytes)).decode()


@dataclass
class Credential:
    access_key_id: str
    secret_access_key: str
    session_token: str | None
    expires_at: float | None  # epoch seconds; None for static keys
    generation: int


@dataclass
class Repository:
    name: str
    registry_id: str
    created_at: float
    settings: dict[str, Any] = field(default_factory=dict)  # the CreateRepository input, as sent


@dataclass
class EcrPassword:
    password: str
    expires_at: float


class RequestLog:
    """One JSON object per line. Callers pass only non-secret fields."""

    def __init__(self, path: str | None):
        self._path = path
        self._lock = threading.Lock()

    def write(self, entry: dict[str, Any]) -> None:
        if not self._path:
            return
        line = json.dumps({"time": round(time.time(), 3), **entry}, sort_keys=True)
        with self._lock, open(self._path, "a", encoding="utf-8") as f:
            f.write(line + "\n")


class State:
    def __init__(self, config: Config):
        self.config = config
        self._lock = threading.Lock()
        self._credentials: dict[str, Credential] = {}
        self._generation = 0
        self._expired_below_generation = 0
        self._repositories: dict[tuple[str, str, str], Repository] = {}
        self._password_queue = list(config.ecr_passwords)
        self._passwords: list[EcrPassword] = []
        self._issued: dict[str, list[str]] = {
            k: [] for k in ("oidc_tokens", "access_key_ids", "secret_access_keys", "session_tokens",
                            "ecr_passwords", "ecr_authorization_tokens")
        }
        self.log = RequestLog(config.log)
        self._record_secret(config.oidc_request_token)
        for c in config.static_credentials:
            self._credentials[c.access_key_id] = Credential(
                c.access_key_id, c.secret_access_key, c.session_token, None, 0)
            self._record_secret(c.secret_access_key)
            if c.session_token:
                self._record_secret(c.session_token)

    # -- secrets ---------------------------------------------------------------------------
    def _record_secret(self, value: str) -> None:
        if self.config.secrets_file:
            with open(self.config.secrets_file, "a", encoding="utf-8") as f:
                f.write(value + "\n")

    def record_issued(self, kind: str, value: str, secret: bool = True) -> None:
        with self._lock:
            self._issued[kind].append(value)
            if secret:
                self._record_secret(value)

    def issued_snapshot(self) -> dict[str, list[str]]:
        with self._lock:
            return {k: list(v) for k, v in self._issued.items()}

    # -- credentials -----------------------------------------------------------------------
    def issue_session(self, duration_seconds: int) -> Credential:
        # Shapes follow real STS output: ASIA + 16 characters, a 40-character secret, and a
        # long opaque token; all random so a test can search output for each of them.
        cred = Credential(
            access_key_id="ASIA" + random_upper(16),
            secret_access_key=random_b64(30),
            session_token="IQoJb3JpZ2luX2VjE" + random_b64(300),
            expires_at=time.time() + duration_seconds,
            generation=0,
        )
        with self._lock:
            self._generation += 1
            cred.generation = self._generation
            self._credentials[cred.access_key_id] = cred
        self.record_issued("access_key_ids", cred.access_key_id, secret=False)
        self.record_issued("secret_access_keys", cred.secret_access_key)
        self.record_issued("session_tokens", cred.session_token)
        return cred

    def credential(self, access_key_id: str) -> Credential | None:
        with self._lock:
            return self._credentials.get(access_key_id)

    def is_expired(self, cred: Credential) -> bool:
        if cred.expires_at is None:
            return False
        with self._lock:
            forced = cred.generation < self._expired_below_generation
        return forced or cred.expires_at <= time.time()

    def expire_all_sessions(self) -> None:
        with self._lock:
            self._expired_below_generation = self._generation + 1

    # -- ECR passwords ---------------------------------------------------------------------
    def issue_ecr_password(self, expires_in: int) -> EcrPassword:
        with self._lock:
            if self._password_queue:
                # The last fixed password repeats: a Basic-auth registry's htpasswd cannot change.
                value = self._password_queue.pop(0) if len(self._password_queue) > 1 \
                    else self._password_queue[0]
            else:
                value = secrets.token_urlsafe(24)
            pw = EcrPassword(value, time.time() + expires_in)
            self._passwords.append(pw)
        self.record_issued("ecr_passwords", value)
        token = base64.b64encode(f"AWS:{value}".encode()).decode()
        self.record_issued("ecr_authorization_tokens", token)
        if self.config.users_file:
            with self._lock, open(self.config.users_file, "a", encoding="utf-8") as f:
                f.write(f"AWS:{value}\n")
        return pw

    def revoke_expired_passwords(self) -> None:
        """Rewrites --users-file without expired AWS:<password> lines (atomically: readers re-read)."""
        path = self.config.users_file
        if not path or not os.path.exists(path):
            return
        now = time.time()
        with self._lock:
            live = {p.password for p in self._passwords if p.expires_at > now}
            dead = {p.password for p in self._passwords if p.expires_at <= now} - live
            if not dead:
                return
            with open(path, encoding="utf-8") as f:
                lines = f.read().splitlines()
            kept = [ln for ln in lines if not (ln.startswith("AWS:") and ln[4:] in dead)]
            if len(kept) == len(lines):
                return
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("".join(ln + "\n" for ln in kept))
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)

    # -- repositories ----------------------------------------------------------------------
    def repository(self, service: str, registry_id: str, name: str) -> Repository | None:
        with self._lock:
            return self._repositories.get((service, registry_id, name))

    def repositories(self, service: str, registry_id: str) -> list[Repository]:
        with self._lock:
            found = [r for (s, reg, _), r in self._repositories.items()
                     if s == service and reg == registry_id]
        return sorted(found, key=lambda r: r.name)

    def create_repository(self, service: str, registry_id: str, name: str,
                          settings: dict[str, Any]) -> Repository | None:
        """The new repository, or None when it already exists."""
        with self._lock:
            key = (service, registry_id, name)
            if key in self._repositories:
                return None
            repo = Repository(name, registry_id, time.time(), settings)
            self._repositories[key] = repo
            return repo

    def replace_repositories(self, spec: Any) -> None:
        if isinstance(spec, list):
            spec = {"ecr": spec, "ecr-public": spec}
        if not isinstance(spec, dict) or not all(isinstance(v, list) for v in spec.values()):
            raise ValueError("repositories must be a list of names or {service: [names]}")
        with self._lock:
            # Only the services named are replaced: seeding ECR Public leaves ECR alone.
            for key in [k for k in self._repositories if k[0] in spec]:
                del self._repositories[key]
            for service, names in spec.items():
                for entry in names:
                    # A name, or {"name": ..., "settings": {CreateRepository input}}: an existing
                    # repository with tag immutability, say.
                    name, settings = (entry, {}) if isinstance(entry, str) else \
                        (entry["name"], dict(entry.get("settings", {})))
                    key = (service, self.config.account_id, name)
                    self._repositories[key] = Repository(name, self.config.account_id, time.time(),
                                                         settings)

    def registry_blob_size(self, service: str, name: str, hexpart: str) -> int | None:
        """The size of a blob linked into the attached registry's repository, None when absent
        (or when no registry is attached: nothing is known to be there). An ECR Public
        repository lives under <--public-alias>/<name> there, as in public.ecr.aws/<alias>/."""
        root = self.config.registry_root
        if not root:
            return None
        base = os.path.join(root, "docker", "registry", "v2")
        path = name if service == "ecr" else os.path.join(self.config.public_alias, name)
        link = os.path.join(base, "repositories", path, "_layers", "sha256", hexpart, "link")
        if not os.path.isfile(link):
            return None
        data = os.path.join(base, "blobs", "sha256", hexpart[:2], hexpart, "data")
        return os.path.getsize(data) if os.path.isfile(data) else 0

    def repositories_snapshot(self) -> dict[str, list[dict[str, Any]]]:
        with self._lock:
            out: dict[str, list[dict[str, Any]]] = {}
            for (service, _, _), r in sorted(self._repositories.items()):
                out.setdefault(service, []).append(
                    {"name": r.name, "registryId": r.registry_id, "settings": r.settings})
            return out

