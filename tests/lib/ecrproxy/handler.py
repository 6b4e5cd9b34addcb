"""The request handler: forwards to the registry, streaming, except where a switch makes it
answer as ECR does. Each answer names the switch that shaped it in the log."""
import http.client
import json
import re
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

import proxykit
from referrerkit import INDEX, stored_referrers

from .wire import EMPTY_DIGEST, MANIFEST_TYPES, MAX_MANIFEST, classify, error_json, iam_actions

HOP_BY_HOP = proxykit.HOP_BY_HOP
CHUNK = proxykit.CHUNK


def make_handler(state, store=False):
    args = state.args

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ecr-proxy"
        sys_version = ""

        def log_message(self, fmt, *fmt_args):
            pass

        # ------------------------------------------------------------ bodies
        def chunked_request(self):
            return proxykit.is_chunked(self)

        def request_chunks(self):
            return proxykit.request_chunks(self)

        def drain(self):
            return proxykit.drain(self)

        def read_body(self, limit):
            body = bytearray()
            for chunk in self.request_chunks():
                body += chunk
                if len(body) > limit:
                    raise ConnectionError("request body too large")
            return bytes(body)

        # ------------------------------------------------------------ answers
        def answer(self, status, body=b"", headers=None, content_type="application/json"):
            self.send_response_only(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Docker-Distribution-Api-Version", "registry/2.0")
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return status

        def stall(self, seconds):
            proxykit.stall(self, seconds)

        # ------------------------------------------------------------ forwarding
        def upstream(self, method=None, path=None, headers=None, body=None):
            """Sends the request upstream; `body` is bytes, or None to stream the client's."""
            connection = http.client.HTTPConnection(args.upstream, timeout=120)
            connection.putrequest(method or self.command, path or self.path, skip_host=True,
                                  skip_accept_encoding=True)
            source = headers if headers is not None else self.headers.items()
            for key, value in source:
                if key.lower() not in HOP_BY_HOP:
                    connection.putheader(key, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
                connection.endheaders()
                connection.send(body)
            elif (method or self.command) in ("GET", "HEAD", "DELETE") and headers is not None:
                connection.endheaders()
            else:
                length = self.headers.get("Content-Length")
                chunked = self.chunked_request()
                if chunked:
                    connection.putheader("Transfer-Encoding", "chunked")
                elif length is not None:
                    connection.putheader("Content-Length", length)
                connection.endheaders()
                for data in self.request_chunks():
                    connection.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                if chunked:
                    connection.send(b"0\r\n\r\n")
            return connection, connection.getresponse()

        def relay(self, response, drop=(), chunked=False, status=None, extra=None):
            """Streams the upstream response to the client; `drop` names headers to leave out,
            `chunked` sends the body without Content-Length."""
            has_body = self.command != "HEAD" and response.status not in (204, 304)
            length = response.getheader("Content-Length")
            self.send_response_only(status or response.status)
            for key, value in response.getheaders():
                lower = key.lower()
                if lower in HOP_BY_HOP or lower in drop:
                    continue
                if lower == "location":
                    value = value.replace(f"http://{args.upstream}/", f"http://{state.address}/")
                self.send_header(key, value)
            for key, value in (extra or {}).items() if response.status < 300 else ():
                self.send_header(key, value)
            chunked = has_body and (chunked or length is None)
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
            elif length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            if has_body:
                while True:
                    data = response.read(CHUNK)
                    if not data:
                        break
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
                if chunked:
                    self.wfile.write(b"0\r\n\r\n")
            return status or response.status

        def forward(self, entry, switches, body=None, relay_options=None):
            connection, response = self.upstream(body=body)
            try:
                if (response.status == 401 and "expired-400" in switches
                        and self.headers.get("Authorization")):
                    response.read()
                    entry["switch"] = "expired-400"
                    return self.answer(400, error_json(
                        "DENIED", "Your authorization token has expired. Reauthenticate and try again."))
                return self.relay(response, **(relay_options or {}))
            finally:
                connection.close()

        def upstream_status(self, path, method="HEAD"):
            headers = [(k, v) for k, v in self.headers.items()
                       if k.lower() not in ("accept", "content-type")]
            # distribution 2.8 answers 404 for an OCI manifest not named in Accept.
            headers.append(("Accept", MANIFEST_TYPES))
            connection, response = self.upstream(method, path, headers=headers)
            try:
                response.read()
                return response.status, response.getheader("WWW-Authenticate")
            finally:
                connection.close()

        def challenge(self):
            if state.challenge is None:
                status, value = self.upstream_status("/v2/", "GET")
                state.challenge = value or ""
            return state.challenge

        # ------------------------------------------------------------ the request
        def handle_any(self):
            started = time.monotonic()
            entry = {"at": "store" if store else "proxy", "method": self.command, "path": self.path,
                     "auth": self.headers.get("Authorization") is not None, "switch": None}
            try:
                entry["status"] = self.serve_store(entry) if store else self.serve(entry)
            except (ConnectionError, OSError, http.client.HTTPException) as error:
                entry["error"] = type(error).__name__
                self.close_connection = True
            entry["ms"] = int((time.monotonic() - started) * 1000)
            state.log(entry)

        def serve(self, entry):
            config = state.config()
            switches = state.switches(config)
            kind, name, ref = classify(self.command, self.path)
            entry["kind"] = kind
            if re.match(config["judge_agents"], self.headers.get("User-Agent", "")):
                # skopeo judges what the registry holds: it reads it as it is.
                entry["judge"] = True
                return self.forward(entry, set())
            authorization = self.headers.get("Authorization")
            carries_body = self.chunked_request() or int(self.headers.get("Content-Length") or 0) > 0
            entry["iam"] = iam_actions(config["iam_service"] or ("ecr-public" if args.preset == "ecr-public" else "ecr"),
                                       kind, carries_body)
            if "chunked-stall" in switches and self.chunked_request():
                entry["switch"] = "chunked-stall"
                self.stall(config["stall_seconds"])
                return None
            if state.expired(authorization, config["credential_lifetime"]):
                self.drain()
                entry["switch"] = "credential_lifetime"
                return self.answer(400, error_json(
                    "DENIED", "Your authorization token has expired. Reauthenticate and try again."))
            if ("throttle" in switches and kind != "ping"
                    and state.next_count() % max(1, config["throttle_every"]) == 0):
                self.drain()
                entry["switch"] = "throttle"
                return self.answer(429, error_json("TOOMANYREQUESTS", "Rate exceeded"))
            if "name-unknown" in switches and name and name not in state.repositories(config):
                self.drain()
                entry["switch"] = "name-unknown"
                return self.answer(404, error_json(
                    "NAME_UNKNOWN", f"The repository with name '{name}' does not exist in the "
                    f"registry with id '{config['registry_id']}'"))
            special = getattr(self, "on_" + kind.replace("-", "_"), None)
            if special is not None:
                status = special(entry, switches, config, name, ref)
                if status is not None:
                    return status
            return self.forward(entry, switches)

        # ------------------------------------------------------------ blobs
        def on_blob_head(self, entry, switches, config, name, ref):
            if "blob-head-401" in switches:
                entry["switch"] = "blob-head-401"
                headers = {"WWW-Authenticate": self.challenge()} if self.challenge() else {}
                return self.answer(401, error_json("UNAUTHORIZED", "Not Authorized"), headers)
            return self.redirect_blob(entry, switches)

        def on_blob_get(self, entry, switches, config, name, ref):
            return self.redirect_blob(entry, switches)

        def redirect_blob(self, entry, switches):
            if "blob-redirect-403" not in switches:
                return None
            status, _ = self.upstream_status(self.path)
            if status != 200:
                return None  # answered as the registry answers (404, 401 with a challenge)
            entry["switch"] = "blob-redirect-403"
            headers = [(k, v) for k, v in self.headers.items() if k.lower() != "authorization"]
            auth = self.headers.get("Authorization")
            token = state.remember_redirect(self.path, headers + ([("Authorization", auth)] if auth else []))
            location = (f"http://{state.store_address}/store/{token}?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                        f"&X-Amz-Signature={token[:16]}")
            return self.answer(307, b"", {"Location": location})

        def serve_store(self, entry):
            """The object store: GET serves the blob; HEAD is refused, its URL being signed for
            GET only. Any Authorization header that reaches it is logged (it must never)."""
            token = urllib.parse.urlsplit(self.path).path.rpartition("/")[2]
            original = state.redirect_for(token)
            entry["kind"] = "store-" + self.command.lower()
            if original is None:
                return self.answer(404, b"<Error><Code>NoSuchKey</Code></Error>", None, "application/xml")
            if self.command != "GET":
                return self.answer(403, b"<Error><Code>SignatureDoesNotMatch</Code><Message>The request "
                                   b"signature we calculated does not match the signature you provided."
                                   b"</Message></Error>", None, "application/xml")
            path, headers = original
            connection, response = self.upstream("GET", path, headers=headers)
            try:
                return self.relay(response, drop=("docker-content-digest", "docker-distribution-api-version"))
            finally:
                connection.close()

        # ------------------------------------------------------------ uploads
        def on_upload_post(self, entry, switches, config, name, ref):
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            if "mount-202" in switches and "mount" in query:
                entry["switch"] = "mount-202"
                self.path = urllib.parse.urlsplit(self.path).path
            return None

        def on_upload_patch(self, entry, switches, config, name, ref):
            if "patch-201" not in switches:
                return None
            entry["switch"] = "patch-201"
            uuid = ref.split("?")[0]
            session = state.session(uuid)
            session["patches"] += 1
            if session["patches"] > 1:
                self.drain()  # dropped: aws/containers-roadmap#2831
                return self.answer(201, b"", {"Location": session["location"], "Range": session["range"],
                                              "Docker-Upload-UUID": uuid})
            connection, response = self.upstream()
            try:
                if response.status != 202:
                    return self.relay(response)
                location = response.getheader("Location", "").replace(
                    f"http://{args.upstream}/", f"http://{state.address}/")
                session["location"], session["range"] = location, response.getheader("Range", "0-0")
                return self.relay(response, status=201)
            finally:
                connection.close()

        def on_upload_put(self, entry, switches, config, name, ref):
            uuid = ref.split("?")[0]
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            digest = (query.get("digest") or [""])[0]
            carries_body = self.chunked_request() or int(self.headers.get("Content-Length") or 0) > 0
            if "no-monolithic" in switches and carries_body:
                self.drain()
                entry["switch"] = "no-monolithic"
                return self.answer(405, error_json("UNSUPPORTED", "monolithic upload is not supported"))
            if "multi-patch-invalid" in switches and state.session(uuid)["patches"] > 1:
                self.drain()
                entry["switch"] = "multi-patch-invalid"
                return self.answer(400, error_json(
                    "BLOB_UPLOAD_INVALID", "None of the provided layer digests match the calculated layer digest"))
            # A 0-byte blob has no part to complete, however it was sent (monolithic or PATCHed).
            if "empty-blob" in switches and digest == EMPTY_DIGEST:
                self.drain()
                entry["switch"] = "empty-blob"
                return self.answer(400, error_json(
                    "BLOB_UPLOAD_INVALID", f"The upload with id '{uuid}' in the repository with name "
                    f"'{name}' cannot be completed because it does not have any parts"))
            return None

        # ------------------------------------------------------------ manifests
        def on_manifest_get(self, entry, switches, config, name, ref):
            if "manifest-get-no-digest" not in switches:
                return None
            entry["switch"] = "manifest-get-no-digest"
            return self.forward(entry, switches, relay_options={"drop": ("docker-content-digest",),
                                                                "chunked": True})

        def on_referrers_get(self, entry, switches, config, name, ref):
            if "referrers-api" not in switches or not args.storage:
                return None  # distribution answers 404: no referrers API
            entry["switch"] = "referrers-api"
            status, challenge = self.upstream_status(f"/v2/{name}/tags/list", "GET")
            if status == 401:
                return self.answer(401, error_json("UNAUTHORIZED", "Not Authorized"),
                                   {"WWW-Authenticate": challenge} if challenge else {})
            digest = ref.split("?", 1)[0]
            listed = stored_referrers(args.storage, name, digest)
            body = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": listed}).encode()
            return self.answer(200, body, None, INDEX)

        def subject_header(self, switches, body):
            if "referrers-api" not in switches:
                return None
            try:
                subject = (json.loads(body).get("subject") or {}).get("digest")
            except (ValueError, AttributeError):
                return None
            return {"OCI-Subject": subject} if subject else None

        def on_manifest_put(self, entry, switches, config, name, ref):
            if not {"unsupported-manifest", "immutable-tags", "referrers-api"} & switches:
                return None
            body = self.read_body(MAX_MANIFEST)
            if "unsupported-manifest" in switches:
                try:
                    layers = len(json.loads(body).get("layers") or [])
                except (ValueError, AttributeError):
                    layers = None
                if layers is None or layers > config["max_layers"]:
                    entry["switch"] = "unsupported-manifest"
                    why = ("'Limit on number of layers per image exceeded'" if layers is not None
                           else "'Invalid JSON syntax'")
                    return self.answer(405, error_json(
                        "UNSUPPORTED", f"Invalid parameter at 'ImageManifest' failed to satisfy constraint: {why}"))
            if "immutable-tags" in switches and not ref.startswith("sha256:"):
                # ECR's WILDCARD filters know only '*'.
                excluded = any(re.fullmatch(re.escape(f).replace(r"\*", ".*"), ref)
                               for f in config["immutable_exclusions"])
                if not excluded and self.upstream_status(f"/v2/{name}/manifests/{ref}")[0] == 200:
                    entry["switch"] = "immutable-tags"
                    return self.answer(400, error_json(
                        "TAG_INVALID", f"The image tag '{ref}' already exists in the '{name}' repository "
                        "and cannot be overwritten because the repository is immutable."))
            extra = self.subject_header(switches, body)
            return self.forward(entry, switches, body=body,
                                relay_options={"extra": extra} if extra else None)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any

    return Handler
