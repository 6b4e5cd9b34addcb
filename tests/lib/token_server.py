#!/usr/bin/python3
"""Docker registry token server for integration tests (loopback only).

Implements the "Docker Registry v2 authentication via central service" flow that
distribution 2.8 expects (auth.token): GET /token?service=S&scope=A&scope=B answers
{"token", "access_token", "expires_in", "issued_at"}. The JWT carries an x5c header
with a self-signed certificate that is also written to --cert-out, which the registry
uses as its rootcertbundle. distribution 2.8 wants "aud" as a plain string, not a list.

Run with /usr/bin/python3 (Debian's python3-jwt and python3-cryptography).
"""
import argparse
import base64
import datetime
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from serverkit import serve_bounded, write_atomically

# Actions a registry understands for repositories; "*" is what `delete` clients ask for.
KNOWN_REPOSITORY_ACTIONS = {"pull", "push", "delete", "*"}


def make_signing_identity(alg):
    if alg == "ES256":
        key = ec.generate_private_key(ec.SECP256R1())
    else:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecrm-test-token-signer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Backdated so clock skew between us and the registry never makes it "not yet valid".
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def read_users(path):
    """Re-read on every request: tests (and the fake AWS server) append users while we run.

    A user may have several lines, and each password is good: the fake AWS server appends one
    AWS:<password> line per GetAuthorizationToken and removes it when it expires, and real ECR
    keeps every token it issued valid for 12 hours, so runs in parallel lanes do not revoke each
    other's passwords."""
    users = {}
    if not path:
        return users
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.rstrip("\r\n")
                if not line or line.startswith("#") or ":" not in line:
                    continue
                user, password = line.split(":", 1)
                users.setdefault(user, []).append(password)
    except FileNotFoundError:
        pass
    return users


def parse_scopes(values):
    """Each scope parameter may itself hold several scopes separated by spaces (mount case)."""
    scopes = []
    for value in values:
        for item in value.split(" "):
            if not item:
                continue
            parts = item.split(":")
            if len(parts) < 3:
                continue
            # The name sits between the type and the actions; it may not contain ':' for
            # repositories, but keep whatever is in the middle verbatim.
            scopes.append((parts[0], ":".join(parts[1:-1]), [a for a in parts[-1].split(",") if a]))
    return scopes


class TokenServer:
    def __init__(self, args):
        self.args = args
        self.key, self.cert = make_signing_identity(args.alg)
        self.x5c = base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()
        self.log_lock = threading.Lock()

    def write_cert(self):
        tmp = self.args.cert_out + ".tmp"
        with open(tmp, "wb") as handle:
            handle.write(self.cert.public_bytes(serialization.Encoding.PEM))
        os.replace(tmp, self.args.cert_out)

    def log(self, fields):
        if not self.args.log:
            return
        # Spaces (multi-scope requests) become "+" so every field stays one key=value word.
        line = f"time={time.time():.3f} " + " ".join(f"{k}={str(v).replace(' ', '+')}" for k, v in fields.items())
        with self.log_lock, open(self.args.log, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def authenticate(self, username, password):
        """Returns (subject, ok). Anonymous is (""; True) only when allowed."""
        if username is None:
            return "", self.args.allow_anonymous_pull
        users = read_users(self.args.users_file)
        # compare_digest over every listed password (no early exit on the first match).
        matches = [secrets.compare_digest(expected, password) for expected in users.get(username, [])]
        return username, any(matches)

    def grant(self, subject, scopes):
        access = []
        for kind, name, actions in scopes:
            if kind != "repository":
                continue
            if subject:
                granted = [a for a in actions if a in KNOWN_REPOSITORY_ACTIONS]
            else:
                granted = [a for a in actions if a == "pull"]
            access.append({"type": kind, "name": name, "actions": granted})
        return access

    def issue(self, subject, access, service):
        now = int(time.time())
        claims = {
            "iss": self.args.issuer,
            "sub": subject,
            "aud": service,
            "exp": now + self.args.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        headers = {"x5c": [self.x5c], "typ": "JWT"}
        return jwt.encode(claims, self.key, algorithm=self.args.alg, headers=headers)


def make_handler(server_state):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # silence the default stderr log
            pass

        def send_json(self, status, body, extra_headers=None):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (extra_headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def basic_credentials(self):
            header = self.headers.get("Authorization", "")
            if not header.lower().startswith("basic "):
                return None, None
            try:
                decoded = base64.b64decode(header[6:].strip()).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return "", ""
            if ":" not in decoded:
                return decoded, ""
            return tuple(decoded.split(":", 1))

        def answer(self, method, service, scope_values, username, password):
            state = server_state
            scopes = parse_scopes(scope_values)
            scope_text = "|".join(scope_values) or "-"
            if service != state.args.service:
                state.log({"method": method, "status": 400, "user": username or "-",
                           "service": service or "-", "scope": scope_text, "reason": "bad-service"})
                self.send_json(400, {"errors": [{"code": "UNSUPPORTED", "message": f"unknown service {service!r}"}]})
                return
            subject, ok = state.authenticate(username, password)
            if not ok:
                state.log({"method": method, "status": 401, "user": username or "-",
                           "service": service, "scope": scope_text, "reason": "bad-credentials"})
                self.send_json(401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]},
                               {"WWW-Authenticate": 'Basic realm="ecrm-test-token"'})
                return
            access = state.grant(subject, scopes)
            token = state.issue(subject, access, service)
            granted = ";".join(f"{a['name']}:{','.join(a['actions'])}" for a in access) or "-"
            state.log({"method": method, "status": 200, "user": subject or "-",
                       "service": service, "scope": scope_text, "granted": granted})
            issued = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            self.send_json(200, {"token": token, "access_token": token,
                                 "expires_in": state.args.expires_in, "issued_at": issued})

        def do_GET(self):
            url = urllib.parse.urlsplit(self.path)
            if url.path == "/healthz":
                self.send_json(200, {"ok": True})
                return
            if url.path != "/token":
                self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
                return
            query = urllib.parse.parse_qs(url.query, keep_blank_values=True)
            username, password = self.basic_credentials()
            self.answer("GET", (query.get("service") or [""])[0], query.get("scope", []), username, password)

        def do_POST(self):
            # OAuth2 password grant (docker login --password-stdin path); same rules as GET.
            url = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(min(length, 1 << 20)).decode("utf-8", "replace")
            if url.path != "/token":
                self.send_json(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
                return
            form = urllib.parse.parse_qs(body, keep_blank_values=True)
            username, password = self.basic_credentials()
            if (form.get("grant_type") or [""])[0] == "password":
                username = (form.get("username") or [""])[0]
                password = (form.get("password") or [""])[0]
            self.answer("POST", (form.get("service") or [""])[0], form.get("scope", []), username, password)

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--port-file", help="write the bound port here once listening")
    parser.add_argument("--issuer", default="ecrm-test-issuer")
    parser.add_argument("--service", default="ecrm-test-registry")
    parser.add_argument("--cert-out", required=True, help="PEM certificate for rootcertbundle")
    parser.add_argument("--users-file", help="user:password lines, re-read on every request")
    parser.add_argument("--allow-anonymous-pull", action="store_true")
    parser.add_argument("--expires-in", type=int, default=300)
    parser.add_argument("--alg", choices=["RS256", "ES256"], default="RS256")
    parser.add_argument("--log", help="one line per request (never the password)")
    parser.add_argument("--max-seconds", type=float, default=1800)
    args = parser.parse_args()

    state = TokenServer(args)
    state.write_cert()
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    httpd.daemon_threads = True
    if args.port_file:
        write_atomically(args.port_file, f"{httpd.server_address[1]}\n")
    serve_bounded(httpd, args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
