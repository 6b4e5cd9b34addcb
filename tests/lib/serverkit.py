"""What every test server in tests/lib does alike: announce itself through a file that a suite
polls for (so it is written atomically: the suite must never read half of it), and live for a
bounded time, so a suite killed before its cleanup never leaves a server behind."""
import os
import threading


def write_atomically(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def exit_after(seconds):
    """Ends the whole process after `seconds`, whatever its threads are doing."""
    timer = threading.Timer(seconds, lambda: os._exit(0))
    timer.daemon = True
    timer.start()


def serve_bounded(httpd, max_seconds):
    """Serves until killed (SIGINT counts) or until max_seconds have passed."""
    exit_after(max_seconds)
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
