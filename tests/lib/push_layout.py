#!/usr/bin/python3
"""Pushes an OCI image layout (as written by make_image.py) to a registry, byte for byte.

skopeo 1.9 cannot copy an index whose child is itself an index ("Unexpectedly received a
manifest list instead of a manifest for a single image"), so nested test images are seeded
with this instead. Blobs go up monolithically (POST then PUT ?digest=); manifests are put by
digest children first, then the top index by tag. Handles Basic and Bearer (token) auth.

usage: push_layout.py --layout DIR --ref-name TAG --dest HOST:PORT/REPO:TAG [--creds USER:PASS]
"""
import argparse
import base64
import http.client
import json
import os
import re
import sys
import urllib.parse

INDEX_TYPES = {
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
}
MANIFEST_TYPES = INDEX_TYPES | {
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
}


class Registry:
    def __init__(self, host, repo, creds):
        self.host = host
        self.repo = repo
        self.creds = creds
        self.auth_header = None

    def _connection(self):
        return http.client.HTTPConnection(self.host, timeout=60)

    def _authorize(self, challenge):
        match = re.match(r"(\w+)\s*(.*)", challenge or "")
        if not match:
            raise SystemExit(f"push_layout: 401 without a usable challenge from {self.host}")
        scheme, params = match.group(1).lower(), dict(re.findall(r'(\w+)="([^"]*)"', match.group(2)))
        basic = None
        if self.creds:
            basic = "Basic " + base64.b64encode(self.creds.encode()).decode()
        if scheme == "basic":
            if not basic:
                raise SystemExit(f"push_layout: {self.host} wants credentials (--creds)")
            self.auth_header = basic
            return
        realm = urllib.parse.urlsplit(params["realm"])
        query = urllib.parse.urlencode({"service": params.get("service", ""),
                                        "scope": f"repository:{self.repo}:pull,push"})
        conn = http.client.HTTPConnection(realm.netloc, timeout=30)
        headers = {"Authorization": basic} if basic else {}
        conn.request("GET", f"{realm.path}?{query}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise SystemExit(f"push_layout: token server {realm.netloc} answered {response.status}")
        data = json.loads(body)
        self.auth_header = "Bearer " + (data.get("token") or data["access_token"])

    def request(self, method, path, body=None, headers=None, retry_auth=True):
        headers = dict(headers or {})
        if self.auth_header:
            headers["Authorization"] = self.auth_header
        if body is not None:
            headers["Content-Length"] = str(len(body))
        conn = self._connection()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status == 401 and retry_auth:
            self._authorize(response.getheader("WWW-Authenticate"))
            return self.request(method, path, body, headers, retry_auth=False)
        return response, data


def read_blob(layout, digest):
    with open(os.path.join(layout, "blobs", *digest.split(":", 1)), "rb") as handle:
        return handle.read()


def push_blob(registry, layout, digest, pushed):
    if digest in pushed:
        return
    response, _ = registry.request("HEAD", f"/v2/{registry.repo}/blobs/{digest}")
    if response.status != 200:
        response, _ = registry.request("POST", f"/v2/{registry.repo}/blobs/uploads/", body=b"")
        if response.status != 202:
            raise SystemExit(f"push_layout: starting upload of {digest}: HTTP {response.status}")
        location = response.getheader("Location")
        target = urllib.parse.urlsplit(location)
        separator = "&" if target.query else ""
        path = f"{target.path}?{target.query}{separator}digest={urllib.parse.quote(digest)}"
        response, body = registry.request("PUT", path, body=read_blob(layout, digest),
                                          headers={"Content-Type": "application/octet-stream"})
        if response.status != 201:
            raise SystemExit(f"push_layout: uploading {digest}: HTTP {response.status} {body[:200]!r}")
    pushed.add(digest)


def push_manifest(registry, layout, desc, reference, pushed):
    raw = read_blob(layout, desc["digest"])
    manifest = json.loads(raw)
    if desc["mediaType"] in INDEX_TYPES:
        for child in manifest.get("manifests", []):
            push_manifest(registry, layout, child, child["digest"], pushed)
    else:
        for blob in [manifest["config"]] + manifest.get("layers", []):
            push_blob(registry, layout, blob["digest"], pushed)
    response, body = registry.request("PUT", f"/v2/{registry.repo}/manifests/{reference}", body=raw,
                                      headers={"Content-Type": desc["mediaType"]})
    if response.status != 201:
        raise SystemExit(f"push_layout: putting manifest {reference}: HTTP {response.status} {body[:300]!r}")


def main():
    parser = argparse.ArgumentParser(description="Push an OCI layout to a registry without changing bytes.")
    parser.add_argument("--layout", required=True)
    parser.add_argument("--ref-name", required=True, help="org.opencontainers.image.ref.name to push")
    parser.add_argument("--dest", required=True, help="HOST:PORT/REPO:TAG (plain HTTP)")
    parser.add_argument("--creds", help="USER:PASS")
    args = parser.parse_args()

    host, _, rest = args.dest.partition("/")
    repo, _, tag = rest.rpartition(":")
    if not host or not repo or not tag:
        raise SystemExit(f"push_layout: bad --dest {args.dest!r}")
    with open(os.path.join(args.layout, "index.json"), encoding="utf-8") as handle:
        top = json.load(handle)
    matches = [d for d in top["manifests"]
               if d.get("annotations", {}).get("org.opencontainers.image.ref.name") == args.ref_name]
    if len(matches) != 1 or matches[0]["mediaType"] not in MANIFEST_TYPES:
        raise SystemExit(f"push_layout: {args.ref_name!r} not found once in {args.layout}/index.json")
    push_manifest(Registry(host, repo, args.creds), args.layout, matches[0], tag, set())
    return 0


if __name__ == "__main__":
    sys.exit(main())
