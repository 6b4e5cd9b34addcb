"""What ECR's registry endpoints are, as the personality sees them: request kinds, error bodies,
and the IAM actions each request is authorised under."""
import json
import re
import urllib.parse

MAX_MANIFEST = 4 * 1024 * 1024
EMPTY_DIGEST = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
MANIFEST_TYPES = ",".join([
    "application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json"])
PATH = re.compile(r"^/v2/(?P<name>.+?)/(?P<what>manifests|blobs|referrers)/(?P<ref>.*)$")
TAGS = re.compile(r"^/v2/(?P<name>.+?)/tags/list$")


def classify(method, path):
    bare = urllib.parse.urlsplit(path).path
    tags = TAGS.match(bare)
    if tags:
        return "tags-" + method.lower(), tags.group("name"), None
    match = PATH.match(bare)
    if not match:
        return "ping" if bare in ("/v2/", "/v2") else "other", None, None
    name, what, ref = match.group("name", "what", "ref")
    if what == "blobs" and (ref == "uploads/" or ref.startswith("uploads/")):
        return "upload-" + method.lower(), name, ref[len("uploads/"):]
    prefix = {"manifests": "manifest-", "blobs": "blob-", "referrers": "referrers-"}[what]
    return prefix + method.lower(), name, ref


# The IAM actions ECR authorises a registry request under ("Amazon ECR registry permissions" and
# the push/pull policies of the ECR User Guide: docker push needs BatchCheckLayerAvailability,
# InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload, PutImage; a pull BatchGetImage and
# GetDownloadUrlForLayer; the referrers API BatchGetImage, as ListImageReferrers says in the ECR API
# Reference; a tag listing ListImages). ECR Public images are public to read: its reads need none.
def iam_actions(service, kind, carries_body):
    reads = {"manifest-head": ["BatchGetImage"], "manifest-get": ["BatchGetImage"],
             "blob-get": ["GetDownloadUrlForLayer"], "referrers-get": ["BatchGetImage"],
             "tags-get": ["ListImages"]}
    writes = {"blob-head": ["BatchCheckLayerAvailability"], "upload-post": ["InitiateLayerUpload"],
              "upload-patch": ["UploadLayerPart"], "manifest-put": ["PutImage"],
              "upload-put": ["UploadLayerPart", "CompleteLayerUpload"] if carries_body else ["CompleteLayerUpload"]}
    names = writes.get(kind, []) + (reads.get(kind, []) if service == "ecr" else [])
    return [f"{service}:{name}" for name in names]


def error_json(code, message):
    return json.dumps({"errors": [{"code": code, "message": message, "detail": {}}]}).encode()
