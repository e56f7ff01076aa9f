#!/usr/bin/env bash
# bench-detect.sh measures what detection costs: it replays the same capture through the
# sensor five times, in one run, and prints throughput and peak memory side by side:
#
#   none            --detectors ''                       decode only
#   tier1-only      injection + the tier-1 families      libinjection and the fourteen families
#   tier1           the default detectors                tier 1, smuggling, authentication
#                                                        checks, CRS on alerted exchanges
#   tier1+crs-susp  default + crs, --crs-mode suspicious CRS on alerted or prefiltered exchanges
#   tier1+crs-all   default + crs, --crs-mode all        CRS on every exchange
#
# tier1-only against none is what the issue's "tier 1 on all traffic" costs; one run of each
# on a shared machine is noisy: for that figure, repeat the two replays alternately and take
# the median (README, "Traffic whose values change at every request").
#
#   bash testdata/bench-detect.sh [FILE.pcap...]     (default: testdata/bench/http-bench.pcap)
#
# Environment:
#   SENSOR    the sensor binary (default: built from this tree into a temporary directory)
#   PACKETS   replay only the first PACKETS packets of each capture (editcap), so that the
#             crs-all row finishes in minutes on a small machine; 0 = the whole capture
#             (default 100000: about 43,000 exchanges of http-bench.pcap)
#   WORKERS   --workers (default: the sensor's, GOMAXPROCS)
#   PARANOIA  --crs-paranoia (default 1)
#   KEEP=1    keep the work directory (trimmed captures, stats, alerts) and print its path
#
# Each replay runs under /usr/bin/time -v (wall time, CPU time, peak RSS) after the capture has
# been read once, so no row pays for cold disk reads. MB/cpu_s (bytes over user+system time)
# is the figure to compare on a shared or loaded machine, where wall time measures the load. Exchanges and alerts come from the run
# report (--stats-json); alerts go to a file, not to the terminal. MB = 10^6 bytes.
# The captures are made by testdata/bench-gen.sh and bench-gen-h2.sh (`make bench`); with none
# of the default capture, the script replays the small captures of testdata/ concatenated 50
# times instead.
set -euo pipefail

cd "$(dirname "$0")/.."
. testdata/bench-lib.sh
PACKETS=${PACKETS:-100000}
PARANOIA=${PARANOIA:-1}

log() { printf 'bench-detect: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

[[ -x /usr/bin/time ]] || die "needs /usr/bin/time (Debian package time)"
command -v jq >/dev/null || die "needs jq"

tmp=$(mktemp -d)
if [[ ${KEEP:-} == 1 ]]; then
	trap 'log "kept $tmp"' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi

if [[ -z ${SENSOR:-} ]]; then
	log "building the sensor"
	go build -o "$tmp/sensor" ./cmd/sensor
	SENSOR=$tmp/sensor
fi
[[ -x $SENSOR ]] || die "$SENSOR is not executable"

pcaps=("$@")
if (( ${#pcaps[@]} == 0 )); then
	if [[ -r testdata/bench/http-bench.pcap ]]; then
		pcaps=(testdata/bench/http-bench.pcap)
	else
		command -v mergecap >/dev/null || die "no testdata/bench/http-bench.pcap and no mergecap to build a stand-in"
		log "no testdata/bench/http-bench.pcap: concatenating the testdata captures 50 times"
		small=(testdata/http-curl.pcap testdata/h2c-curl.pcap testdata/grpc-unary.pcap testdata/grpc-injection.pcap testdata/http-hey.pcapng)
		parts=()
		for _ in $(seq 50); do parts+=("${small[@]}"); done
		mergecap -a -F pcap -w "$tmp/testdata-x50.pcap" "${parts[@]}"
		pcaps=("$tmp/testdata-x50.pcap")
	fi
fi

# The default detector list, as the binary has it.
defaults=$(default_detectors "$SENSOR")
[[ -n $defaults ]] || die "cannot read the default detectors from $SENSOR replay -h"
workers=()
if [[ -n ${WORKERS:-} ]]; then
	workers=(--workers "$WORKERS")
fi

# run NAME PCAP ARGS...: one timed replay; appends a row to $rows.
run() {
	local name=$1 pcap=$2
	shift 2
	log "$name: replay ${*:-(default detectors)}"
	if ! /usr/bin/time -v -o "$tmp/$name.time" "$SENSOR" replay --quiet "${workers[@]}" \
		--alerts "$tmp/$name.alerts" --stats-json "$tmp/$name.json" "$@" "$pcap" >/dev/null 2>"$tmp/$name.err"; then
		log "$name failed:"
		tail -20 "$tmp/$name.err" >&2
		return 1
	fi
	local elapsed cpu rss bytes exchanges alerts crs
	read -r elapsed cpu rss < <(awk -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, t, ":"); e = 0; for (i = 1; i <= n; i++) e = e * 60 + t[i] }
		/User time/ { c += $2 }
		/System time/ { c += $2 }
		/Maximum resident set size/ { r = $2 }
		END { printf "%.2f %.2f %d\n", e, c, r }' "$tmp/$name.time")
	bytes=$(jq -r '.bytes // 0' "$tmp/$name.json")
	exchanges=$(jq -r '.exchanges // 0' "$tmp/$name.json")
	alerts=$(jq -r '.alerts // 0' "$tmp/$name.json")
	crs=$(jq -r '.alerts_by_detector.crs // 0' "$tmp/$name.json")
	rows+=("$(awk -v n="$name" -v e="$elapsed" -v c="$cpu" -v b="$bytes" -v x="$exchanges" -v a="$alerts" -v k="$crs" -v r="$rss" \
		'BEGIN { printf "%-15s %9.2f %7.2f %8.1f %10.1f %10d %11.0f %8d %6d %8.1f", n, e, c, (e > 0 ? b / 1e6 / e : 0), (c > 0 ? b / 1e6 / c : 0), x, (e > 0 ? x / e : 0), a, k, r / 1024 }')")
}

# Tier 1 alone.
tier1only=$(tier1_detectors "$defaults")

# crs is among the defaults (mode alerted) since it became one; add it only when not.
withcrs=$defaults
[[ ,$defaults, == *,crs,* ]] || withcrs=$defaults,crs

status=0
for pcap in "${pcaps[@]}"; do
	[[ -r $pcap ]] || die "cannot read $pcap"
	input=$pcap
	if (( PACKETS > 0 )); then
		command -v editcap >/dev/null || die "PACKETS needs editcap (Debian package wireshark-common)"
		input=$tmp/$(basename "$pcap" .pcap)-first$PACKETS.pcap
		editcap -F pcap -r "$pcap" "$input" "1-$PACKETS"
	fi
	cat "$input" >/dev/null # warm the page cache for every row
	rows=()
	run none "$input" --detectors '' || status=1
	run tier1-only "$input" --detectors "$tier1only" || status=1
	run tier1 "$input" || status=1
	run tier1+crs-susp "$input" --detectors "$withcrs" --crs-mode suspicious --crs-paranoia "$PARANOIA" || status=1
	run tier1+crs-all "$input" --detectors "$withcrs" --crs-mode all --crs-paranoia "$PARANOIA" || status=1

	printf '\n%s' "$pcap"
	if (( PACKETS > 0 )); then
		printf ', first %d packets' "$PACKETS"
	fi
	printf ': %.1f MB; CRS paranoia level %d; %s\n\n' "$(awk -v b="$(stat -L -c %s "$input")" 'BEGIN {print b / 1e6}')" "$PARANOIA" "$(nproc) CPUs"
	printf '%-15s %9s %7s %8s %10s %10s %11s %8s %6s %8s\n' detectors elapsed_s cpu_s MB/s MB/cpu_s exchanges exchanges/s alerts crs rss_MB
	printf '%s\n' "${rows[@]}"
	printf '\n'
done
exit "$status"
