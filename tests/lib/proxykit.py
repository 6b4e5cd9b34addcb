"""What the loopback test proxies (faultproxy/, ecrproxy/) do alike with a request handler:
read a request body as it arrives (Content-Length or chunked), throw one away, and stall."""
import select
import time

# Headers a proxy must not forward as they are (RFC 9110 §7.6.1), plus the framing it redoes.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length", "expect"}
CHUNK = 64 * 1024


def is_chunked(handler):
    return handler.headers.get("Transfer-Encoding", "").lower() == "chunked"


def request_chunks(handler):
    """The request body as it arrives, de-chunked; never the whole body at once."""
    if is_chunked(handler):
        while True:
            size_line = handler.rfile.readline(1024)
            if not size_line:
                raise ConnectionError("request body ended early")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return
            left = size
            while left:
                data = handler.rfile.read(min(left, CHUNK))
                if not data:
                    raise ConnectionError("request body ended early")
                left -= len(data)
                yield data
            handler.rfile.readline(1024)
    else:
        left = int(handler.headers.get("Content-Length") or 0)
        while left > 0:
            data = handler.rfile.read(min(left, CHUNK))
            if not data:
                raise ConnectionError("request body ended early")
            left -= len(data)
            yield data


def drain(handler):
    """Reads and drops the request body; its length."""
    return sum(len(chunk) for chunk in request_chunks(handler))


def stall(handler, seconds):
    """Sends nothing for `seconds`, or until the client gives up and closes."""
    handler.close_connection = True
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        readable, _, _ = select.select([handler.connection], [], [], 0.2)
        if readable:
            try:
                if not handler.connection.recv(CHUNK):
                    return
            except OSError:
                return
