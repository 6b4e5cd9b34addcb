"""State the handler threads share: rules, the request log, secrets seen, pending redirects."""
import base64
import http.client
import json
import threading
import time
import urllib.parse

from .rules import REGISTRY_PATH, Rules


class Proxy:
    """State shared by the handler threads of the proxy and of the redirect listener."""

    def __init__(self, args):
        self.args = args
        self.rules = Rules(args.rules)
        self.log_lock = threading.Lock()
        self.secret_lock = threading.Lock()
        self.secrets_seen = set()
        self.redirects = {}  # id -> (method, path, headers) of the request that was redirected
        self.redirect_lock = threading.Lock()
        self.address = ""  # host:port this proxy listens on, set once bound
        self.redirect_address = None
        self.challenge = None  # the upstream's /v2/ challenge, for 401-fresh-challenge

    def log(self, entry):
        if not self.args.log:
            return
        entry = {"t": round(time.time(), 3), "label": self.args.label, **entry}
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with self.log_lock, open(self.args.log, "a", encoding="utf-8") as handle:
            handle.write(line)

    def note_secret(self, value):
        if not value or not self.args.secrets_out:
            return
        with self.secret_lock:
            if value in self.secrets_seen:
                return
            self.secrets_seen.add(value)
            with open(self.args.secrets_out, "a", encoding="utf-8") as handle:
                handle.write(value + "\n")

    def note_authorization(self, header):
        if not header:
            return
        scheme, _, value = header.partition(" ")
        value = value.strip()
        self.note_secret(value)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(value).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                return
            self.note_secret(decoded.partition(":")[2])

    def upstream_for(self, kind):
        if kind == "token" and self.args.token_upstream:
            return self.args.token_upstream
        return self.args.upstream

    def rewrite_challenge(self, value):
        if self.args.token_upstream:
            value = value.replace(f"http://{self.args.token_upstream}/", f"http://{self.address}/")
        return value

    def fresh_challenge(self, method, path):
        """The upstream's own challenge, with the scope this request needs (an expired token)."""
        if self.challenge is None:
            connection = http.client.HTTPConnection(self.args.upstream, timeout=30)
            try:
                connection.request("GET", "/v2/", headers={"Host": self.address})
                response = connection.getresponse()
                response.read()
                self.challenge = response.getheader("WWW-Authenticate", "")
            finally:
                connection.close()
        value = self.rewrite_challenge(self.challenge)
        match = REGISTRY_PATH.match(urllib.parse.urlsplit(path).path)
        if value.lower().startswith("bearer") and match:
            actions = "pull" if method in ("GET", "HEAD") else "pull,push"
            value += f',scope="repository:{match.group(1)}:{actions}"'
        return value or 'Basic realm="fault-proxy"'


def error_body(kind, status):
    """A body in the shape the real service uses for an error (clients parse it for messages)."""
    if kind == "sts":
        code = {429: "Throttling", 503: "ServiceUnavailable"}.get(status, "InternalFailure")
        xml = ("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error>"
               f"<Type>Receiver</Type><Code>{code}</Code><Message>injected fault {status}</Message>"
               "</Error><RequestId>fault-proxy</RequestId></ErrorResponse>")
        return "text/xml", xml.encode(), {}
    if kind in ("ecr-token", "ecr-api"):
        code = {429: "ThrottlingException", 503: "ServiceUnavailableException"}.get(status, "ServerException")
        body = json.dumps({"__type": code, "message": f"injected fault {status}"}).encode()
        return "application/x-amz-json-1.1", body, {"x-amzn-ErrorType": code}
    code = {401: "UNAUTHORIZED", 429: "TOOMANYREQUESTS"}.get(status, "UNKNOWN")
    body = json.dumps({"errors": [{"code": code, "message": f"injected fault {status}"}]}).encode()
    return "application/json", body, {}
