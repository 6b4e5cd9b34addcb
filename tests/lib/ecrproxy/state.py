"""What the handler threads share: the switches and settings in force, upload sessions, the
credentials seen (for credential_lifetime), the store's pending redirects, the log."""
import json
import os
import secrets
import threading
import time

from .switches import DEFAULTS, resolve


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.base = resolve(args.preset, args.switch, args.no_switch)
        self._config_text = None
        self._config = {}
        self.sessions = {}       # upload uuid -> {"patches": n, "range": str, "location": str}
        self.first_seen = {}     # Authorization value -> time first seen
        self.store = {}          # store token -> (path, headers) of the redirected request
        self.counter = 0
        self.challenge = None    # the upstream's /v2/ challenge, for blob-head-401
        self.address = ""
        self.store_address = ""

    # ------------------------------------------------------------ configuration
    def config(self):
        """The config file's settings over the defaults, re-read whenever its text changes."""
        path = self.args.config
        if path and os.path.exists(path):
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
            with self.lock:
                if text != self._config_text:
                    self._config_text = text
                    self._config = json.loads(text) if text.strip() else {}
        with self.lock:
            return {**DEFAULTS, **self._config}

    def switches(self, config):
        return set(resolve(None, self.base + list(config.get("switches_on", [])),
                           config.get("switches_off", [])))

    def repositories(self, config):
        path = config.get("repositories_file")
        if not path or not os.path.exists(path):
            return set()
        with open(path, encoding="utf-8") as handle:
            return {line.strip() for line in handle if line.strip()}

    # ------------------------------------------------------------ per-request state
    def next_count(self):
        with self.lock:
            self.counter += 1
            return self.counter

    def expired(self, authorization, lifetime):
        if not authorization or not lifetime:
            return False
        now = time.monotonic()
        with self.lock:
            first = self.first_seen.setdefault(authorization, now)
        return now - first > lifetime

    def session(self, uuid):
        with self.lock:
            return self.sessions.setdefault(uuid, {"patches": 0, "range": None, "location": None})

    def remember_redirect(self, path, headers):
        token = secrets.token_hex(12)
        with self.lock:
            self.store[token] = (path, headers)
        return token

    def redirect_for(self, token):
        with self.lock:
            return self.store.get(token)

    def log(self, entry):
        if not self.args.log:
            return
        line = json.dumps({"t": round(time.time(), 3), **entry}, separators=(",", ":")) + "\n"
        with self.lock, open(self.args.log, "a", encoding="utf-8") as handle:
            handle.write(line)
