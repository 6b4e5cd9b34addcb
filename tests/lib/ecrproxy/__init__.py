"""An ECR / ECR Public personality for a real docker-registry (see ../ecr_proxy.py)."""
