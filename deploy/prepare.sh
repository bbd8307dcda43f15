#!/bin/sh
# The once-per-release database steps (README, Deploying), shared by `make prepare`, the Dockerfile's image and
# compose.yaml. Settings come from the environment (DATABASE_URL, SECRET_KEY, ...). With several app servers, run
# this once per release, before starting the new version's servers. Every step is idempotent.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python}"
"$PYTHON" manage.py migrate --noinput
"$PYTHON" manage.py createcachetable
"$PYTHON" manage.py load_catalog
"$PYTHON" manage.py load_example_narratives
"$PYTHON" manage.py load_iso_mapping
"$PYTHON" manage.py encrypt_mfa_secrets
