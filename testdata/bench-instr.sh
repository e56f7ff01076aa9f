#!/usr/bin/env bash
# bench-instr.sh counts the instructions tier 1 adds to a replay, under valgrind's cachegrind:
# a figure that, unlike the wall and CPU times of bench-tier1.sh, does not move with the load
# of a shared machine (whose runs spread over several points of throughput), so that a change
# of a few percent in tier 1's cost shows. The garbage collector is turned off (GOGC=off):
# with it on, when it runs depends on timing and the count moves by about ±50M between runs of
# one binary, more than most changes; off, by about ±7M (the memos' hash seeds are drawn per
# run, so what they keep differs a little): run it a few times to tell a change of 5-10M.
# What the collector costs is left to bench-tier1.sh's timings.
#
#   bash testdata/bench-instr.sh [FILE.pcap]    (default: the first 60,000 packets of
#                                               testdata/bench/http-diverse.pcap, ~26k exchanges)
#
# Environment: SENSOR (default: built from this tree); BASE, a second sensor binary (an earlier
# commit's), measured the same way beside it. One worker, GOMAXPROCS=1, asynchronous preemption
# off (valgrind does not deliver Go's preemption signals). Needs valgrind (Debian package
# valgrind, installed when missing) and tcpdump to cut the default capture; about a minute.
set -euo pipefail

cd "$(dirname "$0")/.."
. testdata/bench-lib.sh
log() { printf 'bench-instr: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
need_tools valgrind tcpdump || die "cannot install valgrind"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -z ${SENSOR:-} ]]; then
	go build -o "$tmp/sensor" ./cmd/sensor
	SENSOR=$tmp/sensor
fi
pcap=${1:-}
if [[ -z $pcap ]]; then
	full=testdata/bench/http-diverse.pcap
	[[ -r $full ]] || die "no $full: CLIENT=benchclient bash testdata/bench-gen.sh makes it (root)"
	pcap=$tmp/diverse-60k.pcap
	tcpdump -r "$full" -c 60000 -w "$pcap" 2>/dev/null
fi
[[ -r $pcap ]] || die "cannot read $pcap"

defaults=$(default_detectors "$SENSOR")
[[ -n $defaults ]] || die "cannot read the default detectors from $SENSOR replay -h"
tier1=$(tier1_detectors "$defaults")

# instr BIN DETECTORS prints the instructions of one replay.
instr() {
	GOGC=off GODEBUG=asyncpreemptoff=1 GOMAXPROCS=1 valgrind --tool=cachegrind --cache-sim=no \
		--cachegrind-out-file=/dev/null "$1" replay --quiet --workers 1 --detectors "$2" \
		--alerts /dev/null "$pcap" 2>&1 >/dev/null | awk '/I *refs:/ {gsub(",", "", $4); print $4}'
}

# Two at a time: one per core.
instr "$SENSOR" "" >"$tmp/none" &
instr "$SENSOR" "$tier1" >"$tmp/tier1" &
wait
[[ -n ${BASE:-} ]] && instr "$BASE" "$tier1" >"$tmp/base"
none=$(<"$tmp/none")
[[ -n $none ]] || die "valgrind gave no count"
printf '%s (GOGC=off, one worker)\n' "$(basename "$pcap")"
printf '  none   %6.0fM instructions\n' "$(awk -v n="$none" 'BEGIN {print n / 1e6}')"
for name in tier1 base; do
	[[ -s $tmp/$name ]] || continue
	awk -v n="$none" -v t="$(<"$tmp/$name")" -v name="$name" \
		'BEGIN {printf "  %-6s %6.0fM instructions, tier 1 adds %.0fM (+%.1f%%)\n", name, t / 1e6, (t - n) / 1e6, 100 * (t - n) / n}'
done
