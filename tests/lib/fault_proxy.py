#!/usr/bin/python3
"""Fault-injecting reverse proxy (loopback, plain HTTP) for the fault matrix and timeout suites.

It sits in front of ONE upstream (a test registry, or tests/lib/aws_server.py) and forwards
everything, streaming bodies both ways (Content-Length and chunked) without buffering a blob.
With --token-upstream, requests for /token go to the registry's token server instead, and the
realm in every WWW-Authenticate the registry sends is rewritten to point at this proxy, so token
requests pass here too (and can be faulted).

Each request is classified into a kind (ping, token, manifest-head, manifest-get, manifest-put,
blob-head, blob-get, upload-post, upload-patch, upload-put, sts, ecr-token, ...; see classify())
and the rules decide whether a fault replaces the normal answer:

  [{"kind": "blob-get", "occurrences": [1, 2] | "all", "fault": "503",
    "label": "src" (optional: only on the proxy started with --label src),
    "path": "regex" (optional), "seconds": 30 (stall), "rate": 65536 (throttle)}]

or {"case": "any name", "rules": [...]}. Occurrences count the requests of that kind that the
rule matched, from 1, and restart whenever the rules change (a new "case" name is a change).
Rules come from --rules FILE (re-read before every request) or POST /_faults (GET shows them).

Faults: 500, 502, 503, 429 (Retry-After: 1, or "retry_after"), reset-before-response (RST, no
answer), reset-mid-body (RST after part of the response body, or after part of the request body
for PATCH/PUT with a body), stall (nothing more is sent for "seconds", default 30: no answer, or
a response stopped mid-body), 401-fresh-challenge (401 with the upstream's challenge for this
request: an expired token), truncated-body (Content-Length says N, fewer bytes, clean close),
corrupt-bytes (one byte of the response body flipped), redirect-other-host (302 to a listener on
--redirect-host, which logs the request's header names and serves the real answer fetched from
the upstream with the ORIGINAL request's credentials: a correct client succeeds without sending
Authorization there), throttle (response body at "rate" bytes/s).

Log (--log): one JSON line per request when it ends: label, kind, method, path, status, fault,
occurrence, auth (whether Authorization was present, never its value), ms. --secrets-out
collects every credential that passed (Bearer tokens, Basic credentials, issued tokens) for
leak checks; nothing else is ever written with a secret in it.
"""
import argparse
import base64
import json
import os
import re
import secrets
import select
import socket
import struct
import sys
import threading
import time
import urllib.parse
import http.client
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length", "expect"}
REGISTRY_PATH = re.compile(r"^/v2/(.+)/(manifests|blobs)/(.+)$")
STATUS_FAULTS = {"500", "502", "503", "429"}
KNOWN_FAULTS = STATUS_FAULTS | {
    "reset-before-response", "reset-mid-body", "stall", "401-fresh-challenge", "truncated-body",
    "corrupt-bytes", "redirect-other-host", "throttle"}
CHUNK = 64 * 1024
MAX_TOKEN_BODY = 1 << 20


def classify(method, path, headers):
    """The request kind the rules name. AWS calls are told apart as aws_server.py does."""
    bare = urllib.parse.urlsplit(path).path
    if bare in ("/v2/", "/v2"):
        return "ping"
    if bare == "/token":
        return "token"
    if bare == "/oidc/token":
        return "oidc"
    if bare.startswith("/_"):
        return "control"
    match = REGISTRY_PATH.match(bare)
    if match:
        what, reference = match.group(2), match.group(3)
        if what == "manifests":
            return {"HEAD": "manifest-head", "GET": "manifest-get", "PUT": "manifest-put",
                    "DELETE": "manifest-delete"}.get(method, "manifest-other")
        if reference == "uploads/" or reference.startswith("uploads/"):
            return {"POST": "upload-post", "PATCH": "upload-patch", "PUT": "upload-put",
                    "DELETE": "upload-delete", "GET": "upload-status"}.get(method, "upload-other")
        return {"HEAD": "blob-head", "GET": "blob-get", "DELETE": "blob-delete"}.get(method, "blob-other")
    if bare.startswith("/v2/"):
        return "registry-other"
    if method == "POST" and bare == "/":
        target = headers.get("X-Amz-Target", "")
        if target.endswith(".GetAuthorizationToken"):
            return "ecr-token"
        if target:
            return "ecr-api"
        return "sts"
    return "other"


def reset_socket(sock):
    """Close with SO_LINGER 0: the peer gets a RST, not a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


class Rules:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.text = None
        self.rules = []
        self.counts = []

    def _set(self, text):
        # Called with the lock held.
        doc = json.loads(text) if text.strip() else []
        rules = doc.get("rules", []) if isinstance(doc, dict) else doc
        for rule in rules:
            if rule.get("fault") not in KNOWN_FAULTS:
                raise ValueError(f"unknown fault {rule.get('fault')!r}")
            occurrences = rule.get("occurrences", "all")
            if occurrences != "all" and not isinstance(occurrences, list):
                raise ValueError("occurrences must be a list or \"all\"")
        self.text, self.rules, self.counts = text, rules, [0] * len(rules)

    def replace(self, text):
        with self.lock:
            self._set(text)

    def snapshot(self):
        with self.lock:
            return {"rules": self.rules, "counts": self.counts}

    def match(self, label, kind, path):
        """(rule, occurrence) of the first rule that faults this request, else (None, 0)."""
        with self.lock:
            if self.path:
                try:
                    with open(self.path, encoding="utf-8") as handle:
                        text = handle.read()
                except FileNotFoundError:
                    text = ""
                if text != self.text:
                    try:
                        self._set(text)
                    except ValueError as error:  # json.JSONDecodeError is a ValueError
                        print(f"fault_proxy: bad rules in {self.path}: {error}", file=sys.stderr)
                        self.text, self.rules, self.counts = text, [], []
            for index, rule in enumerate(self.rules):
                kinds = rule.get("kind")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if kind not in kinds:
                    continue
                if rule.get("label") and rule["label"] != label:
                    continue
                if rule.get("path") and not re.search(rule["path"], path):
                    continue
                self.counts[index] += 1
                occurrence = self.counts[index]
                wanted = rule.get("occurrences", "all")
                if wanted == "all" or occurrence in wanted:
                    return rule, occurrence
            return None, 0


class Proxy:
    """State shared by the handler threads of the proxy and of the redirect listener."""

    def __init__(self, args):
        self.args = args
        self.rules = Rules(args.rules)
        self.log_lock = threading.Lock()
        self.secret_lock = threading.Lock()
        self.secrets_seen = set()
        self.redirects = {}  # id -> (method, path, headers) of the request that was redirected
        self.redirect_lock = threading.Lock()
        self.address = ""  # host:port this proxy listens on, set once bound
        self.redirect_address = None
        self.challenge = None  # the upstream's /v2/ challenge, for 401-fresh-challenge

    def log(self, entry):
        if not self.args.log:
            return
        entry = {"t": round(time.time(), 3), "label": self.args.label, **entry}
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self.log_lock, open(self.args.log, "a", encoding="utf-8") as handle:
            handle.write(line)

    def note_secret(self, value):
        if not value or not self.args.secrets_out:
            return
        with self.secret_lock:
            if value in self.secrets_seen:
                return
            self.secrets_seen.add(value)
            with open(self.args.secrets_out, "a", encoding="utf-8") as handle:
                handle.write(value + "\n")

    def note_authorization(self, header):
        if not header:
            return
        scheme, _, value = header.partition(" ")
        value = value.strip()
        self.note_secret(value)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return
            self.note_secret(decoded.partition(":")[2])

    def upstream_for(self, kind):
        if kind == "token" and self.args.token_upstream:
            return self.args.token_upstream
        return self.args.upstream

    def rewrite_challenge(self, value):
        if self.args.token_upstream:
            value = value.replace(f"http://{self.args.token_upstream}/", f"http://{self.address}/")
        return value

    def fresh_challenge(self, method, path):
        """The upstream's own challenge, with the scope this request needs (an expired token)."""
        if self.challenge is None:
            connection = http.client.HTTPConnection(self.args.upstream, timeout=30)
            try:
                connection.request("GET", "/v2/", headers={"Host": self.address})
                response = connection.getresponse()
                response.read()
                self.challenge = response.getheader("WWW-Authenticate", "")
            finally:
                connection.close()
        value = self.rewrite_challenge(self.challenge)
        match = REGISTRY_PATH.match(urllib.parse.urlsplit(path).path)
        if value.lower().startswith("bearer") and match:
            actions = "pull" if method in ("GET", "HEAD") else "pull,push"
            value += f',scope="repository:{match.group(1)}:{actions}"'
        return value or 'Basic realm="fault-proxy"'


def error_body(kind, status):
    """A body in the shape the real service uses for an error (clients parse it for messages)."""
    if kind == "sts":
        code = {429: "Throttling", 503: "ServiceUnavailable"}.get(status, "InternalFailure")
        xml = ("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
               f"<Type>Receiver</Type><Code>{code}</Code><Message>injected fault {status}</Message>"
               "</Error><RequestId>fault-proxy</RequestId></ErrorResponse>")
        return "text/xml", xml.encode(), {}
    if kind in ("ecr-token", "ecr-api"):
        code = {429: "ThrottlingException", 503: "ServiceUnavailableException"}.get(status, "ServerException")
        body = json.dumps({"__type": code, "message": f"injected fault {status}"}).encode()
        return "application/x-amz-json-1.1", body, {"x-amzn-ErrorType": code}
    code = {401: "UNAUTHORIZED", 429: "TOOMANYREQUESTS"}.get(status, "UNKNOWN")
    body = json.dumps({"errors": [{"code": code, "message": f"injected fault {status}"}]}).encode()
    return "application/json", body, {}


def make_handler(proxy, redirect_target=False):
    args = proxy.args

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "fault-proxy"
        sys_version = ""

        def log_message(self, fmt, *fmt_args):
            pass

        def finish(self):
            try:
                super().finish()
            except OSError:
                pass

        # ------------------------------------------------------------ request bodies
        def has_request_body(self):
            return (self.headers.get("Transfer-Encoding", "").lower() == "chunked"
                    or int(self.headers.get("Content-Length") or 0) > 0)

        def request_chunks(self):
            """The request body as it arrives, de-chunked; never the whole body at once."""
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                while True:
                    size_line = self.rfile.readline(1024)
                    if not size_line:
                        raise ConnectionError("request body ended early")
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                            pass
                        return
                    left = size
                    while left:
                        data = self.rfile.read(min(left, CHUNK))
                        if not data:
                            raise ConnectionError("request body ended early")
                        left -= len(data)
                        yield data
                    self.rfile.readline(1024)
            else:
                left = int(self.headers.get("Content-Length") or 0)
                while left > 0:
                    data = self.rfile.read(min(left, CHUNK))
                    if not data:
                        raise ConnectionError("request body ended early")
                    left -= len(data)
                    yield data

        def drain(self):
            for _ in self.request_chunks():
                pass

        # ------------------------------------------------------------ answers
        def send_simple(self, status, content_type, body, headers=None):
            self.send_response_only(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def reset(self):
            self.close_connection = True
            reset_socket(self.connection)

        def stall(self, seconds):
            """Send nothing for `seconds`, or until the client gives up and closes."""
            self.close_connection = True
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                readable, _, _ = select.select([self.connection], [], [], 0.2)
                if readable:
                    try:
                        if not self.connection.recv(CHUNK, socket.MSG_PEEK):
                            return
                        self.connection.recv(CHUNK)  # discard whatever else the client sends
                    except OSError:
                        return

        # ------------------------------------------------------------ forwarding
        def open_upstream(self, kind, path=None, headers=None, method=None, body=True):
            """Sends the request upstream (streaming its body) and returns (connection, response)."""
            upstream = proxy.upstream_for(kind)
            connection = http.client.HTTPConnection(upstream, timeout=120)
            method = method or self.command
            connection.putrequest(method, path or self.path, skip_host=True, skip_accept_encoding=True)
            source = headers if headers is not None else self.headers.items()
            chunked = body and self.headers.get("Transfer-Encoding", "").lower() == "chunked"
            length = self.headers.get("Content-Length") if body else None
            for key, value in source:
                if key.lower() not in HOP_BY_HOP:
                    connection.putheader(key, value)
            if chunked:
                connection.putheader("Transfer-Encoding", "chunked")
            elif length is not None:
                connection.putheader("Content-Length", length)
            connection.endheaders()
            if body:
                for data in self.request_chunks():
                    connection.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                if chunked:
                    connection.send(b"0\r\n\r\n")
            return connection, connection.getresponse()

        def response_headers(self, response, kind):
            """Upstream headers for the client, with realm and Location kept on this proxy."""
            out = []
            for key, value in response.getheaders():
                lower = key.lower()
                if lower in HOP_BY_HOP:
                    continue
                if lower == "www-authenticate":
                    value = proxy.rewrite_challenge(value)
                if lower == "location":
                    value = value.replace(f"http://{args.upstream}/", f"http://{proxy.address}/")
                out.append((key, value))
            return out

        def relay(self, kind, rule, response):
            """Streams the upstream response to the client, applying a body fault. The status."""
            fault = rule.get("fault") if rule else None
            length_header = response.getheader("Content-Length")
            has_body = self.command != "HEAD" and response.status not in (204, 304)
            self.send_response_only(response.status, response.reason)
            for key, value in self.response_headers(response, kind):
                self.send_header(key, value)
            chunked_out = has_body and length_header is None
            if chunked_out:
                self.send_header("Transfer-Encoding", "chunked")
            elif length_header is not None:
                self.send_header("Content-Length", length_header)
            body_length = int(length_header) if length_header is not None else None
            # A fault that acts mid-body needs a body to act in; without one it acts before it.
            if fault in ("reset-mid-body", "stall", "truncated-body") and (not has_body or not body_length):
                if fault == "reset-mid-body":
                    self.end_headers()
                    self.reset()
                elif fault == "stall":
                    self.stall(rule.get("seconds", 30))
                else:
                    self.end_headers()
                    self.close_connection = True
                return response.status
            self.end_headers()
            if not has_body:
                return response.status
            mid_body = fault in ("reset-mid-body", "stall", "truncated-body")
            cut = body_length // 2 if mid_body else None
            flip = body_length // 2 if body_length else 0
            capture = kind == "token" and response.status == 200
            captured = bytearray()
            sent, started = 0, time.monotonic()
            while True:
                data = response.read(CHUNK) if cut is None or sent < cut else b""
                if cut is not None:
                    data = data[:max(0, cut - sent)]
                if not data:
                    break
                if fault == "corrupt-bytes" and sent <= flip < sent + len(data):
                    data = bytearray(data)
                    data[flip - sent] ^= 0xFF
                    data = bytes(data)
                if capture and len(captured) < MAX_TOKEN_BODY:
                    captured += data
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked_out else data)
                sent += len(data)
                if fault == "throttle" and rule.get("rate"):
                    ahead = sent / float(rule["rate"]) - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
            if fault == "reset-mid-body":
                self.reset()
            elif fault == "stall":
                self.stall(rule.get("seconds", 30))
            elif fault == "truncated-body":
                self.close_connection = True
            elif chunked_out:
                self.wfile.write(b"0\r\n\r\n")
            if capture:
                try:
                    doc = json.loads(bytes(captured))
                    proxy.note_secret(doc.get("token"))
                    proxy.note_secret(doc.get("access_token"))
                except (ValueError, AttributeError):
                    pass
            return response.status

        # ------------------------------------------------------------ the request
        def handle_any(self):
            started = time.monotonic()
            kind = "redirect-target" if redirect_target else classify(self.command, self.path, self.headers)
            authorization = self.headers.get("Authorization")
            proxy.note_authorization(authorization)
            entry = {"kind": kind, "method": self.command, "path": self.path, "status": None,
                     "fault": None, "auth": authorization is not None}
            try:
                if redirect_target:
                    entry["headers"] = sorted({k.lower() for k in self.headers.keys()})
                    entry["status"] = self.serve_redirect_target(kind)
                elif kind == "control" and urllib.parse.urlsplit(self.path).path == "/_faults":
                    entry["status"] = self.control()
                else:
                    rule, occurrence = proxy.rules.match(args.label, kind, self.path)
                    if rule:
                        entry["fault"], entry["occurrence"] = rule["fault"], occurrence
                    entry["status"] = self.answer(kind, rule)
            except (ConnectionError, OSError, http.client.HTTPException) as error:
                entry["error"] = type(error).__name__
                self.close_connection = True
            entry["ms"] = int((time.monotonic() - started) * 1000)
            proxy.log(entry)

        def answer(self, kind, rule):
            fault = rule.get("fault") if rule else None
            if fault == "reset-before-response":
                self.reset()
                return None
            if fault == "reset-mid-body" and self.has_request_body():
                # Half of the request body arrives, then the connection breaks (a mid-upload RST).
                total = int(self.headers.get("Content-Length") or 0)
                received = 0
                for data in self.request_chunks():
                    received += len(data)
                    if received >= max(1, total // 2):
                        break
                self.reset()
                return None
            if fault == "stall" and self.has_request_body():
                self.drain()
                self.stall(rule.get("seconds", 30))
                return None
            if fault in STATUS_FAULTS:
                self.drain()
                status = int(fault)
                content_type, body, headers = error_body(kind, status)
                if status == 429:
                    headers["Retry-After"] = str(rule.get("retry_after", 1))
                self.send_simple(status, content_type, body, headers)
                return status
            if fault == "401-fresh-challenge":
                self.drain()
                content_type, body, headers = error_body(kind, 401)
                headers["WWW-Authenticate"] = proxy.fresh_challenge(self.command, self.path)
                self.send_simple(401, content_type, body, headers)
                return 401
            if fault == "redirect-other-host":
                self.drain()
                if proxy.redirect_address is None:
                    body = b"fault-proxy: no redirect listener (--redirect-host not bindable)"
                    self.send_simple(500, "text/plain", body)
                    return 500
                token = secrets.token_hex(8)
                with proxy.redirect_lock:
                    proxy.redirects[token] = (self.command, self.path, list(self.headers.items()))
                location = f"http://{proxy.redirect_address}/{token}{self.path}"
                self.send_simple(302, "text/plain", b"", {"Location": location})
                return 302
            connection, response = self.open_upstream(kind)
            try:
                return self.relay(kind, rule, response)
            finally:
                connection.close()

        def serve_redirect_target(self, kind):
            """The 'other host': answers with the upstream's bytes for the redirected request."""
            token, _, rest = self.path.lstrip("/").partition("/")
            with proxy.redirect_lock:
                original = proxy.redirects.get(token)
            if original is None or "/" + rest != original[1]:
                self.send_simple(404, "text/plain", b"unknown redirect")
                return 404
            method, path, headers = original
            connection, response = self.open_upstream(kind, path=path, headers=headers, method=method,
                                                      body=False)
            try:
                return self.relay(kind, None, response)
            finally:
                connection.close()

        def control(self):
            if self.command == "POST":
                length = int(self.headers.get("Content-Length") or 0)
                text = self.rfile.read(length).decode("utf-8")
                try:
                    proxy.rules.replace(text)
                except ValueError as error:
                    self.send_simple(400, "text/plain", str(error).encode())
                    return 400
            body = json.dumps(proxy.rules.snapshot()).encode()
            self.send_simple(200, "application/json", body)
            return 200

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the registry or AWS server")
    parser.add_argument("--token-upstream", help="HOST:PORT of the registry's token server")
    parser.add_argument("--label", default="proxy", help="names this proxy in logs and rules")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", required=True,
                        help='written once listening: {"port", "redirect_port"} (JSON)')
    parser.add_argument("--rules", help="JSON rules file, re-read before every request")
    parser.add_argument("--log", help="JSON lines, one per request")
    parser.add_argument("--secrets-out", help="credentials seen passing, one a line")
    parser.add_argument("--redirect-host", default="127.0.0.2",
                        help="loopback address of the redirect target listener ('' for none)")
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    for address in filter(None, [args.upstream, args.token_upstream]):
        if not address.startswith("127."):
            parser.error(f"{address}: only loopback upstreams are allowed")

    proxy = Proxy(args)
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(proxy))
    httpd.daemon_threads = True
    proxy.address = f"127.0.0.1:{httpd.server_address[1]}"
    servers = [httpd]
    redirect_port = None
    if args.redirect_host:
        if not args.redirect_host.startswith("127."):
            parser.error("--redirect-host must be a loopback address")
        try:
            target = ThreadingHTTPServer((args.redirect_host, 0), make_handler(proxy, redirect_target=True))
            target.daemon_threads = True
            redirect_port = target.server_address[1]
            proxy.redirect_address = f"{args.redirect_host}:{redirect_port}"
            servers.append(target)
        except OSError as error:
            print(f"fault_proxy: cannot listen on {args.redirect_host}: {error}", file=sys.stderr)
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    write_atomically(args.ready_file, json.dumps({
        "port": httpd.server_address[1], "redirect_host": args.redirect_host if redirect_port else None,
        "redirect_port": redirect_port, "pid": os.getpid()}) + "\n")
    # Bounded lifetime: a suite killed without its cleanup must not leave us behind.
    timer = threading.Timer(args.max_seconds, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
