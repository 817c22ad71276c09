# reapd — make targets that mean the same everywhere.
GO       ?= go
FUZZTIME ?= 4s

.PHONY: run test test-deps unit fuzz check bench cover build clean

## run: build and run reapd with the default local store (./data)
run:
	$(GO) run ./cmd/reapd serve --listen 127.0.0.1:8080 --store file://./data

## build: build the reapd binary into ./reapd
build:
	$(GO) build -o reapd ./cmd/reapd

## test: install what the tests need (ffmpeg, test servers), then the whole suite with -race and short fuzzing
test: test-deps unit fuzz

test-deps:
	bash scripts/install-test-deps.sh

unit:
	$(GO) test -race -count=1 -timeout 20m ./...

## fuzz: run every fuzz target briefly (FUZZTIME each)
fuzz:
	bash scripts/fuzz.sh $(FUZZTIME)

## check: vet, staticcheck, formatting and a tidy go.mod
check:
	$(GO) vet ./...
	$(GO) tool staticcheck ./...
	@test -z "$$(gofmt -l . | tee /dev/stderr)" || (echo "gofmt needed" && exit 1)
	$(GO) mod tidy -diff

## bench: benchmarks that print figures and ratios; `make bench ingest`
## (or catchup, finalize) runs one part
BENCH_PARTS := $(filter catchup finalize ingest,$(MAKECMDGOALS))
bench: test-deps
	bash scripts/bench.sh $(BENCH_PARTS)

ifneq ($(filter bench,$(MAKECMDGOALS)),)
catchup finalize ingest:
	@:
endif

cover:
	$(GO) test -race -count=1 -coverprofile=cover.out ./... && $(GO) tool cover -func=cover.out | tail -1

clean:
	rm -rf reapd cover.out .bin
