"""The HTTP front: routing, body reading, replies, request log, lifetime."""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from serverkit import write_atomically

from . import ecr, oidc, sts
from .config import Config
from .scenario import Scenario, ScenarioError
from .state import State

MAX_BODY = 1 << 20


class App:
    def __init__(self, config: Config):
        self.config = config
        self.state = State(config)
        self.key = oidc.OidcKey.generate()
        self.scenario = Scenario(config.scenario, self._scenario_action)

    def _scenario_action(self, name: str, value: Any) -> None:
        if name == "repositories":
            self.state.replace_repositories(value)
        elif name == "expire_credentials":
            self.state.expire_all_sessions()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "aws-server-standin/1"
    app: App  # set on the subclass made by serve()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class name
        pass  # the JSON request log is the record; stderr stays quiet

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            total = 0
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    return None
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, body: bytes, content_type: str,
               headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, doc: Any) -> None:
        self._reply(status, json.dumps(doc, indent=1).encode() + b"\n", "application/json")

    def _log(self, entry: dict[str, Any]) -> None:
        self.app.state.log.write({"method": self.command, "path": urlsplit(self.path).path, **entry})

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        body = self._read_body()
        if body is None:
            self._json(413, {"message": "request body too large"})
            self.close_connection = True
            return
        parts = urlsplit(self.path)
        try:
            self.app.scenario.refresh_from_file()
        except (OSError, ValueError) as e:
            print(f"aws_server: scenario file not applied: {e}", file=sys.stderr)
        if parts.path == "/oidc/token":
            self._oidc(parts.query)
        elif parts.path.startswith("/_"):
            self._control(parts.path, body)
        elif self.headers.get("X-Amz-Target"):
            r = ecr.handle(self.app.state, self.app.scenario, self.command,
                           f"http://{self.headers.get('Host', '127.0.0.1')}", self.path,
                           list(self.headers.items()), body)
            self._log(r.log)
            self._reply(r.status, r.body, r.content_type, r.headers)
        elif parts.path == "/":
            r = sts.handle(self.app.state, self.app.key, self.app.scenario, self.command,
                           parts.query, self.headers.get("Content-Type", ""), body)
            self._log(r.log)
            self._reply(r.status, r.body, r.content_type, {"x-amzn-RequestId": r.request_id})
        else:
            self._log({"status": 404})
            self._json(404, {"message": "not found"})

    def _oidc(self, query: str) -> None:
        app = self.app
        params = parse_qs(query)
        audience = params.get("audience", [oidc.default_audience(app.config)])[0]
        auth = self.headers.get("Authorization", "")
        scheme, _, token = auth.partition(" ")
        entry: dict[str, Any] = {"service": "oidc", "audience": audience}
        injected = app.scenario.take_failure("oidc_fail", "oidc_always")
        if injected is not None:
            entry.update({"status": int(injected), "injected": injected})
            self._log(entry)
            self._json(int(injected), {"message": "injected failure"})
        elif scheme.lower() != "bearer" or token.strip() != app.config.oidc_request_token:
            entry["status"] = 401
            self._log(entry)
            self._json(401, {"message": "Bad credentials"})
        else:
            lifetime = int(app.scenario.setting("oidc_lifetime", app.config.oidc_lifetime))
            jwt_text = oidc.issue_token(app.key, app.config, audience, lifetime)
            app.state.record_issued("oidc_tokens", jwt_text)
            entry["status"] = 200
            self._log(entry)
            self._reply(200, json.dumps({"count": len(jwt_text), "value": jwt_text}).encode(),
                        "application/json; charset=utf-8")

    def _control(self, path: str, body: bytes) -> None:
        app = self.app
        if path == "/_control" and self.command == "POST":
            try:
                app.scenario.apply(json.loads(body or b"{}"))
            except (ValueError, ScenarioError) as e:
                self._log({"service": "control", "status": 400})
                self._json(400, {"message": str(e)})
                return
            self._log({"service": "control", "status": 200})
            self._json(200, {"scenario": app.scenario.snapshot()})
        elif path == "/_control":
            self._json(200, {"scenario": app.scenario.snapshot(),
                             "repositories": app.state.repositories_snapshot()})
        elif path == "/_issued":
            # For tests that search a program's output for every secret it was handed.
            self._json(200, app.state.issued_snapshot())
        elif path == "/_health":
            self._json(200, {"ok": True})
        else:
            self._json(404, {"message": "not found"})


def serve(config: Config) -> int:
    app = App(config)
    handler = type("BoundHandler", (Handler,), {"app": app})
    server = ThreadingHTTPServer(("127.0.0.1", config.port), handler)
    server.daemon_threads = True
    stop = threading.Event()

    def shutdown(*_: Any) -> None:
        if not stop.is_set():
            stop.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    lifetime = threading.Timer(config.max_seconds, shutdown)
    lifetime.daemon = True
    lifetime.start()

    def housekeeping() -> None:
        while not stop.wait(0.25):
            if config.ecr_revoke_expired:
                app.state.revoke_expired_passwords()

    threading.Thread(target=housekeeping, daemon=True).start()
    if config.ready_file:
        port = server.server_address[1]
        write_atomically(config.ready_file, json.dumps(
            {"port": port, "url": f"http://127.0.0.1:{port}", "pid": os.getpid()}) + "\n")
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    stop.set()
    lifetime.cancel()
    return 0
