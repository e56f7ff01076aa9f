#!/usr/bin/env bash
# bench-run.sh replays pcaps through the sensor and through Suricata 7 and prints, per pcap,
# their throughput, exchange counts and peak memory side by side, then a summary of MB/s and
# exchanges/s with the sensor/Suricata ratios for all pcaps.
#
#   SENSOR=bin/sensor bash testdata/bench-run.sh testdata/bench/http-bench.pcap \
#       testdata/bench/h2c-bench.pcap testdata/bench/grpc-bench.pcap
#
# Sensor:   $SENSOR replay --stats-json FILE PCAP; exchanges = the stats JSON's "exchanges".
#           Also on one core (GOMAXPROCS=1, --workers 1). Skipped with a message when
#           $SENSOR is unset or not built.
# Suricata: single thread (--runmode single), detection disabled, EVE http logging only,
#           with HTTP/2 parsed and logged (eve types http + http2). Suricata 7 logs an HTTP/2
#           stream as event_type "http" with http.version "2"; stream 0 (SETTINGS, GOAWAY)
#           gets its own transaction, which is not an exchange and is not counted. HTTP/2 is
#           found by its client preface on any port, so h2c on 8080 and gRPC on 50051 need
#           no port configuration. Stream reassembly depth is unlimited, like the sensor's,
#           so both parse every byte of long-lived connections. Installed from
#           bookworm-backports if missing.
# Both run under /usr/bin/time -v for wall time, CPU time and peak RSS, after the pcap has
# been read once so neither pays for cold disk reads. MB = 10^6 bytes.
# KEEP=1 keeps the work directory (eve.json, logs, stats) and prints its path.
# Exit status 1 when a Suricata run fails or logs no exchanges.
set -euo pipefail

(( $# )) || { echo "usage: bench-run.sh FILE.pcap... (env SENSOR=path/to/sensor)" >&2; exit 2; }
for pcap in "$@"; do
	[[ -r $pcap ]] || { echo "bench-run: cannot read $pcap" >&2; exit 1; }
done
SENSOR=${SENSOR:-}

log() { printf 'bench-run: %s\n' "$*" >&2; }

apt_install() {
	(( EUID == 0 )) || { log "need root to install $*"; exit 1; }
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null
}

# ensure_suricata installs Suricata 7 from bookworm-backports (bookworm itself ships 6).
ensure_suricata() {
	if command -v suricata >/dev/null && suricata -V 2>/dev/null | grep -q 'version 7\.'; then
		return 0
	fi
	(( EUID == 0 )) || { log "need root to install suricata 7"; exit 1; }
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		local uri
		# The mirror the machine already uses for bookworm: deb822 .sources, then one-line lists.
		uri=$(awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ {print u; exit}' \
			/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
		[[ -n $uri ]] || uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true)
		[[ -n $uri ]] || uri=http://deb.debian.org/debian
		log "adding bookworm-backports from $uri"
		echo "deb $uri bookworm-backports main" >/etc/apt/sources.list.d/backports.list
	fi
	log "installing suricata 7 from bookworm-backports"
	apt-get update -q >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t bookworm-backports suricata >/dev/null
	# The package enables a live-capture daemon; it would compete for the CPU being measured.
	if command -v systemctl >/dev/null; then
		systemctl disable --now suricata >/dev/null 2>&1 || true
	fi
	suricata -V | grep -q 'version 7\.' || { log "suricata 7 not installed"; exit 1; }
}

ensure_suricata
command -v jq >/dev/null || { log "installing jq"; apt_install jq; }
command -v capinfos >/dev/null || { log "installing tshark tools"; apt_install wireshark-common; }

tmp=$(mktemp -d)
if [[ ${KEEP:-} == 1 ]]; then
	trap 'log "kept $tmp"' EXIT
else
	trap 'rm -rf "$tmp"' EXIT
fi

# Detection off, no rules: what is measured is decode + reassembly + HTTP/1 and HTTP/2
# parsing + EVE http.
cat >"$tmp/suricata.yaml" <<'EOF'
%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]"
    EXTERNAL_NET: "!$HOME_NET"
  port-groups:
    HTTP_PORTS: "80,8080"
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - http:
            extended: yes
        - http2
  - stats:
      enabled: yes
      filename: stats.log
      totals: yes
      threads: no
logging:
  default-log-level: notice
  outputs:
    - console:
        enabled: yes
    - file:
        enabled: yes
        level: info
        filename: suricata.log
stream:
  reassembly:
    depth: 0
app-layer:
  protocols:
    http:
      enabled: yes
      libhtp:
        default-config:
          personality: IDS
          request-body-limit: 100kb
          response-body-limit: 100kb
    http2:
      enabled: yes
pcap-file:
  checksum-checks: auto
unix-command:
  enabled: no
EOF

# timed NAME CMD...: runs CMD under /usr/bin/time -v, stdout discarded, stderr to $tmp/NAME.err.
timed() {
	local name=$1
	shift
	/usr/bin/time -v -o "$tmp/$name.time" "$@" >/dev/null 2>"$tmp/$name.err"
}

# metrics NAME: prints "elapsed_s cpu_s max_rss_kb" from NAME's /usr/bin/time -v report.
metrics() {
	awk -F': ' '
		/Elapsed \(wall clock\)/ { n = split($2, t, ":"); e = 0; for (i = 1; i <= n; i++) e = e * 60 + t[i] }
		/User time/ { cpu += $2 }
		/System time/ { cpu += $2 }
		/Maximum resident set size/ { rss = $2 }
		END { printf "%.3f %.2f %d\n", e, cpu, rss }' "$tmp/$1.time"
}

# suricata_exchanges EVE: HTTP/1 transactions and HTTP/2 streams other than stream 0.
suricata_exchanges() {
	local all stream0
	all=$(grep -c '"event_type":"http"' "$1" || true)
	stream0=$(grep -c '"http2":{"stream_id":0,' "$1" || true)
	echo $(( all - stream0 ))
}

# ratio A B: A/B with two decimals, or "-" when either is missing.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2fx", a / b }'
}

# row TOOL EXCHANGES: adds a row from TOOL's timing to bench's rows (dynamic scope: it
# also reads bench's bytes and packets) and sets row_mbs and row_xps.
row() {
	local tool=$1 exchanges=$2 elapsed cpu rss
	read -r elapsed cpu rss < <(metrics "$tool")
	row_mbs=$(awk -v b="$bytes" -v e="$elapsed" 'BEGIN {printf "%.1f", (e > 0 ? b / 1e6 / e : 0)}')
	row_xps=$(awk -v x="$exchanges" -v e="$elapsed" 'BEGIN {printf "%.0f", (e > 0 ? x / e : 0)}')
	rows+=("$(awk -v t="$tool" -v e="$elapsed" -v c="$cpu" -v m="$row_mbs" -v p="$packets" -v x="$exchanges" -v xs="$row_xps" -v r="$rss" \
		'BEGIN {printf "%-12s %9.2f %7.2f %8s %11.0f %10s %11s %8.1f", t, e, c, m, (e > 0 ? p / e : 0), x, xs, r / 1024}')")
}

summary=()
status=0

# bench PCAP: one pcap through every tool; prints its table and adds a line to $summary.
bench() {
	local pcap=$1 bytes packets rows=() name
	local sensor_mbs='' sensor_xps='' sensor1_mbs='' sensor1_xps='' suricata_mbs='' suricata_xps=''
	name=$(basename "$pcap" .pcap)
	bytes=$(stat -L -c %s "$pcap")
	packets=$(capinfos -M -c "$pcap" 2>/dev/null | awk -F': *' '/Number of packets/ {print $2}' || true)
	[[ -n $packets ]] || { log "capinfos cannot read $pcap"; status=1; return; }
	cat "$pcap" >/dev/null # warm the page cache for all runs

	if [[ -z $SENSOR ]]; then
		log "SENSOR not set: skipping the sensor"
	elif [[ ! -x $SENSOR ]]; then
		log "$SENSOR not built yet: skipping the sensor"
	else
		log "sensor: $SENSOR replay $pcap"
		if timed sensor "$SENSOR" replay --stats-json "$tmp/sensor-stats.json" "$pcap"; then
			row sensor "$(jq -r '.exchanges // "?"' "$tmp/sensor-stats.json")"
			sensor_mbs=$row_mbs sensor_xps=$row_xps
		else
			log "sensor failed; its stderr:"
			tail -20 "$tmp/sensor.err" >&2
		fi
		# The same on one core (GOMAXPROCS=1: reader and worker share it), the
		# like-for-like comparison with Suricata's --runmode single.
		log "sensor-1cpu: GOMAXPROCS=1 $SENSOR replay --workers 1 $pcap"
		if GOMAXPROCS=1 timed sensor-1cpu "$SENSOR" replay --workers 1 --stats-json "$tmp/sensor-1cpu-stats.json" "$pcap"; then
			row sensor-1cpu "$(jq -r '.exchanges // "?"' "$tmp/sensor-1cpu-stats.json")"
			sensor1_mbs=$row_mbs sensor1_xps=$row_xps
		else
			log "sensor-1cpu failed; its stderr:"
			tail -20 "$tmp/sensor-1cpu.err" >&2
		fi
	fi

	rm -rf "$tmp/suri-$name"
	mkdir -p "$tmp/suri-$name"
	log "suricata: $(suricata -V | sed 's/This is //') --runmode single --disable-detection $pcap"
	if timed suricata suricata --runmode single --disable-detection -c "$tmp/suricata.yaml" -l "$tmp/suri-$name" -r "$pcap"; then
		local x
		x=$(suricata_exchanges "$tmp/suri-$name/eve.json")
		row suricata "$x"
		suricata_mbs=$row_mbs suricata_xps=$row_xps
		if (( x == 0 )); then
			log "suricata logged no exchanges for $pcap"
			status=1
		fi
	else
		log "suricata failed; its stderr:"
		tail -20 "$tmp/suricata.err" >&2
		status=1
	fi

	printf '\n%s: %.1f MB, %d packets\n\n' "$pcap" "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')" "$packets"
	printf '%-12s %9s %7s %8s %11s %10s %11s %8s\n' tool elapsed_s cpu_s MB/s packets/s exchanges exchanges/s rss_MB
	printf '%s\n' "${rows[@]}"
	if [[ -n $sensor_mbs && -n $suricata_mbs ]]; then
		printf '\nsensor/suricata MB/s: %s\n' "$(ratio "$sensor_mbs" "$suricata_mbs")"
	fi
	if [[ -n $sensor1_mbs && -n $suricata_mbs ]]; then
		printf 'sensor on one core/suricata single MB/s: %s\n' "$(ratio "$sensor1_mbs" "$suricata_mbs")"
	fi
	printf '\n'
	summary+=("$(printf '%-14s %8.1f %8s %8s %8s %7s %7s %10s %10s %10s' "$name" "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')" \
		"${sensor_mbs:--}" "${sensor1_mbs:--}" "${suricata_mbs:--}" \
		"$(ratio "$sensor_mbs" "$suricata_mbs")" "$(ratio "$sensor1_mbs" "$suricata_mbs")" \
		"${sensor_xps:--}" "${sensor1_xps:--}" "${suricata_xps:--}")")
}

for pcap in "$@"; do
	bench "$pcap"
done

if (( $# > 1 )); then
	printf 'summary (MB/s and exchanges/s; ratio = sensor / suricata single thread)\n\n'
	printf '%-14s %8s %8s %8s %8s %7s %7s %10s %10s %10s\n' pcap MB sensor 1cpu suricata ratio 1cpu_r sensor_x/s 1cpu_x/s suri_x/s
	printf '%s\n' "${summary[@]}"
fi
exit "$status"
