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
Authorization there), redirect-challenge (302 to that listener, which answers 401 with a Bearer
challenge whose realm is itself: a client must not send the registry's credentials there),
throttle (response body at "rate" bytes/s), refuse-monolithic (405 UNSUPPORTED to a request that
carries a body, else forwarded: a registry without monolithic upload, for the upload-put kind),
rate-limit (forwarded, with Docker Hub's RateLimit-Limit and RateLimit-Remaining headers added,
"remaining" pulls left, default 0).

Log (--log): one JSON line per request when it ends: label, kind, method, path, status, fault,
occurrence, auth (whether Authorization was present, never its value), ms. --secrets-out
collects every credential that passed (Bearer tokens, Basic credentials, issued tokens) for
leak checks; nothing else is ever written with a secret in it.
"""
import argparse
import json
import os
import sys
import threading
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # keep tests/lib free of __pycache__

from faultproxy.handler import make_handler  # noqa: E402 - after the bytecode switch
from faultproxy.state import Proxy  # noqa: E402
from serverkit import serve_bounded, write_atomically  # noqa: E402


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
    serve_bounded(httpd, args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
