#!/usr/bin/python3
"""A registry that misbehaves on purpose (loopback only, bounded lifetime), for
tests/integration/hostile_registry.sh and bad_input.sh.

It serves one small two-platform OCI image (index + 2 manifests + 4 blobs) under any
repository name, tagged 1.0, and breaks exactly one thing per --mode:

  good                   serves the image correctly (the control: a mirror must succeed)
  malformed-json         the linux/amd64 manifest body is not JSON (its digest and size are right)
  huge-manifest          the index is larger than 4 MiB (padded with an annotation)
  size-lies-index        the index declares a child manifest 7 bytes larger than served
  size-lies-layer-small  a layer descriptor declares fewer bytes than the blob served
  size-lies-layer-large  a layer descriptor declares more bytes than the blob served
  token-too-big          Bearer auth whose token endpoint answers a body over 64 KiB
  http-realm             HTTPS (self-signed, --cert-out) with a Bearer challenge whose realm is
                         the plain-http --realm URL
  location-escape        as a DESTINATION: Basic auth, and the upload POST answers 202 with a
                         Location on --escape-to (another host or port), written absolute or
                         scheme-relative (--escape-style)
  schema1                the tag is a Docker schema 1 manifest
  wrong-digest           GET of the index by digest serves different bytes
  wrong-digest-child     GET of a child manifest by digest serves different bytes
  ctype-lies             the index is served with an image manifest's Content-Type
  ctype-lies-child       a child image manifest is served with an index's Content-Type
  record                 not a registry: records every connection and request and answers
                         something plausible (a token for GET, 202/201 for uploads)

Every connection and request is logged to --log as JSON lines (never a header value:
only whether Authorization was sent and its scheme). --ready-file receives
{"addr", "port", "index_digest", "tag"} once the socket listens.
"""
import argparse
import datetime
import hashlib
import ipaddress
import json
import random
import re
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serverkit import serve_bounded, write_atomically

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+prettyjws"
MAX_MANIFEST = 4 * 1024 * 1024
TAG = "1.0"
MODES = ("good", "malformed-json", "huge-manifest", "size-lies-index", "size-lies-layer-small",
         "size-lies-layer-large", "token-too-big", "http-realm", "location-escape", "schema1",
         "wrong-digest", "wrong-digest-child", "ctype-lies", "ctype-lies-child", "record")
PATH_RE = re.compile(r"^/v2/(?P<name>.+)/(?P<kind>manifests|blobs)/(?P<ref>[^/]+)$")
UPLOAD_RE = re.compile(r"^/v2/(?P<name>.+)/blobs/uploads/?$")


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical(document):
    return json.dumps(document, separators=(",", ":")).encode()


class Content:
    """What the registry serves: manifests by tag and digest, blobs by digest."""

    def __init__(self, mode):
        self.manifests = {}  # reference -> (content type, bytes)
        self.by_digest_override = {}  # digest -> (content type, bytes) served for GET only
        self.blobs = {}
        rng = random.Random(20240601)
        children = []
        for arch in ("amd64", "arm64"):
            layer = rng.randbytes(3000)
            config = canonical({"architecture": arch, "os": "linux",
                                "rootfs": {"type": "layers", "diff_ids": [digest_of(layer)]},
                                "config": {}})
            self.blobs[digest_of(layer)] = layer
            self.blobs[digest_of(config)] = config
            layer_size = len(layer)
            if arch == "amd64" and mode == "size-lies-layer-small":
                layer_size -= 100
            if arch == "amd64" and mode == "size-lies-layer-large":
                layer_size += 100
            manifest = canonical({
                "schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": OCI_CONFIG, "digest": digest_of(config),
                           "size": len(config)},
                "layers": [{"mediaType": OCI_LAYER, "digest": digest_of(layer),
                            "size": layer_size}]})
            content_type = OCI_MANIFEST
            if arch == "amd64" and mode == "malformed-json":
                manifest = b'{"schemaVersion": 2, "mediaType": "' + OCI_MANIFEST.encode() + b'", '
            if arch == "amd64" and mode == "ctype-lies-child":
                content_type = OCI_INDEX
            self.manifests[digest_of(manifest)] = (content_type, manifest)
            if arch == "amd64" and mode == "wrong-digest-child":
                self.by_digest_override[digest_of(manifest)] = (content_type, manifest + b" ")
            size = len(manifest) + (7 if arch == "amd64" and mode == "size-lies-index" else 0)
            children.append({"mediaType": OCI_MANIFEST, "digest": digest_of(manifest),
                             "size": size, "platform": {"os": "linux", "architecture": arch}})
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}
        if mode == "huge-manifest":
            index["annotations"] = {"org.example.padding": "x" * (MAX_MANIFEST + 1024)}
        top_type, top = OCI_INDEX, canonical(index)
        if mode == "ctype-lies":
            top_type = OCI_MANIFEST
        if mode == "schema1":
            layer_digest = next(iter(self.blobs))
            top_type, top = SCHEMA1, canonical({
                "schemaVersion": 1, "name": "library/app", "tag": TAG, "architecture": "amd64",
                "fsLayers": [{"blobSum": layer_digest}],
                "history": [{"v1Compatibility": "{\"id\":\"" + "a" * 64 + "\"}"}],
                "signatures": [{"header": {"alg": "ES256"}, "signature": "c2ln",
                                "protected": "e30"}]})
        self.index_digest = digest_of(top)
        self.manifests[TAG] = (top_type, top)
        self.manifests[self.index_digest] = (top_type, top)
        if mode == "wrong-digest":
            self.by_digest_override[self.index_digest] = (top_type, top + b"\n")


def make_tls_context(cert_out):
    # Imported here: only http-realm needs python3-cryptography.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ecrm-hostile-registry")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_path = cert_out + ".key"
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    with open(cert_out, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_out, key_path)
    return context


def make_handler(args, content, log_lock):
    scheme = "https" if args.mode == "http-realm" else "http"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *fmt_args):
            pass

        def record(self, **fields):
            fields["t"] = round(time.time(), 3)
            with log_lock, open(args.log, "a", encoding="utf-8") as handle:
                handle.write(json.dumps(fields) + "\n")

        def setup(self):
            super().setup()
            # Before any parsing: a TLS ClientHello sent to a plain listener is still seen.
            self.record(event="connect", peer=self.client_address[0])

        def reply(self, status, body=b"", content_type="application/json", headers=(),
                  send_body=True):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers:
                self.send_header(key, value)
            self.end_headers()
            if send_body and self.command != "HEAD":
                self.wfile.write(body)

        def error(self, status, code, message, headers=()):
            body = canonical({"errors": [{"code": code, "message": message}]})
            self.reply(status, body, headers=headers)

        def drain_body(self):
            length = self.headers.get("Content-Length")
            if length:
                remaining = int(length)
                while remaining > 0:
                    chunk = self.rfile.read(min(remaining, 65536))
                    if not chunk:
                        break
                    remaining -= len(chunk)
            elif self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.close_connection = True

        def authorized(self):
            """False after sending the challenge this mode uses."""
            sent = self.headers.get("Authorization", "")
            own = f"{scheme}://{self.headers.get('Host', '')}"
            if args.mode in ("token-too-big", "http-realm"):
                if sent.startswith("Bearer "):
                    return True
                realm = args.realm or f"{own}/token"
                challenge = f'Bearer realm="{realm}",service="hostile"'
                self.error(401, "UNAUTHORIZED", "authentication required",
                           [("WWW-Authenticate", challenge)])
                return False
            if args.mode == "location-escape":
                if sent.startswith("Basic "):
                    return True
                self.error(401, "UNAUTHORIZED", "authentication required",
                           [("WWW-Authenticate", 'Basic realm="hostile"')])
                return False
            return True

        def handle_request(self):
            authorization = self.headers.get("Authorization", "")
            self.record(event="request", method=self.command, path=self.path,
                        host=self.headers.get("Host", ""),
                        authorization=authorization.split(" ", 1)[0] if authorization else "")
            self.drain_body()
            path = self.path.split("?", 1)[0]
            if args.mode == "record":
                return self.answer_anything()
            if path == "/token":
                return self.token()
            if not path.startswith("/v2/"):
                return self.error(404, "NOT_FOUND", "not a registry path")
            if not self.authorized():
                return None
            if path == "/v2/":
                return self.reply(200, b"{}")
            if args.mode == "location-escape":
                return self.destination(path)
            match = PATH_RE.match(path)
            if not match or self.command not in ("GET", "HEAD"):
                return self.error(405, "UNSUPPORTED", "this registry only serves its image")
            if match["kind"] == "blobs":
                blob = content.blobs.get(match["ref"])
                if blob is None:
                    return self.error(404, "BLOB_UNKNOWN", "blob unknown")
                return self.reply(200, blob, "application/octet-stream",
                                  [("Docker-Content-Digest", match["ref"])])
            found = content.manifests.get(match["ref"])
            if found is None:
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            content_type, body = found
            digest = digest_of(body)
            if self.command == "GET" and match["ref"] in content.by_digest_override:
                content_type, body = content.by_digest_override[match["ref"]]
            return self.reply(200, body, content_type, [("Docker-Content-Digest", digest)])

        def token(self):
            if args.mode != "token-too-big":
                return self.error(404, "NOT_FOUND", "no token service here")
            body = canonical({"token": "T" * (80 * 1024), "expires_in": 300})
            return self.reply(200, body)

        def destination(self, path):
            """location-escape: an empty repository whose upload leaves for another host."""
            if UPLOAD_RE.match(path) and self.command == "POST":
                # Absolute, or scheme-relative (RFC 3986 §4.2: "//host/path" keeps our scheme).
                prefix = "http:" if args.escape_style == "absolute" else ""
                location = f"{prefix}//{args.escape_to}/v2/escaped/blobs/uploads/stolen-session"
                return self.reply(202, b"", headers=[("Location", location), ("Range", "0-0"),
                                                     ("Docker-Upload-UUID", "stolen-session")])
            match = PATH_RE.match(path)
            if match and self.command in ("GET", "HEAD"):
                code = "BLOB_UNKNOWN" if match["kind"] == "blobs" else "MANIFEST_UNKNOWN"
                return self.error(404, code, "unknown")
            if match and match["kind"] == "manifests" and self.command == "PUT":
                return self.reply(201, b"", headers=[("Docker-Content-Digest", match["ref"])])
            return self.error(405, "UNSUPPORTED", "unsupported")

        def answer_anything(self):
            if self.command in ("GET", "HEAD"):
                return self.reply(200, canonical({"token": "recorded", "access_token": "recorded"}))
            if self.command == "PUT":
                return self.reply(201, b"", headers=[("Location", self.path)])
            return self.reply(202, b"", headers=[("Location", self.path), ("Range", "0-0")])

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_request

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mode", required=True, choices=MODES)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address to listen on")
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--max-seconds", type=float, default=300)
    parser.add_argument("--cert-out", help="http-realm: where to write the self-signed cert")
    parser.add_argument("--realm", help="http-realm: the plain-http token realm to announce")
    parser.add_argument("--escape-to", help="location-escape: host:port the upload is sent to")
    parser.add_argument("--escape-style", choices=("absolute", "scheme-relative"),
                        default="absolute", help="location-escape: how the Location is written")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        parser.error("--host must be a loopback address")
    if args.mode == "http-realm" and not (args.cert_out and args.realm):
        parser.error("http-realm needs --cert-out and --realm")
    if args.mode == "location-escape" and not args.escape_to:
        parser.error("location-escape needs --escape-to")

    content = Content(args.mode)
    open(args.log, "a", encoding="utf-8").close()
    server = ThreadingHTTPServer((args.host, 0), make_handler(args, content, threading.Lock()))
    server.daemon_threads = True
    if args.mode == "http-realm":
        # Handshake in the handler thread, so a client that never speaks cannot block accept().
        server.socket = make_tls_context(args.cert_out).wrap_socket(
            server.socket, server_side=True, do_handshake_on_connect=False)
    port = server.server_address[1]
    ready = {"addr": f"{args.host}:{port}", "port": port, "index_digest": content.index_digest,
             "tag": TAG}
    write_atomically(args.ready_file, json.dumps(ready))
    serve_bounded(server, args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
