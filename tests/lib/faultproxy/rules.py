"""Which request is which, and which of them the rules fault."""
import json
import re
import sys
import threading
import urllib.parse

REGISTRY_PATH = re.compile(r"^/v2/(.+)/(manifests|blobs)/(.+)$")
STATUS_FAULTS = {"500", "502", "503", "429"}
KNOWN_FAULTS = STATUS_FAULTS | {
    "reset-before-response", "reset-mid-body", "stall", "401-fresh-challenge", "truncated-body",
    "corrupt-bytes", "redirect-other-host", "redirect-challenge", "throttle", "refuse-monolithic",
    "rate-limit"}


def classify(method, path, headers):
    """The request kind the rules name. AWS calls are told apart as aws_server.py does."""
    bare = urllib.parse.urlsplit(path).path
    if bare in ("/v2/", "/v2"):
        return "ping"
    if bare == "/token":
        return "token"
    if bare == "/oidc/token":
        return "oidc"
    if bare.startswith("/_"):
        return "control"
    match = REGISTRY_PATH.match(bare)
    if match:
        what, reference = match.group(2), match.group(3)
        if what == "manifests":
            return {"HEAD": "manifest-head", "GET": "manifest-get", "PUT": "manifest-put",
                    "DELETE": "manifest-delete"}.get(method, "manifest-other")
        if reference == "uploads/" or reference.startswith("uploads/"):
            return {"POST": "upload-post", "PATCH": "upload-patch", "PUT": "upload-put",
                    "DELETE": "upload-delete", "GET": "upload-status"}.get(method, "upload-other")
        return {"HEAD": "blob-head", "GET": "blob-get", "DELETE": "blob-delete"}.get(method, "blob-other")
    if bare.startswith("/v2/"):
        return "registry-other"
    if method == "POST" and bare == "/":
        target = headers.get("X-Amz-Target", "")
        if target.endswith(".GetAuthorizationToken"):
            return "ecr-token"
        if target:
            return "ecr-api"
        return "sts"
    return "other"


class Rules:
    """The rules in force: the file's, re-read whenever its text changes, or the last POSTed."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.file_text = None  # the file as last read: only a change of it replaces the rules
        self.rules = []
        self.counts = []

    def _set(self, text):
        # Called with the lock held. Counts restart: occurrences are per set of rules.
        doc = json.loads(text) if text.strip() else []
        rules = doc.get("rules", []) if isinstance(doc, dict) else doc
        for rule in rules:
            if rule.get("fault") not in KNOWN_FAULTS:
                raise ValueError(f"unknown fault {rule.get('fault')!r}")
            occurrences = rule.get("occurrences", "all")
            if occurrences != "all" and not isinstance(occurrences, list):
                raise ValueError("occurrences must be a list or \"all\"")
        self.rules, self.counts = rules, [0] * len(rules)

    def replace(self, text):
        with self.lock:
            self._set(text)
            self.file_text = self._read_file()  # the file wins again only once it changes

    def _read_file(self):
        if not self.path:
            return None
        try:
            with open(self.path, encoding="utf-8") as handle:
                return handle.read()
        except FileNotFoundError:
            return ""

    def snapshot(self):
        with self.lock:
            return {"rules": self.rules, "counts": self.counts}

    def match(self, label, kind, path):
        """(rule, occurrence) of the first rule that faults this request, else (None, 0)."""
        with self.lock:
            if self.path:
                text = self._read_file()
                if text != self.file_text:
                    self.file_text = text
                    try:
                        self._set(text)
                    except ValueError as error:  # json.JSONDecodeError is a ValueError
                        print(f"fault_proxy: bad rules in {self.path}: {error}", file=sys.stderr)
                        self.rules, self.counts = [], []
            for index, rule in enumerate(self.rules):
                kinds = rule.get("kind")
                kinds = kinds if isinstance(kinds, list) else [kinds]
                if kind not in kinds:
                    continue
                if rule.get("label") and rule["label"] != label:
                    continue
                if rule.get("path") and not re.search(rule["path"], path):
                    continue
                self.counts[index] += 1
                occurrence = self.counts[index]
                wanted = rule.get("occurrences", "all")
                if wanted == "all" or occurrence in wanted:
                    return rule, occurrence
            return None, 0
