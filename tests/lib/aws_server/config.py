"""Command-line configuration of the loopback AWS stand-in."""

import argparse
from dataclasses import dataclass, field


@dataclass
class StaticCredential:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


@dataclass
class Config:
    port: int = 0
    ready_file: str | None = None
    max_seconds: float = 1800.0
    log: str | None = None
    secrets_file: str | None = None
    scenario: str | None = None
    account_id: str = "123456789012"
    public_alias: str = "ecrm-test"
    # GitHub OIDC
    oidc_request_token: str = "oidc-request-token"
    github_repo: str = "octo-org/octo-repo"
    github_ref: str = "refs/heads/main"
    oidc_sub: str | None = None
    oidc_lifetime: int = 300
    # STS
    expected_audience: str = "sts.amazonaws.com"
    allowed_sub: str | None = None
    allowed_role: str = "*"
    max_session_duration: int = 43200
    static_credentials: list[StaticCredential] = field(default_factory=list)
    # ECR
    ecr_passwords: list[str] = field(default_factory=list)
    users_file: str | None = None
    ecr_expires_in: int = 43200
    ecr_revoke_expired: bool = False
    ecr_proxy_endpoint: str | None = None
    clock_skew_seconds: int = 300
    registry_root: str | None = None

    @property
    def subject(self) -> str:
        return self.oidc_sub or f"repo:{self.github_repo}:ref:{self.github_ref}"

    @property
    def subject_pattern(self) -> str:
        # The usual trust-policy condition: any ref of this repository.
        return self.allowed_sub or f"repo:{self.github_repo}:*"


def _static_credential(text: str) -> StaticCredential:
    parts = text.split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise argparse.ArgumentTypeError("expected AKID:SECRET or AKID:SECRET:SESSION_TOKEN")
    return StaticCredential(parts[0], parts[1], parts[2] if len(parts) == 3 else None)


def parse_args(argv: list[str]) -> Config:
    p = argparse.ArgumentParser(
        prog="aws_server.py",
        description="Loopback stand-in for GitHub's OIDC token endpoint, AWS STS, ECR Public and ECR.",
    )
    p.add_argument("--port", type=int, default=0, help="0 picks a free port")
    p.add_argument("--ready-file", help="written (atomically) with {port, url, pid} once listening")
    p.add_argument("--max-seconds", type=float, default=1800.0, help="lifetime bound")
    p.add_argument("--log", help="request log: one JSON line per request, never secrets")
    p.add_argument("--secrets-file", help="every secret issued or accepted, one per line (for leak tests)")
    p.add_argument("--scenario", help="JSON scenario file, re-read when it changes")
    p.add_argument("--account-id", default="123456789012")
    p.add_argument("--public-alias", default="ecrm-test", help="ECR Public registry alias in URIs")
    p.add_argument("--oidc-request-token", default="oidc-request-token")
    p.add_argument("--github-repo", default="octo-org/octo-repo")
    p.add_argument("--github-ref", default="refs/heads/main")
    p.add_argument("--oidc-sub", help="override the token's sub claim entirely")
    p.add_argument("--oidc-lifetime", type=int, default=300, help="seconds until the JWT's exp")
    p.add_argument("--expected-audience", default="sts.amazonaws.com")
    p.add_argument("--allowed-sub", help="IAM StringLike glob for sub (default repo:<repo>:*)")
    p.add_argument("--allowed-role", default="*", help="glob of role ARNs the trust policy admits")
    p.add_argument("--max-session-duration", type=int, default=43200)
    p.add_argument("--static-credentials", type=_static_credential, action="append", default=[],
                   metavar="AKID:SECRET[:TOKEN]")
    p.add_argument("--ecr-passwords", default="", help="p1,p2,...: passwords issued in order")
    p.add_argument("--users-file", help="AWS:<password> lines appended per issued ECR token")
    p.add_argument("--ecr-expires-in", type=int, default=43200)
    p.add_argument("--ecr-revoke-expired", action="store_true",
                   help="drop expired AWS:<password> lines from --users-file")
    p.add_argument("--ecr-proxy-endpoint", help="proxyEndpoint in private ECR tokens")
    p.add_argument("--clock-skew-seconds", type=int, default=300)
    p.add_argument("--registry-root", help="docker-registry's storage root: BatchCheckLayerAvailability "
                   "answers from its repositories' layer links")
    a = p.parse_args(argv)
    return Config(
        port=a.port,
        ready_file=a.ready_file,
        max_seconds=a.max_seconds,
        log=a.log,
        secrets_file=a.secrets_file,
        scenario=a.scenario,
        account_id=a.account_id,
        public_alias=a.public_alias,
        oidc_request_token=a.oidc_request_token,
        github_repo=a.github_repo,
        github_ref=a.github_ref,
        oidc_sub=a.oidc_sub,
        oidc_lifetime=a.oidc_lifetime,
        expected_audience=a.expected_audience,
        allowed_sub=a.allowed_sub,
        allowed_role=a.allowed_role,
        max_session_duration=a.max_session_duration,
        static_credentials=a.static_credentials,
        ecr_passwords=[x for x in a.ecr_passwords.split(",") if x],
        users_file=a.users_file,
        ecr_expires_in=a.ecr_expires_in,
        ecr_revoke_expired=a.ecr_revoke_expired,
        ecr_proxy_endpoint=a.ecr_proxy_endpoint,
        clock_skew_seconds=a.clock_skew_seconds,
        registry_root=a.registry_root,
    )
