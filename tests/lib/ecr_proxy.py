#!/usr/bin/python3
"""ECR / ECR Public personality (loopback, plain HTTP) in front of a real docker-registry.

It forwards everything, streaming, except where a switch (ecrproxy/switches.py: each with the
public record it emulates) makes it answer as ECR does. --preset ecr-public | ecr switches on a
combination; --switch NAME adds one, --no-switch NAME removes one; --config FILE (JSON,
re-read when it changes) can add "switches_on"/"switches_off" at run time and sets
throttle_every, max_layers, stall_seconds, immutable_exclusions (wildcards),
repositories_file (NAME_UNKNOWN for others), credential_lifetime (seconds after which an
Authorization value first seen is answered 400 DENIED), registry_id and iam_service (ecr or
ecr-public: the prefix of the IAM actions logged; default from the preset).

A second listener plays the object store that blob-redirect-403 sends clients to; it logs whether
an Authorization header reached it. Log (--log): one JSON line per request: at (proxy/store),
method, path, kind, switch (the one that shaped the answer, or null), status, auth, ms, and iam
(the IAM actions ECR would authorise the request under).
"""
import argparse
import json
import os
import sys
import threading
from http.server import ThreadingHTTPServer

sys.dont_write_bytecode = True  # keep tests/lib free of __pycache__

from ecrproxy.handler import make_handler  # noqa: E402 - after the bytecode switch
from ecrproxy.state import State  # noqa: E402
from ecrproxy.switches import PRESETS, SWITCHES  # noqa: E402
from serverkit import serve_bounded, write_atomically  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", help="HOST:PORT of the docker-registry (required)")
    parser.add_argument("--preset", choices=sorted(PRESETS))
    parser.add_argument("--storage", help="the registry's rootdirectory (referrers-api reads its manifests)")
    parser.add_argument("--switch", action="append", default=[], help="|".join(SWITCHES))
    parser.add_argument("--no-switch", action="append", default=[])
    parser.add_argument("--config", help="JSON settings, re-read when the file changes")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready-file", help='written once listening: {"port", "store_port", "switches"} (required)')
    parser.add_argument("--log", help="JSON lines, one per request")
    parser.add_argument("--max-seconds", type=float, default=900)
    parser.add_argument("--list", action="store_true", help="print the switches and presets, exit")
    args = parser.parse_args()
    if args.list:
        print(json.dumps({"switches": SWITCHES, "presets": PRESETS}, indent=2))
        return 0
    if not args.upstream or not args.ready_file:
        parser.error("--upstream and --ready-file are required")
    if not args.upstream.startswith("127."):
        parser.error(f"{args.upstream}: only loopback upstreams are allowed")
    try:
        state = State(args)
    except ValueError as error:
        parser.error(str(error))
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(state))
    store = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state, store=True))
    for server in (httpd, store):
        server.daemon_threads = True
    state.address = f"127.0.0.1:{httpd.server_address[1]}"
    state.store_address = f"127.0.0.1:{store.server_address[1]}"
    threading.Thread(target=store.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    write_atomically(args.ready_file, json.dumps({
        "port": httpd.server_address[1], "store_port": store.server_address[1],
        "switches": state.base, "pid": os.getpid()}) + "\n")
    serve_bounded(httpd, args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
