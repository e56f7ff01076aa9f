#!/usr/bin/env bash
# bench-tier1.sh measures what tier 1 on all traffic costs (issue 5's goal: at most 25% of
# throughput): it replays each capture with no detector and with tier 1 alone (libinjection
# and the fourteen tier-1 families), RUNS times each, the two alternating so that a shared
# machine's drift hits both alike, and prints the median user+system CPU and wall time.
#
#   bash testdata/bench-tier1.sh [FILE.pcap...]  (default: the bench captures of `make bench`)
#
# Environment: SENSOR (default: built from this tree), RUNS (5), GOMAXPROCS and WORKERS as
# for the sensor (the README quotes the hey capture on one core, GOMAXPROCS=1); BASE, a second
# sensor binary (an earlier commit's), adds its tier 1 to the alternation, so that two versions
# are compared on the same runs. Besides the medians it prints the mean of the faster half of
# the runs, which a shared machine's slow moments disturb less.
set -euo pipefail

cd "$(dirname "$0")/.."
. testdata/bench-lib.sh
RUNS=${RUNS:-5}
log() { printf 'bench-tier1: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
[[ -x /usr/bin/time ]] || die "needs /usr/bin/time (Debian package time)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [[ -z ${SENSOR:-} ]]; then
	go build -o "$tmp/sensor" ./cmd/sensor
	SENSOR=$tmp/sensor
fi
workers=()
[[ -n ${WORKERS:-} ]] && workers=(--workers "$WORKERS")

pcaps=("$@")
(( ${#pcaps[@]} > 0 )) || pcaps=(testdata/bench/http-bench.pcap testdata/bench/http-diverse.pcap)

# Tier 1 alone: the defaults without the protocol, authentication and CRS detectors.
defaults=$(default_detectors "$SENSOR")
[[ -n $defaults ]] || die "cannot read the default detectors from $SENSOR replay -h"
tier1=$(tier1_detectors "$defaults")

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }
fasthalf() { sort -n | awk '{v[NR] = $1} END {h = int(NR / 2); if (h < 1) h = 1; for (i = 1; i <= h; i++) s += v[i]; print s / h}'; }
names=(none tier1)
[[ -n ${BASE:-} ]] && names+=(base)

for pcap in "${pcaps[@]}"; do
	[[ -r $pcap ]] || die "cannot read $pcap (make bench makes the bench captures)"
	cat "$pcap" >/dev/null
	for name in "${names[@]}"; do : >"$tmp/$name.cpu"; : >"$tmp/$name.wall"; done
	for i in $(seq "$RUNS"); do
		for name in "${names[@]}"; do
			det=$tier1 bin=$SENSOR
			[[ $name == none ]] && det=""
			[[ $name == base ]] && bin=$BASE
			/usr/bin/time -o "$tmp/t" -f '%U %S %e' "$bin" replay --quiet "${workers[@]}" --detectors "$det" \
				--alerts /dev/null "$pcap" >/dev/null 2>"$tmp/err" || { tail -5 "$tmp/err" >&2; die "$name replay failed"; }
			read -r u s e <"$tmp/t"
			awk -v u="$u" -v s="$s" 'BEGIN {print u + s}' >>"$tmp/$name.cpu"
			echo "$e" >>"$tmp/$name.wall"
		done
		log "$(basename "$pcap"): run $i of $RUNS"
	done
	printf '%s, %d alternating runs (%s CPUs, GOMAXPROCS %s)\n' "$pcap" "$RUNS" "$(nproc)" "${GOMAXPROCS:-default}"
	for stat in median fasthalf; do
		nc=$($stat <"$tmp/none.cpu"); nw=$($stat <"$tmp/none.wall")
		printf '  %s\n  none   cpu %6.2f s  wall %6.2f s\n' "$stat" "$nc" "$nw"
		for name in "${names[@]:1}"; do
			tc=$($stat <"$tmp/$name.cpu"); tw=$($stat <"$tmp/$name.wall")
			printf '  %-5s  cpu %6.2f s  wall %6.2f s   cost: %+.0f%% cpu, throughput %.1f%% of none\n' "$name" "$tc" "$tw" \
				"$(awk -v a="$tc" -v b="$nc" 'BEGIN {print (a / b - 1) * 100}')" "$(awk -v a="$tw" -v b="$nw" 'BEGIN {print b / a * 100}')"
		done
	done
done
