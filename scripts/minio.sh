#!/usr/bin/env bash
# Installs the MinIO server pinned by the contract into $(go env GOPATH)/bin, once.
set -euo pipefail
version=v0.0.0-20260212201848-7aac2a2c5b7c
bin="$(go env GOPATH)/bin/minio"
if [ -x "$bin" ]; then exit 0; fi
echo "installing MinIO ($version) into $bin; this builds from source and takes a few minutes" >&2
go install "github.com/minio/minio@$version"
