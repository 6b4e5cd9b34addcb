"""The documented ways ECR and ECR Public answer differently from CNCF distribution, one switch
each, with the public record each one comes from, and the presets that combine them."""

SWITCHES = {
    # PATCH answers 201 Created, not the spec's 202 Accepted (dotnet/sdk-container-builds#279,
    # openai/tart#273); after the first PATCH of a session the Range header stops advancing and
    # the body is dropped (aws/containers-roadmap#2831).
    "patch-201": "PATCH answers 201; later PATCHes of a session are dropped, Range stays put",
    # A multi-PATCH (chunked) upload fails at the final PUT on ECR Public with
    # BLOB_UPLOAD_INVALID "None of the provided layer digests match the calculated layer digest"
    # (dotnet/sdk-container-builds#472).
    "multi-patch-invalid": "the PUT of a session that had more than one PATCH answers 400 BLOB_UPLOAD_INVALID",
    # A request body sent with Transfer-Encoding: chunked stalls (public.ecr.aws stall reports;
    # dotnet/sdk-container-builds#279 found pushes to ECR "abruptly ended").
    "chunked-stall": "a request body with Transfer-Encoding: chunked gets no answer",
    # ECR Public answers every blob HEAD with 401, valid token or not
    # (aws/containers-roadmap#2671; buildbuddy-io/buildbuddy#12566).
    "blob-head-401": "blob HEAD answers 401 whatever the token",
    # Blob GETs and HEADs are redirected to a presigned object-store URL; the presigned URL is
    # signed for GET, so a HEAD there is refused with 403 SignatureDoesNotMatch (S3 presigned
    # URLs sign the method). Not confirmed for ECR HEADs in the public record: from the issue.
    "blob-redirect-403": "blob HEAD/GET redirect to a presigned store URL where HEAD is 403",
    # An expired bearer token answers 400 with DENIED "Your authorization token has expired.
    # Reauthenticate and try again." (aws/aws-cli#6580, docker's "denied:" prefix) and no
    # WWW-Authenticate. The 400 status is from the issue, not confirmed publicly.
    "expired-400": "a 401 to a request that carried credentials becomes 400 DENIED, no challenge",
    # Manifest GET without Docker-Content-Digest (aws/containers-roadmap#1931,
    # distribution/distribution#3792, oras-project/oras-java#522); HEAD keeps it
    # (ChangemakerStudios/Docker.Registry.DotNet#35). Sent chunked, without Content-Length.
    "manifest-get-no-digest": "manifest GET: no Docker-Content-Digest, chunked body",
    # Immutable tags: a manifest PUT to an existing tag answers 400 TAG_INVALID "The image tag
    # '<tag>' already exists in the '<repo>' repository and cannot be overwritten because the
    # repository is immutable.", also when the digest is the same (aws/containers-roadmap#862,
    # #2380; moby/buildkit#3776). Exclusion filters (wildcards) come from the config.
    "immutable-tags": "manifest PUT to an existing tag answers 400 TAG_INVALID",
    # POST ?mount=&from= opens an upload (202 + Location) instead of mounting (the distribution
    # spec's answer of a registry that cannot mount; from the issue for ECR).
    "mount-202": "cross-repository mount requests open a plain upload",
    # Throttling: 429 TOOMANYREQUESTS "Rate exceeded", without Retry-After (from the issue;
    # ECR's API throttles with "Rate exceeded", quotas per second in the ECR quotas page).
    "throttle": "every Nth request answers 429 TOOMANYREQUESTS without Retry-After",
    # 405 UNSUPPORTED "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Limit
    # on number of layers per image exceeded'" (openai/tart#890); the limit, 500, was measured by
    # spinframework/spin#1787 and nuonco/nuon#2348. An unparseable manifest is UNSUPPORTED too.
    "unsupported-manifest": "manifest PUT with too many layers or invalid JSON answers 405 UNSUPPORTED",
    # A 0-byte blob cannot be completed: EmptyUploadException, "cannot be completed because it
    # does not have any parts" (devcontainers/cli#814, radius-project/radius#7887).
    "empty-blob": "the PUT that completes a 0-byte blob answers 400 BLOB_UPLOAD_INVALID",
    # A missing repository is NAME_UNKNOWN "The repository with name '<name>' does not exist in
    # the registry with id '<account>'" (ECR does not create repositories on push).
    "name-unknown": "requests to repositories not in the repositories file answer 404 NAME_UNKNOWN",
    # ECR and ECR Public serve the OCI 1.1 referrers API (AWS What's New, 2024-06-27: "Amazon ECR
    # supports Open Container Initiative Image and Distribution specification version 1.1", both
    # registries): GET /v2/<name>/referrers/<digest> lists the manifests whose subject it is, and
    # a manifest PUT with a subject answers OCI-Subject (distribution-spec 1.1 §"Pushing Manifests
    # with Subject" requires it of a registry with the API; not separately confirmed for ECR).
    "referrers-api": "GET referrers answered from the registry's manifests; PUT with subject answers OCI-Subject",
    # Not ECR's: a registry that takes no body on the commit PUT (monolithic upload is a MAY in
    # the distribution spec). A test knob, to drive ecr-mirror's PATCH fallback through ECR's
    # PATCH answers.
    "no-monolithic": "a PUT that carries a blob body answers 405 UNSUPPORTED",
}

_COMMON = ["patch-201", "multi-patch-invalid", "chunked-stall", "expired-400",
           "manifest-get-no-digest", "mount-202", "throttle", "unsupported-manifest", "empty-blob",
           "referrers-api"]
PRESETS = {
    # ECR Public has no tag immutability ("Public ECRs don't support immutability",
    # smartcontractkit/.github#1526); its blob HEADs are 401.
    "ecr-public": _COMMON + ["blob-head-401"],
    # Private ECR: blobs are served from presigned object-store URLs. immutable-tags and
    # name-unknown are switched on by the suites that set up what they need.
    "ecr": _COMMON + ["blob-redirect-403"],
}

DEFAULTS = {"throttle_every": 11, "max_layers": 500, "stall_seconds": 30,
            "immutable_exclusions": [], "repositories_file": None, "credential_lifetime": 0,
            "registry_id": "123456789012", "judge_agents": "^skopeo/", "iam_service": None}


def resolve(preset, on, off):
    names = list(PRESETS[preset]) if preset else []
    for name in on:
        if name not in names:
            names.append(name)
    unknown = [n for n in names + list(off) if n not in SWITCHES]
    if unknown:
        raise ValueError(f"unknown switch(es): {', '.join(unknown)}; known: {', '.join(SWITCHES)}")
    return [n for n in names if n not in off]
