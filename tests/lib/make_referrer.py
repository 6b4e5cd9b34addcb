#!/usr/bin/python3
"""Pushes one referrer artifact to a loopback registry, the way its tool would, and prints its
digest.

--via api         image-spec 1.1 manifest with `subject`, pushed by digest (a registry with the
                  referrers API indexes it; oras attach / notation sign on such a registry)
--via tag-schema  the same, then the subject's referrers tag schema index (sha256-<hex>) read,
                  extended and written back (distribution-spec 1.1 §"Pushing Manifests with
                  Subject": what notation / oras do when the registry lacks the API)
--via cosign-sig|cosign-att|cosign-sbom
                  cosign's layout: no subject, a generic image config, one layer of the
                  signature / DSSE envelope / SBOM type, tagged sha256-<hex>.sig|.att|.sbom

Kinds (--kind) pick realistic types: notary (application/vnd.cncf.notary.signature, an
application/cose layer with COSE-like bytes), sbom (application/spdx+json), provenance
(application/vnd.in-toto+json). --content makes otherwise equal artifacts differ.
"""
import argparse
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request

sys.dont_write_bytecode = True

INDEX = "application/vnd.oci.image.index.v1+json"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"
EMPTY = "application/vnd.oci.empty.v1+json"
KINDS = {
    "notary": ("application/vnd.cncf.notary.signature", "application/cose"),
    "sbom": ("application/spdx+json", "application/spdx+json"),
    "provenance": ("application/vnd.in-toto+json", "application/vnd.in-toto+json"),
}
COSIGN = {
    "cosign-sig": ("sig", "application/vnd.dev.cosign.simplesigning.v1+json"),
    "cosign-att": ("att", "application/vnd.dsse.envelope.v1+json"),
    "cosign-sbom": ("sbom", "text/spdx+json"),
}


class Registry:
    def __init__(self, addr, repo, creds):
        self.base = f"http://{addr}/v2/{repo}"
        self.auth = None
        if creds:
            self.auth = "Basic " + base64.b64encode(creds.encode()).decode()

    def request(self, method, path, body=None, headers=None, ok=(200, 201, 202)):
        url = path if path.startswith("http") else self.base + path
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        if self.auth:
            req.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            if error.code in ok:
                return error.code, dict(error.headers), error.read()
            if error.code == 404 and 404 in ok:
                return 404, dict(error.headers), b""
            raise SystemExit(f"{method} {url}: HTTP {error.code} {error.read()[:300]!r}")

    def push_blob(self, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        status, headers, _ = self.request("POST", "/blobs/uploads/")
        location = headers["Location"]
        if location.startswith("/"):
            location = self.base.split("/v2/")[0] + location
        location += ("&" if "?" in location else "?") + "digest=" + digest
        self.request("PUT", location, data, {"Content-Type": "application/octet-stream"})
        return {"digest": digest, "size": len(data)}

    def manifest(self, reference):
        status, headers, body = self.request(
            "GET", f"/manifests/{reference}", headers={"Accept": f"{INDEX},{MANIFEST}"},
            ok=(200, 404))
        return None if status == 404 else body

    def put_manifest(self, reference, body, media_type):
        self.request("PUT", f"/manifests/{reference}", body, {"Content-Type": media_type})
        return "sha256:" + hashlib.sha256(body).hexdigest()


def subject_descriptor(registry, digest):
    body = registry.manifest(digest)
    if body is None:
        raise SystemExit(f"subject {digest} does not exist")
    return {"mediaType": json.loads(body).get("mediaType", MANIFEST), "digest": digest,
            "size": len(body)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", required=True, help="127.0.0.1:PORT")
    parser.add_argument("--repo", required=True)
    parser.add_argument("--creds")
    parser.add_argument("--subject", required=True, help="digest the artifact refers to")
    parser.add_argument("--via", required=True, choices=["api", "tag-schema", *COSIGN])
    parser.add_argument("--kind", choices=sorted(KINDS), default="notary")
    parser.add_argument("--content", default="1")
    parser.add_argument("--annotation", action="append", default=[], help="KEY=VALUE")
    args = parser.parse_args()
    if not args.registry.startswith("127."):
        parser.error("only loopback registries")
    registry = Registry(args.registry, args.repo, args.creds)
    hex_part = args.subject.split(":", 1)[1]
    annotations = dict(item.split("=", 1) for item in args.annotation)
    annotations.setdefault("org.opencontainers.image.created", "2026-12-01T00:00:00Z")

    if args.via in COSIGN:
        suffix, layer_type = COSIGN[args.via]
        payload = json.dumps({"critical": {"image": {"docker-manifest-digest": args.subject}},
                              "optional": {"n": args.content}}).encode()
        layer = registry.push_blob(payload)
        config = registry.push_blob(json.dumps({"architecture": "", "os": "", "config": {},
                                                "rootfs": {"type": "layers", "diff_ids": []}}).encode())
        manifest = {"schemaVersion": 2, "mediaType": MANIFEST,
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                    "layers": [{"mediaType": layer_type, **layer, "annotations": {
                        "dev.cosignproject.cosign/signature": base64.b64encode(
                            hashlib.sha256(payload).digest()).decode()}}]}
        body = json.dumps(manifest, separators=(",", ":")).encode()
        print(registry.put_manifest(f"sha256-{hex_part}.{suffix}", body, MANIFEST))
        return 0

    artifact_type, layer_type = KINDS[args.kind]
    empty = registry.push_blob(b"{}")
    if args.kind == "notary":
        # COSE_Sign1 is a CBOR array tagged 18 (RFC 9052 §4.2): 0xd2 0x84 then the fields.
        data = b"\xd2\x84" + hashlib.sha256(args.content.encode()).digest() * 4
    else:
        data = json.dumps({"kind": args.kind, "for": args.subject, "n": args.content}).encode()
    layer = registry.push_blob(data)
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "artifactType": artifact_type,
                "config": {"mediaType": EMPTY, **empty},
                "layers": [{"mediaType": layer_type, **layer}],
                "subject": subject_descriptor(registry, args.subject),
                "annotations": annotations}
    body = json.dumps(manifest, separators=(",", ":")).encode()
    digest = registry.put_manifest(digest_of(body), body, MANIFEST)
    if args.via == "tag-schema":
        tag = f"sha256-{hex_part}"
        existing = registry.manifest(tag)
        index = json.loads(existing) if existing else {"schemaVersion": 2, "mediaType": INDEX,
                                                       "manifests": []}
        index["manifests"].append({"mediaType": MANIFEST, "digest": digest, "size": len(body),
                                   "artifactType": artifact_type, "annotations": annotations})
        registry.put_manifest(tag, json.dumps(index, separators=(",", ":")).encode(), INDEX)
    print(digest)
    return 0


def digest_of(body):
    return "sha256:" + hashlib.sha256(body).hexdigest()


if __name__ == "__main__":
    sys.exit(main())
