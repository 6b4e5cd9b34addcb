#!/usr/bin/python3
"""Loopback stand-in for GitHub's OIDC token endpoint, AWS STS, ECR Public and ECR.

One server plays all four; clients are pointed at it with --endpoint-url or
AWS_ENDPOINT_URL_{STS,ECR_PUBLIC,ECR}, and it tells them apart by path and headers:
  GET  /oidc/token?api-version=2.0&audience=A   GitHub's ID token request (Bearer request token)
  POST / with X-Amz-Target: SpencerFrontendService.*              ECR Public (JSON 1.1, SigV4)
  POST / with X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.* ECR (JSON 1.1, SigV4)
  POST / form Action=AssumeRoleWithWebIdentity                    STS (query protocol, XML)
  POST /_control  apply a scenario (see aws_server/scenario.py); GET /_control shows state
  GET  /_issued   every token, key and password issued so far (for secret-leak checks)

Run with /usr/bin/python3: it needs Debian's python3-botocore, python3-jwt and
python3-cryptography. Signatures are verified with botocore's own SigV4 signer.
"""

import sys

sys.dont_write_bytecode = True  # keep tests/lib free of __pycache__

from aws_server.config import parse_args  # noqa: E402 - after the bytecode switch
from aws_server.httpd import serve  # noqa: E402

if __name__ == "__main__":
    sys.exit(serve(parse_args(sys.argv[1:])))
