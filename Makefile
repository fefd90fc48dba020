# lendscore — see README.md. `make demo` and `make test` do all set-up on a fresh machine.
GO      ?= go
GOPATH  := $(shell $(GO) env GOPATH)
MINIO   := $(GOPATH)/bin/minio
COMMIT  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X lendscore/pipeline.Commit=$(COMMIT)
BIN     := bin/lendscore

.PHONY: all build demo test test-short fuzz bench minio vet clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/lendscore

# The demo: bundled data (generated deterministically when absent), the demo job, out/demo.
demo: build
	bash scripts/demo.sh

minio:
	bash scripts/minio.sh

# Every test, with the race detector, including the S3 tests against a real MinIO server
# that the tests start on 127.0.0.1 (a free port) and stop.
test: minio
	$(GO) vet ./...
	LENDSCORE_MINIO=$(MINIO) LENDSCORE_REQUIRE_MINIO=1 $(GO) test -race -count=1 -timeout 30m ./...

# Quick tests without the race detector (MinIO tests still run when MinIO is installed).
test-short:
	LENDSCORE_MINIO=$(MINIO) $(GO) test -count=1 ./...

# A short run of every fuzz target (FUZZTIME each, default 10s); CI runs it after the tests.
fuzz:
	bash scripts/fuzz.sh

# Benchmarks (never part of `make test`); figures land in docs/BENCHMARKS.md.
bench: build minio
	bash scripts/bench.sh

vet:
	$(GO) vet ./...

clean:
	rm -rf bin out
