"""The request handler: forwards to the upstream, streaming, or answers with the rule's fault."""
import http.client
import json
import secrets
import socket
import struct
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

import proxykit

from .rules import STATUS_FAULTS, classify
from .state import error_body

HOP_BY_HOP = proxykit.HOP_BY_HOP
CHUNK = proxykit.CHUNK
MAX_TOKEN_BODY = 1 << 20


def reset_socket(sock):
    """Close with SO_LINGER 0: the peer gets a RST, not a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    except OSError:
        pass


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
            return proxykit.request_chunks(self)

        def drain(self):
            proxykit.drain(self)

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
            proxykit.stall(self, seconds)

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
            if fault == "rate-limit":
                # Docker Hub's pull allowance headers ("Docker Hub usage and limits").
                self.send_header("RateLimit-Limit", "100;w=21600")
                self.send_header("RateLimit-Remaining", f"{int(rule.get('remaining', 0))};w=21600")
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
            if fault == "refuse-monolithic" and self.has_request_body():
                # A registry that takes no blob body on the commit PUT (the spec makes monolithic
                # upload a MAY): the client must fall back to POST + PATCH + PUT.
                self.drain()
                body = json.dumps({"errors": [{"code": "UNSUPPORTED", "message":
                                   "injected: no monolithic upload"}]}).encode()
                self.send_simple(405, "application/json", body)
                return 405
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
            if fault in ("redirect-other-host", "redirect-challenge"):
                self.drain()
                if proxy.redirect_address is None:
                    body = b"fault-proxy: no redirect listener (--redirect-host not bindable)"
                    self.send_simple(500, "text/plain", body)
                    return 500
                token = secrets.token_hex(8)
                with proxy.redirect_lock:
                    proxy.redirects[token] = (self.command, self.path, list(self.headers.items()),
                                              fault == "redirect-challenge")
                location = f"http://{proxy.redirect_address}/{token}{self.path}"
                self.send_simple(302, "text/plain", b"", {"Location": location})
                return 302
            connection, response = self.open_upstream(kind)
            try:
                return self.relay(kind, rule, response)
            finally:
                connection.close()

        def serve_redirect_target(self, kind):
            """The 'other host': answers with the upstream's bytes for the redirected request, or
            (redirect-challenge) with a 401 whose realm is this host, baiting the client into
            sending the registry's credentials here; its /token answers 401 to everyone."""
            token, _, rest = self.path.lstrip("/").partition("/")
            with proxy.redirect_lock:
                original = proxy.redirects.get(token)
            bait = 401, *error_body("token", 401)
            challenge = f'Bearer realm="http://{proxy.redirect_address}/token",service="other-host"'
            if urllib.parse.urlsplit(self.path).path == "/token":
                self.send_simple(bait[0], bait[1], bait[2], {**bait[3], "WWW-Authenticate": challenge})
                return 401
            if original is None or "/" + rest != original[1]:
                self.send_simple(404, "text/plain", b"unknown redirect")
                return 404
            method, path, headers, challenging = original
            if challenging:
                self.send_simple(bait[0], bait[1], bait[2], {**bait[3], "WWW-Authenticate": challenge})
                return 401
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
