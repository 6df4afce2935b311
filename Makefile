GO ?= go
export GOFLAGS := -buildvcs=false

.PHONY: test deps vet fuzz bench build cross dist

# Stamped into release binaries (meshmeet --version). The date is the
# commit's, so the same commit builds the same bytes.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
DATE    ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
LDFLAGS := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.date=$(DATE)
PLATFORMS := linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64

build:
	$(GO) build ./...

# dist cross-builds the release: one static binary per platform, the man
# page, the shell completions and SHA256SUMS over all of them.
dist:
	rm -rf dist && mkdir -p dist
	set -e; for p in $(PLATFORMS); do \
		os=$${p%/*}; arch=$${p#*/}; ext=; [ $$os = windows ] && ext=.exe; \
		echo "build $$os/$$arch"; \
		CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch $(GO) build -trimpath -ldflags '$(LDFLAGS)' \
			-o dist/meshmeet-$(VERSION)-$$os-$$arch$$ext ./cmd/meshmeet; \
	done
	$(GO) run ./cmd/meshmeet man > dist/meshmeet.1
	for sh in bash zsh fish; do $(GO) run ./cmd/meshmeet completion $$sh > dist/meshmeet.$$sh; done
	cd dist && sha256sum meshmeet-* meshmeet.1 meshmeet.bash meshmeet.zsh meshmeet.fish > SHA256SUMS

# cross checks, quickly, that the code still builds away from Linux (the
# media socket has Linux-only fast paths): compile every package for Windows
# (without linking, to keep CI short; `make dist` links all six).
cross:
	GOOS=windows GOARCH=amd64 $(GO) build ./...

# deps installs what the tests need on a fresh Debian machine.
deps:
	@command -v chromium >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; }
	@command -v npm >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y npm; }
	@test -x scripts/.tsc/node_modules/.bin/tsc || npm install --no-audit --no-fund --prefix scripts/.tsc typescript@5.9.3

test: deps
	test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }
	$(GO) vet ./...
	./scripts/jscheck.sh
	$(MAKE) cross
	./scripts/fuzz.sh 3s
	$(GO) test -race -count=1 -timeout 20m ./...

fuzz:
	./scripts/fuzz.sh 60s

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
