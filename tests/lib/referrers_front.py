#!/usr/bin/python3
"""A referrers-capable front (loopback, plain HTTP) for a docker-registry, which has no
referrers API (distribution 2.8).

It forwards every request, except:
- GET /v2/<name>/referrers/<digest>[?artifactType=T]: answered from the registry's own stored
  manifests (its filesystem storage, --storage): every manifest revision of <name> whose
  `subject` is <digest>, as an image index of descriptors carrying artifactType (else the config's
  mediaType) and the manifest's annotations (distribution-spec 1.1 §"Listing Referrers"). With
  artifactType the list is filtered and OCI-Filters-Applied says so. --page-size N splits the list
  into pages linked by Link rel="next".
- a manifest PUT whose body has a subject: forwarded, and the 201 carries OCI-Subject (§"Pushing
  Manifests with Subject").
- while the file --fail-file exists, referrers requests answer 500 (a listing that fails).
- while the file --pad-file exists, every list gets that many more entries (its content, a number),
  descriptors of manifests that do not exist (a hostile or broken registry).
- --no-api: none of the above; the front is then a plain forwarder for the next knob.
- --clobber-file F: the first PUT of a referrers tag schema tag (sha256-<hex>) after F appears is
  forwarded and then undone, as by a writer that read the index before that PUT and wrote after
  it: the tag's earlier content is put back (or, when there was none, the new index is deleted).
  F is removed then.

Log (--log): a line per request: "<METHOD> <path> <status>".
"""
import argparse
import hashlib
import http.client
import json
import os
import re
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.dont_write_bytecode = True

from proxykit import HOP_BY_HOP  # noqa: E402
from referrerkit import INDEX, stored_referrers  # noqa: E402
from serverkit import serve_bounded, write_atomically  # noqa: E402

REFERRERS = re.compile(r"^/v2/(?P<name>.+)/referrers/(?P<digest>sha256:[0-9a-f]{64})$")
MANIFEST_PUT = re.compile(r"^/v2/(?P<name>.+)/manifests/(?P<ref>[^/]+)$")
SCHEMA_TAG = re.compile(r"^sha256-[0-9a-f]{64}$")


def make_handler(args, log_lock):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *fmt_args):
            pass

        def note(self, status):
            with log_lock, open(args.log, "a", encoding="utf-8") as handle:
                handle.write(f"{self.command} {self.path} {status}\n")

        def reply(self, status, body, headers=()):
            self.send_response_only(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            self.note(status)

        def referrers(self, match, query):
            if os.path.exists(args.fail_file):
                body = json.dumps({"errors": [{"code": "UNKNOWN", "message": "referrers store unavailable"}]})
                return self.reply(500, body.encode(), [("Content-Type", "application/json")])
            listed = stored_referrers(args.storage, match["name"], match["digest"])
            if args.pad_file and os.path.exists(args.pad_file):
                with open(args.pad_file, encoding="utf-8") as handle:
                    pad = int(handle.read().strip() or 0)
                listed += [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": "sha256:" + hashlib.sha256(b"pad%d" % i).hexdigest(), "size": 100,
                            "artifactType": "application/vnd.example.pad"} for i in range(pad)]
            headers = [("Content-Type", INDEX)]
            wanted = query.get("artifactType", [None])[0]
            if wanted:
                listed = [d for d in listed if d.get("artifactType") == wanted]
                headers.append(("OCI-Filters-Applied", "artifactType"))
            if args.page_size > 0:
                after = query.get("last", [None])[0]
                digests = [d["digest"] for d in listed]
                start = digests.index(after) + 1 if after in digests else 0
                page = listed[start:start + args.page_size]
                if start + args.page_size < len(listed):
                    link = f"{match.string}?last={page[-1]['digest']}"
                    if wanted:
                        link += "&artifactType=" + urllib.parse.quote(wanted, safe="")
                    headers.append(("Link", f'<{link}>; rel="next"'))
                listed = page
            body = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": listed})
            return self.reply(200, body.encode(), headers)

        def forward(self):
            parsed = urllib.parse.urlsplit(self.path)
            match = REFERRERS.match(parsed.path)
            if match and self.command == "GET" and not args.no_api:
                return self.referrers(match, urllib.parse.parse_qs(parsed.query))
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            subject, put_match = None, MANIFEST_PUT.match(parsed.path) if self.command == "PUT" else None
            clobber = None
            if (put_match and args.clobber_file and os.path.exists(args.clobber_file)
                    and SCHEMA_TAG.match(put_match["ref"])):
                os.unlink(args.clobber_file)
                clobber = (put_match["name"], put_match["ref"], self.upstream_get(parsed.path))
            if put_match and body and not args.no_api:
                try:
                    subject = (json.loads(body).get("subject") or {}).get("digest")
                except (ValueError, AttributeError):
                    subject = None
            upstream = http.client.HTTPConnection(args.upstream, timeout=60)
            try:
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                # distribution writes upload Locations from Host: keep the client's, so they name us.
                upstream.putheader("Host", self.headers.get("Host", args.upstream))
                for key, value in self.headers.items():
                    if key.lower() not in HOP_BY_HOP | {"host"}:
                        upstream.putheader(key, value)
                if body is not None:
                    upstream.putheader("Content-Length", str(len(body)))
                upstream.endheaders(body)
                response = upstream.getresponse()
                data = b"" if self.command == "HEAD" else response.read()
                self.send_response_only(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                if subject and response.status == 201:
                    self.send_header("OCI-Subject", subject)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                elif response.getheader("Content-Length") is not None:
                    self.send_header("Content-Length", response.getheader("Content-Length"))
                self.end_headers()
                if data:
                    self.wfile.write(data)
                self.note(response.status)
            finally:
                upstream.close()
            if clobber and response.status == 201:
                self.undo(*clobber, body)

        def upstream_call(self, method, path, body=None, headers=None):
            connection = http.client.HTTPConnection(args.upstream, timeout=60)
            try:
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
                return response.status, response.read()
            finally:
                connection.close()

        def upstream_get(self, path):
            status, data = self.upstream_call("GET", path, headers={"Accept": INDEX})
            return data if status == 200 else None

        def undo(self, name, tag, before, ours):
            if before is not None:
                self.upstream_call("PUT", f"/v2/{name}/manifests/{tag}", before, {"Content-Type": INDEX})
            else:
                digest = "sha256:" + hashlib.sha256(ours).hexdigest()
                self.upstream_call("DELETE", f"/v2/{name}/manifests/{digest}")
            with log_lock, open(args.log, "a", encoding="utf-8") as handle:
                handle.write(f"CLOBBER /v2/{name}/manifests/{tag} {'restored' if before else 'deleted'}\n")

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="127.0.0.1:PORT of the docker-registry")
    parser.add_argument("--storage", required=True, help="the registry's rootdirectory")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--fail-file", required=True, help="while it exists, referrers answer 500")
    parser.add_argument("--page-size", type=int, default=0)
    parser.add_argument("--no-api", action="store_true", help="forward referrers requests too; no OCI-Subject")
    parser.add_argument("--clobber-file", help="see the module's docstring")
    parser.add_argument("--pad-file", help="see the module's docstring")
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    if not args.upstream.startswith("127."):
        parser.error("only loopback upstreams")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args, threading.Lock()))
    httpd.daemon_threads = True
    write_atomically(args.port_file, f"{httpd.server_address[1]}\n")
    serve_bounded(httpd, args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
