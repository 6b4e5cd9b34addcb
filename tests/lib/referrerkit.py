"""The referrers API as a registry with it answers, computed from a docker-registry's own storage
(distribution 2.8 keeps every manifest it accepted under repositories/<name>/_manifests/revisions),
for the test fronts that play such a registry (referrers_front.py, the ECR personality)."""
import json
import os

INDEX = "application/vnd.oci.image.index.v1+json"


def stored_referrers(storage, name, digest):
    """Descriptors of the manifests of `name` whose subject is `digest`, oldest first."""
    root = os.path.join(storage, "docker", "registry", "v2")
    revisions = os.path.join(root, "repositories", name, "_manifests", "revisions", "sha256")
    found = []
    if not os.path.isdir(revisions):
        return found
    for hex_digest in os.listdir(revisions):
        blob = os.path.join(root, "blobs", "sha256", hex_digest[:2], hex_digest, "data")
        try:
            with open(blob, "rb") as handle:
                body = handle.read()
            manifest = json.loads(body)
        except (OSError, ValueError):
            continue
        subject = manifest.get("subject") if isinstance(manifest, dict) else None
        if not isinstance(subject, dict) or subject.get("digest") != digest:
            continue
        descriptor = {"mediaType": manifest.get("mediaType"), "digest": "sha256:" + hex_digest,
                      "size": len(body)}
        artifact_type = manifest.get("artifactType") or (manifest.get("config") or {}).get("mediaType")
        if artifact_type:
            descriptor["artifactType"] = artifact_type
        if manifest.get("annotations"):
            descriptor["annotations"] = manifest["annotations"]
        found.append((os.path.getmtime(blob), descriptor))
    return [descriptor for _, descriptor in sorted(found, key=lambda item: (item[0], item[1]["digest"]))]
