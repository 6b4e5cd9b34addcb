#!/usr/bin/python3
"""A user-space delay line for the wide-area bench (this kernel has no netem): a TCP proxy on
loopback that holds every chunk D ms before passing it on, each way, and paces each connection to
R Mbit/s each way. A round trip through it costs 2·D, and so does opening a connection: the
client's first bytes leave 2·D late, as after a TCP handshake (SYN, SYN-ACK), so a tool that opens
more connections pays for them as it would on a real path. It writes its own CPU time (user+sys) to
--cpu-file when it exits, so the bench can show it is not the bottleneck.

  delay_line.py --upstream 127.0.0.1:PORT --delay-ms 15 --mbit 200 --ready-file F --cpu-file C
"""
import argparse
import asyncio
import json
import os
import resource
import signal
import sys
import time

CHUNK = 256 * 1024


async def pump(reader, writer, delay, rate, handshake=0.0):
    """Copies reader to writer: each chunk leaves `delay` s after it arrived, and no faster than
    `rate` bytes/s (a token bucket without burst). The queue holds about one bandwidth-delay
    product, as a TCP window would: a sender cannot run further ahead of the wire than that.
    Nothing leaves before `handshake` s after the connection opened."""
    opened = time.monotonic()
    window = int(rate * delay * 2) if rate else 8 * CHUNK
    queue = asyncio.Queue(maxsize=max(4, window // CHUNK + 2))

    async def receive():
        while True:
            data = await reader.read(CHUNK)
            await queue.put((max(time.monotonic(), opened + handshake) + delay, data))
            if not data:
                return

    async def send():
        next_free = time.monotonic()
        while True:
            due, data = await queue.get()
            if not data:
                break
            start = max(due, next_free)
            now = time.monotonic()
            if start > now:
                await asyncio.sleep(start - now)
            writer.write(data)
            await writer.drain()
            next_free = max(start, time.monotonic()) + (len(data) / rate if rate else 0)
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    receiving = asyncio.create_task(receive())
    try:
        await send()
    finally:
        receiving.cancel()


async def serve(args):
    host, port = args.upstream.rsplit(":", 1)
    delay = args.delay_ms / 1000.0
    rate = args.mbit * 1_000_000 / 8 if args.mbit else 0

    async def handle(client_reader, client_writer):
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(pump(client_reader, upstream_writer, delay, rate, 2 * delay),
                                 pump(upstream_reader, client_writer, delay, rate),
                                 return_exceptions=True)
        finally:
            for writer in (client_writer, upstream_writer):
                writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=CHUNK)
    listen_port = server.sockets[0].getsockname()[1]
    tmp = args.ready_file + ".tmp"
    with open(tmp, "w") as handle:
        json.dump({"port": listen_port, "pid": os.getpid()}, handle)
    os.replace(tmp, args.ready_file)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(args.max_seconds, stop.set)
    async with server:
        await stop.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--delay-ms", type=float, default=15.0, help="one way; a round trip is twice")
    parser.add_argument("--mbit", type=float, default=200.0, help="per connection and direction; 0: unpaced")
    parser.add_argument("--ready-file", required=True)
    parser.add_argument("--cpu-file", help="user+sys seconds, written at exit")
    parser.add_argument("--max-seconds", type=float, default=3600)
    args = parser.parse_args()
    if not args.upstream.startswith("127."):
        parser.error("only loopback upstreams")
    try:
        asyncio.run(serve(args))
    finally:
        if args.cpu_file:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            with open(args.cpu_file, "w") as handle:
                handle.write(f"{usage.ru_utime + usage.ru_stime:.2f}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
