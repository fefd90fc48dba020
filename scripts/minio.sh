#!/bin/sh
# Installs the pinned MinIO server that the S3 integration tests run against (contract
# section 1) into $(go env GOPATH)/bin. Quiet and quick when it is already there (or when
# LENDSCORE_MINIO names an executable). The first install compiles MinIO from source:
# expect several minutes.
set -eu

MINIO_MODULE=github.com/minio/minio
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

if [ -n "${LENDSCORE_MINIO:-}" ]; then
	if [ -x "$LENDSCORE_MINIO" ]; then
		exit 0
	fi
	echo "minio.sh: LENDSCORE_MINIO=$LENDSCORE_MINIO is not an executable file" >&2
	exit 1
fi

# Always $(go env GOPATH)/bin, where the Makefile and internal/miniotest look, even when
# GOBIN points elsewhere.
gobin=$(go env GOPATH | cut -d: -f1)/bin
bin="$gobin/minio"
stamp="$gobin/.minio-version"

if [ -x "$bin" ] && { [ ! -f "$stamp" ] || [ "$(cat "$stamp")" = "$MINIO_VERSION" ]; }; then
	# Present (a binary without a stamp predates this script: the same pinned install).
	exit 0
fi

echo "minio.sh: installing $MINIO_MODULE@$MINIO_VERSION into $gobin (compiles from source; takes a few minutes)" >&2
GOBIN="$gobin" go install "$MINIO_MODULE@$MINIO_VERSION"
echo "$MINIO_VERSION" >"$stamp"
