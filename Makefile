# The README's two commands: `make demo` and `make test`.
GO        ?= go
BIN       := bin/sensor
PKGS      := ./...
# Packages with goroutines shared between stages: run under the race detector.
RACE_PKGS := ./pipeline/... ./cmd/... ./sensor/live/...
FUZZTIME  ?= 20s
# Programs that made the test captures (go ignores testdata/ in ./...).
TOOLS     := ./testdata/apiserver ./testdata/apiclient ./testdata/gencaps ./testdata/benchserver \
             ./testdata/grpcdemo/... ./testdata/eval/... ./testdata/authapp/...

.PHONY: all build demo test lint generate check-generate fuzz bench bench-detect bench-live eval eval-extra docker clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/sensor

# Replays the bundled real-client capture and prints alerts as JSON lines.
demo: build
	./$(BIN) replay testdata/http-curl.pcap

test: lint check-generate
	$(GO) test -count=1 $(PKGS)
	$(GO) test -count=1 ./testdata/eval/...
	$(GO) test -count=1 -race $(RACE_PKGS)

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(PKGS) $(TOOLS)
	$(GO) tool staticcheck $(PKGS) $(TOOLS)

# Regenerates committed generated code: protoc (Debian's protobuf-compiler)
# with the protoc-gen-go pinned in go.mod's tool block, and the injection
# detector's copy of libinjection-go's keyword list, and the decoders' EBCDIC code
# pages (from glibc's iconv).
generate:
	$(GO) generate ./pipeline/alert/... ./pipeline/detect/injection ./decoders

# CI: the committed generated code must be what `make generate` writes.
check-generate: generate
	@git diff --exit-code -- pipeline/alert pipeline/detect/injection/sqlwords.go decoders/ebcdic_tables.go || { echo "generated code is stale: run make generate and commit"; exit 1; }

# Runs every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Makes (never commits) large HTTP/1.1, h2c and gRPC captures with real load
# generators (hey, h2load, a grpc-go client), replays each with detection on,
# and runs Suricata 7 on the same files.
bench: build
	bash testdata/bench-gen.sh
	CLIENT=benchclient bash testdata/bench-gen.sh
	bash testdata/bench-gen-h2.sh
	SENSOR=$(BIN) bash testdata/bench-run.sh testdata/bench/http-bench.pcap testdata/bench/http-diverse.pcap testdata/bench/h2c-bench.pcap testdata/bench/grpc-bench.pcap
	$(GO) test -run '^$$' -bench . -benchmem ./sensor/... ./decoders/... ./pipeline/...

# Replay throughput with no detector, tier 1, and tier 1 + CRS in each mode,
# on the same capture in one run (needs `make bench` captures); then the
# instructions tier 1 adds, under cachegrind, which the machine's load does
# not move.
bench-detect: build
	SENSOR=$(BIN) bash testdata/bench-detect.sh testdata/bench/http-bench.pcap testdata/bench/http-diverse.pcap
	SENSOR=$(BIN) bash testdata/bench-tier1.sh testdata/bench/http-diverse.pcap
	GOMAXPROCS=1 SENSOR=$(BIN) bash testdata/bench-tier1.sh testdata/bench/http-bench.pcap
	SENSOR=$(BIN) bash testdata/bench-instr.sh

# Live capture at rising tcpreplay rates onto a veth, sensor and Suricata 7
# af-packet side by side (root; makes the capture if missing).
bench-live: build
	SENSOR=$(BIN) bash testdata/bench-live.sh

# Detection evaluation (issue 5): the labelled corpus as real loopback
# traffic (HTTP/1.1, h2c, gRPC), tcpdump capture, replay, scores per class,
# placement and protocol (root, tcpdump).
eval:
	bash testdata/eval/run.sh

# Second opinions, in process (no root): attack tools' payloads (sqlmap with its
# tamper scripts, wfuzz, wapiti; apt-get download, nothing installed) and text
# nobody tuned on (documentation prose, fortunes) as the value of every placement.
eval-extra:
	bash testdata/eval/extra-attacks.sh
	bash testdata/eval/extra-benign.sh

# Container image (needs a Docker engine; none runs on the dev machine).
docker:
	docker build -f cmd/sensor/deploy/Dockerfile --build-arg VERSION=$$(git describe --always) -t sensor:dev .

clean:
	rm -rf bin
