#!/usr/bin/env bash
# Detection evaluation (issue 5): sends the labelled corpus (testdata/eval/corpus.jsonl)
# as real traffic on loopback in every placement (HTTP/1.1, h2c, gRPC), captures it with
# tcpdump, replays the capture through the sensor and scores the alerts per class ×
# placement × protocol. Needs root (tcpdump on lo) and tcpdump. Traffic goes to 127.0.0.1
# only, and every step is bounded in time.
#
# Environment:
#   EVAL_OUT        output folder (default /tmp/sensor-eval)
#   MAX_PER_CLASS   entries per class, chosen by payload hash (default 0: all; benign entries are always all sent)
#   PLACEMENTS      comma-separated placements (default all)
#   H2C             1 to also send every HTTP placement over h2c (default 1)
#   DETECTORS       detectors for the replay (default: the sensor's defaults)
#   SENSOR          a sensor binary to use instead of building ./cmd/sensor
#   HTTP_PORT, GRPC_PORT  loopback ports (default 18080, 18081)
#   REGEN           1 to rebuild corpus.jsonl from the Go module cache first
#   CORPUS          another corpus of the same format (default testdata/eval/corpus.jsonl),
#                   e.g. the attack-tool corpus of extra-attacks.sh (TRAFFIC=1)
#   REPLAY_ONLY     1 to reuse EVAL_OUT's eval.pcap and manifest.jsonl: replay and score
#                   only (no root needed), e.g. after changing a detector
# Output in EVAL_OUT: eval.pcap, manifest.jsonl, exchanges.jsonl, alerts.jsonl,
# results.md (the tables, also on stdout), results.json, cases.md (first misses and
# false positives per placement).
set -euo pipefail

cd "$(dirname "$0")/../.."
OUT=${EVAL_OUT:-/tmp/sensor-eval}
MAX_PER_CLASS=${MAX_PER_CLASS:-0}
PLACEMENTS=${PLACEMENTS:-all}
H2C=${H2C:-1}
HTTP_PORT=${HTTP_PORT:-18080}
GRPC_PORT=${GRPC_PORT:-18081}
CORPUS=${CORPUS:-testdata/eval/corpus.jsonl}

need() { command -v "$1" >/dev/null || { echo "eval: $1 not found: $2" >&2; exit 2; }; }
REPLAY_ONLY=${REPLAY_ONLY:-0}
need go "install Go (see go.mod)"
if [ "$REPLAY_ONLY" = 1 ]; then
	for f in eval.pcap manifest.jsonl; do
		[ -s "$OUT/$f" ] || { echo "eval: REPLAY_ONLY=1 but $OUT/$f is missing: run once without it" >&2; exit 2; }
	done
else
	need tcpdump "apt-get install tcpdump"
	need timeout "apt-get install coreutils"
	if [ "$(id -u)" != 0 ]; then
		echo "eval: tcpdump on lo needs root (or CAP_NET_RAW): run as root" >&2
		exit 2
	fi
fi

mkdir -p "$OUT/bin"
start=$(date +%s)
step() { echo "== $(( $(date +%s) - start ))s: $*" >&2; }

step "build"
if [ -n "${SENSOR:-}" ]; then
	cp "$SENSOR" "$OUT/bin/sensor"
else
	go build -o "$OUT/bin/sensor" ./cmd/sensor
fi
for p in server client score; do go build -o "$OUT/bin/eval-$p" "./testdata/eval/$p"; done
if [ "${REGEN:-0}" = 1 ]; then
	[ "$CORPUS" = testdata/eval/corpus.jsonl ] || { echo "eval: REGEN=1 rebuilds the default corpus only" >&2; exit 2; }
	step "corpus"
	go run ./testdata/eval/corpus -out "$CORPUS"
fi

if [ "$REPLAY_ONLY" != 1 ]; then
	pids=()
	cleanup() {
		for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	}
	trap cleanup EXIT

	step "server on 127.0.0.1:$HTTP_PORT (HTTP/1.1, h2c) and 127.0.0.1:$GRPC_PORT (gRPC)"
	"$OUT/bin/eval-server" -http "127.0.0.1:$HTTP_PORT" -grpc "127.0.0.1:$GRPC_PORT" -lifetime 12m 2>"$OUT/server.log" &
	server=$!
	pids+=("$server")

	step "capture"
	rm -f "$OUT/eval.pcap"
	# -B: a large kernel buffer, so that the burst of loopback traffic is not dropped.
	timeout 11m tcpdump -i lo -n -B 65536 -s 0 -w "$OUT/eval.pcap" \
		"tcp and host 127.0.0.1 and (port $HTTP_PORT or port $GRPC_PORT)" 2>"$OUT/tcpdump.log" &
	tcpd=$!
	pids+=("$tcpd")
	for _ in $(seq 100); do
		grep -q "listening on" "$OUT/tcpdump.log" 2>/dev/null && grep -q "listening" "$OUT/server.log" && break
		sleep 0.1
	done
	grep -q "listening on" "$OUT/tcpdump.log" || { echo "eval: tcpdump did not start:" >&2; cat "$OUT/tcpdump.log" >&2; exit 1; }
	grep -q "listening" "$OUT/server.log" || { echo "eval: server did not start:" >&2; cat "$OUT/server.log" >&2; exit 1; }

	step "traffic (max $MAX_PER_CLASS per class, placements $PLACEMENTS, h2c=$H2C)"
	h2c_flag=-h2c=false
	[ "$H2C" = 1 ] && h2c_flag=-h2c=true
	"$OUT/bin/eval-client" -corpus "$CORPUS" -http "127.0.0.1:$HTTP_PORT" -grpc "127.0.0.1:$GRPC_PORT" \
		-max-per-class "$MAX_PER_CLASS" -placements "$PLACEMENTS" "$h2c_flag" -manifest "$OUT/manifest.jsonl" -timeout 6m

	# Let the last ACKs and FINs reach the capture, then stop tcpdump (it flushes on SIGINT).
	kill -INT "$server"
	wait "$server" || true
	sleep 1
	kill -INT "$tcpd"
	wait "$tcpd" || true
	cat "$OUT/tcpdump.log" >&2
	dropped=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$OUT/tcpdump.log")
	if [ "${dropped:-0}" != 0 ]; then
		echo "eval: tcpdump dropped $dropped packets: the scores below undercount; lower MAX_PER_CLASS" >&2
	fi

fi

step "replay"
detectors=()
[ -n "${DETECTORS:-}" ] && detectors=(--detectors "$DETECTORS")
# Every request of the corpus is sent within seconds, most of them attacks: the
# CRS budget (crs.max_runs_per_second, 200) would leave most without CRS
# evidence. It changes no detection (CRS only corroborates by default), but
# the table of rules that fired should show every CRS match, as a forensic
# replay would: no bound here.
"$OUT/bin/sensor" replay --quiet --exchanges --alerts "$OUT/alerts.jsonl" --stats-json "$OUT/stats.json" \
	--crs-max-runs -1 "${detectors[@]}" "$OUT/eval.pcap" >"$OUT/exchanges.jsonl"

step "score"
status=0
{
	echo "Detectors: ${DETECTORS:-defaults}. Corpus: $CORPUS, at most ${MAX_PER_CLASS} per attack class (0: all)."
	echo
	"$OUT/bin/eval-score" -corpus "$CORPUS" -manifest "$OUT/manifest.jsonl" -exchanges "$OUT/exchanges.jsonl" \
		-alerts "$OUT/alerts.jsonl" -json "$OUT/results.json" -cases "$OUT/cases.md"
} | tee "$OUT/results.md" || status=$?
step "done: $OUT/results.md, $OUT/results.json, $OUT/cases.md"
exit "$status"
