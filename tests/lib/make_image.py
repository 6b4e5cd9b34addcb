#!/usr/bin/python3
"""Writes an OCI image layout holding one multi-arch test image, and prints a JSON summary.

Content is a pure function of (--seed, platform, layer number), so two calls with the same
seed and overlapping platforms share blobs: mirror_partial relies on that. Layers are real
gzip (stored blocks, so incompressible and fast) around a one-file tar of random bytes;
skopeo can then copy them without re-compressing, which keeps manifests byte-identical.

Layouts: oci-layout, index.json (the top index, annotated with org.opencontainers.image.ref.name)
and blobs/sha256/<hex>. --format docker uses a Docker manifest list and Docker v2 manifests.
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import sys
import tarfile
import tempfile

CHUNK = 1 << 20

OCI = {
    "index": "application/vnd.oci.image.index.v1+json",
    "manifest": "application/vnd.oci.image.manifest.v1+json",
    "config": "application/vnd.oci.image.config.v1+json",
    "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
}
DOCKER = {
    "index": "application/vnd.docker.distribution.manifest.list.v2+json",
    "manifest": "application/vnd.docker.distribution.manifest.v2+json",
    "config": "application/vnd.docker.container.image.v1+json",
    "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip",
}
IN_TOTO = "application/vnd.in-toto+json"


class HashingFile:
    """File-like sink that hashes and counts what passes through (no name: gzip stores none)."""

    def __init__(self, handle):
        self.handle = handle
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data):
        self.sha.update(data)
        self.size += len(data)
        return self.handle.write(data)

    def flush(self):
        self.handle.flush()


class Layout:
    def __init__(self, root):
        self.root = root
        self.blob_dir = os.path.join(root, "blobs", "sha256")
        os.makedirs(self.blob_dir, exist_ok=True)
        with open(os.path.join(root, "oci-layout"), "w", encoding="utf-8") as handle:
            handle.write('{"imageLayoutVersion":"1.0.0"}')

    def put_bytes(self, data):
        digest = hashlib.sha256(data).hexdigest()
        path = os.path.join(self.blob_dir, digest)
        if not os.path.exists(path):
            with open(path, "wb") as handle:
                handle.write(data)
        return "sha256:" + digest, len(data)

    def put_json(self, obj):
        return self.put_bytes(canonical(obj))

    def put_random_layer(self, rng, name, payload_size):
        """Streams tar+gzip to disk in CHUNK pieces; returns (digest, size, diff_id)."""
        fd, tmp = tempfile.mkstemp(dir=self.blob_dir, prefix=".tmp-")
        diff = hashlib.sha256()
        with os.fdopen(fd, "wb") as raw:
            sink = HashingFile(raw)
            with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=0, mtime=0) as gz:

                def emit(data):
                    diff.update(data)
                    gz.write(data)

                info = tarfile.TarInfo(name)
                info.size = payload_size
                info.mtime = 0
                info.mode = 0o644
                emit(info.tobuf(format=tarfile.USTAR_FORMAT))
                left = payload_size
                while left > 0:
                    piece = min(CHUNK, left)
                    emit(rng.randbytes(piece))
                    left -= piece
                emit(b"\0" * ((512 - payload_size % 512) % 512))
                emit(b"\0" * 1024)  # end-of-archive marker
        digest = "sha256:" + sink.sha.hexdigest()
        os.replace(tmp, os.path.join(self.blob_dir, digest.split(":")[1]))
        return digest, sink.size, "sha256:" + diff.hexdigest()


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def parse_platform(text):
    parts = text.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise SystemExit(f"make_image: bad platform {text!r} (want os/arch[/variant])")
    platform = {"os": parts[0], "architecture": parts[1]}
    if len(parts) == 3:
        platform["variant"] = parts[2]
    return platform


def descriptor(media_type, digest, size, **extra):
    desc = {"mediaType": media_type, "digest": digest, "size": size}
    desc.update({k: v for k, v in extra.items() if v})
    return desc


class Builder:
    def __init__(self, layout, args, types):
        self.layout = layout
        self.args = args
        self.types = types
        self.blobs = []  # config + layer digests, in first-seen order
        self.manifests = []  # every manifest/index below the top index
        self.children = []

    def note_blob(self, digest):
        if digest not in self.blobs:
            self.blobs.append(digest)

    def image(self, platform_text, key):
        platform = parse_platform(platform_text)
        layers, diff_ids = [], []
        for number in range(self.args.layers):
            # The first --base-layers layers come from --base-seed: images made with one base
            # seed share them, as images built FROM one base image do.
            seed = f"base{self.args.base_seed}" if number < self.args.base_layers else self.args.seed
            rng = random.Random(f"{seed}/{key}/{number}")
            digest, size, diff_id = self.layout.put_random_layer(
                rng, f"layer-{number}.bin", self.args.layer_size
            )
            layers.append(descriptor(self.types["layer"], digest, size))
            diff_ids.append(diff_id)
            self.note_blob(digest)
        if self.args.empty_layer:
            # A 0-byte layer (ECR refuses to complete such an upload: EmptyUploadException).
            digest, size = self.layout.put_bytes(b"")
            layers.append(descriptor(self.types["layer"].replace("+gzip", ""), digest, size))
            diff_ids.append(digest)
            self.note_blob(digest)
        config = dict(platform)
        config.update(
            {
                "created": "2024-01-01T00:00:00Z",
                "config": {"Env": ["PATH=/usr/bin:/bin"], "Labels": {"ecrm.test.seed": str(self.args.seed)}},
                "rootfs": {"type": "layers", "diff_ids": diff_ids},
                "history": [{"created": "2024-01-01T00:00:00Z", "created_by": f"make_image {key} {n}"}
                            for n in range(len(diff_ids))],
            }
        )
        config_digest, config_size = self.layout.put_json(config)
        self.note_blob(config_digest)
        manifest = {
            "schemaVersion": 2,
            "mediaType": self.types["manifest"],
            "config": descriptor(self.types["config"], config_digest, config_size),
            "layers": layers,
        }
        digest, size = self.layout.put_json(manifest)
        self.manifests.append(digest)
        return descriptor(self.types["manifest"], digest, size, platform=platform)

    def attestation(self, subject, platform_text):
        """Shaped like buildx's provenance attestation (docs: attestation-storage)."""
        statement = {
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://slsa.dev/provenance/v0.2",
            "subject": [{"name": f"pkg:docker/ecrm-test@{platform_text}",
                         "digest": {"sha256": subject["digest"].split(":")[1]}}],
            "predicate": {"builder": {"id": "ecrm-make-image"}, "seed": self.args.seed},
        }
        layer_digest, layer_size = self.layout.put_json(statement)
        self.note_blob(layer_digest)
        config = {"architecture": "unknown", "os": "unknown", "config": {},
                  "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}
        config_digest, config_size = self.layout.put_json(config)
        self.note_blob(config_digest)
        manifest = {
            "schemaVersion": 2,
            "mediaType": OCI["manifest"],
            "config": descriptor(OCI["config"], config_digest, config_size),
            "layers": [descriptor(IN_TOTO, layer_digest, layer_size,
                                  annotations={"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"})],
        }
        digest, size = self.layout.put_json(manifest)
        self.manifests.append(digest)
        return descriptor(
            OCI["manifest"], digest, size,
            platform={"architecture": "unknown", "os": "unknown"},
            annotations={"vnd.docker.reference.digest": subject["digest"],
                         "vnd.docker.reference.type": "attestation-manifest"},
        )

    def index(self, descriptors):
        return {"schemaVersion": 2, "mediaType": self.types["index"], "manifests": descriptors}


def main():
    parser = argparse.ArgumentParser(description="Write a multi-arch test image as an OCI layout.")
    parser.add_argument("--out", required=True, help="layout directory (created)")
    parser.add_argument("--platforms", default="linux/amd64,linux/arm64")
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--layer-size", type=int, default=256 * 1024, help="random bytes per layer")
    parser.add_argument("--format", choices=["oci", "docker"], default="oci")
    parser.add_argument("--attestation", action="store_true", help="add a buildx-style attestation per platform")
    parser.add_argument("--nested", action="store_true", help="add a child that is itself an index")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--base-seed", type=int, default=0, help="seed of the shared base layers")
    parser.add_argument("--base-layers", type=int, default=0, help="how many leading layers are the base's")
    parser.add_argument("--empty-layer", action="store_true", help="add a 0-byte layer to each image")
    parser.add_argument("--tag", default="latest", help="org.opencontainers.image.ref.name in index.json")
    args = parser.parse_args()
    if args.layers < 1 or args.layer_size < 0:
        raise SystemExit("make_image: --layers must be >= 1 and --layer-size >= 0")

    types = DOCKER if args.format == "docker" else OCI
    layout = Layout(args.out)
    builder = Builder(layout, args, types)
    platforms = [p for p in args.platforms.split(",") if p]
    if not platforms:
        raise SystemExit("make_image: --platforms is empty")

    descriptors = []
    for platform in platforms:
        child = builder.image(platform, platform)
        descriptors.append(child)
        builder.children.append({"kind": "image", "platform": platform, "digest": child["digest"]})
    if args.attestation:
        for platform, child in zip(platforms, list(descriptors)):
            att = builder.attestation(child, platform)
            descriptors.append(att)
            builder.children.append({"kind": "attestation", "platform": platform, "digest": att["digest"],
                                     "subject": child["digest"]})
    if args.nested:
        inner_child = builder.image("linux/s390x", "nested/linux/s390x")
        inner_digest, inner_size = layout.put_json(builder.index([inner_child]))
        builder.manifests.append(inner_digest)
        descriptors.append(descriptor(types["index"], inner_digest, inner_size))
        builder.children.append({"kind": "index", "digest": inner_digest, "children": [inner_child["digest"]]})

    top_digest, top_size = layout.put_json(builder.index(descriptors))
    top = descriptor(types["index"], top_digest, top_size,
                     annotations={"org.opencontainers.image.ref.name": args.tag})
    with open(os.path.join(args.out, "index.json"), "wb") as handle:
        handle.write(canonical({"schemaVersion": 2, "mediaType": OCI["index"], "manifests": [top]}))

    json.dump({
        "index_digest": top_digest,
        "index_media_type": types["index"],
        "index_size": top_size,
        "tag": args.tag,
        "children": builder.children,
        "manifests": builder.manifests,
        "blobs": builder.blobs,
    }, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
