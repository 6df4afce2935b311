GO ?= go
export GOFLAGS := -buildvcs=false

.PHONY: test deps vet fuzz bench build

build:
	$(GO) build ./...

# deps installs what the tests need on a fresh Debian machine.
deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }

test: deps
	test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	./scripts/fuzz.sh 3s
	$(GO) test -race -count=1 -timeout 20m ./...

fuzz:
	./scripts/fuzz.sh 60s

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
