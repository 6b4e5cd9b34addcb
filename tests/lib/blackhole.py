#!/usr/bin/python3
"""A loopback TCP port where connecting never completes: a connect timeout, reproducibly.

A closed port on loopback answers a SYN with RST at once (ECONNREFUSED), which is "refused", not
a timeout. Here a socket listens with backlog 0 and is never accept()ed from; a few connections
of our own fill its accept queue, after which Linux drops every further SYN (tcp_conn_request:
the accept queue is full), so a client's connect() hangs until its own timeout.

usage: blackhole.py --ready-file F [--max-seconds S]   (F gets {"port": N} once ready)
"""
import argparse
import json
import os
import socket
import sys
import time

from serverkit import write_atomically

FILLERS = 4


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--max-seconds", type=float, default=300)
    args = parser.parse_args()

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(FILLERS):
        filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    time.sleep(0.2)  # let the handshakes that can complete fill the queue

    write_atomically(args.ready_file, json.dumps({"port": port, "pid": os.getpid()}) + "\n")
    # Nothing to serve: just keep the sockets open for a bounded time.
    time.sleep(args.max_seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
