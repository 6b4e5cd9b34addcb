#!/usr/bin/python3
"""HTTP forwarding proxy (loopback, plain HTTP) that slows down blob downloads.

mirror_moving_tag needs the source tag re-pointed while ecr-mirror is still copying; on
loopback a copy finishes in well under a second, so the race is made deterministic by
delaying every blob GET (--blob-delay) and capping its rate (--rate). Every request is logged
when it ARRIVES (the registry's access log only writes a line when a response completes).

usage: slow_proxy.py --upstream 127.0.0.1:PORT --port-file F --log F [--blob-delay S] [--rate B/s]
"""
import argparse
import http.client
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from serverkit import serve_bounded, write_atomically

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate"}
BLOB_PATH = re.compile(r"^/v2/.+/blobs/sha256:[0-9a-f]{64}$")


def make_handler(args, log_lock):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *fmt_args):
            pass

        def note(self, text):
            with log_lock, open(args.log, "a", encoding="utf-8") as handle:
                handle.write(f"{time.time():.3f} {text}\n")

        def forward(self):
            self.note(f"START {self.command} {self.path}")
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                self.send_error(411, "chunked request bodies are not supported by the test proxy")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            is_blob_get = self.command == "GET" and BLOB_PATH.match(self.path.split("?")[0])
            if is_blob_get and args.blob_delay > 0:
                time.sleep(args.blob_delay)
            upstream = http.client.HTTPConnection(args.upstream, timeout=60)
            try:
                # Header by header: clients send Accept several times, a dict would keep one.
                upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                upstream.putheader("Host", args.upstream)
                for key, value in self.headers.items():
                    if key.lower() not in HOP_BY_HOP | {"host", "content-length"}:
                        upstream.putheader(key, value)
                if body is not None:
                    upstream.putheader("Content-Length", str(len(body)))
                upstream.endheaders(body)
                response = upstream.getresponse()
                self.send_response_only(response.status, response.reason)
                content_length = response.getheader("Content-Length")
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                if content_length is None and self.command != "HEAD":
                    data = response.read()
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                else:
                    self.end_headers()
                    if self.command != "HEAD":
                        self.copy_body(response, throttle=is_blob_get)
            finally:
                upstream.close()
            self.note(f"END {self.command} {self.path}")

        def copy_body(self, response, throttle):
            started, sent = time.monotonic(), 0
            while True:
                chunk = response.read(64 * 1024)
                if not chunk:
                    return
                self.wfile.write(chunk)
                sent += len(chunk)
                if throttle and args.rate > 0:
                    ahead = sent / args.rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)

        do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = forward

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="HOST:PORT of the registry")
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--blob-delay", type=float, default=0.3, help="seconds before each blob GET")
    parser.add_argument("--rate", type=float, default=0, help="bytes/s per blob GET; 0 = unlimited")
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(args, threading.Lock()))
    httpd.daemon_threads = True
    write_atomically(args.port_file, f"{httpd.server_address[1]}\n")
    serve_bounded(httpd, args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
