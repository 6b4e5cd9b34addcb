"""Loopback stand-in for GitHub's OIDC endpoint, AWS STS, ECR Public and ECR (see ../aws_server.py)."""
