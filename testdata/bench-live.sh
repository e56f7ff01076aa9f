#!/usr/bin/env bash
# bench-live.sh measures live capture: tcpreplay sends the benchmark capture onto one end
# of a veth pair at rising rates while `sensor run`, then Suricata 7 (af-packet), capture on
# the other end. Per rate and tool it prints the kernel's drops, the reassembly gaps and
# drops, the exchanges, and the CPU time (user+sys) per Gbit sent; then the highest rate
# each tool took without a kernel drop.
#
#   SENSOR=bin/sensor bash testdata/bench-live.sh          (make bench-live; needs root)
#
# Environment: PCAP (testdata/bench/http-bench.pcap, made by bench-gen.sh if missing),
# SENSOR (bin/sensor), RATES ("200 500 1000 top": tcpreplay --mbps, "top" is --topspeed),
# SENSOR_ARGS (extra flags for sensor run), RUN_TIMEOUT (120 s: bound of every run),
# TOOLS ("sensor suricata").
#
# All traffic stays in one network namespace made here (veth vlive-tx → vlive-rx) and
# removed at exit. The sensor runs with its defaults (every detector, one AF_PACKET socket,
# GOMAXPROCS workers); Suricata in workers mode with as many af-packet threads as cores,
# cluster_flow, TPACKET_V3, no rules, EVE http logging, as bench-run.sh runs it. Both share
# the machine with tcpreplay, which at --topspeed takes a core of its own.
set -euo pipefail

cd "$(dirname "$0")/.."
PCAP=${PCAP:-testdata/bench/http-bench.pcap}
SENSOR=${SENSOR:-bin/sensor}
RATES=${RATES:-200 500 1000 top}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
TOOLS=${TOOLS:-sensor suricata}
SENSOR_ARGS=${SENSOR_ARGS:-}
NS=apisensor-live-bench
TX=vlive-tx
RX=vlive-rx

log() { printf 'bench-live: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

(( EUID == 0 )) || die "needs root (network namespace, AF_PACKET)"
for tool in ip tcpreplay jq timeout /usr/bin/time; do
	command -v "$tool" >/dev/null || die "missing $tool"
done
[[ -x $SENSOR ]] || die "$SENSOR not built (make build)"
[[ -f $PCAP ]] || bash testdata/bench-gen.sh
bytes=$(stat -L -c %s "$PCAP")

tmp=$(mktemp -d)
pids=()
cleanup() {
	set +e
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	if [[ ${KEEP:-} == 1 ]]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

ip netns del "$NS" 2>/dev/null || true
ip netns add "$NS"
ip -n "$NS" link set lo up
ip -n "$NS" link add "$TX" type veth peer name "$RX"
ip -n "$NS" link set "$TX" up
ip -n "$NS" link set "$RX" up
cat "$PCAP" >/dev/null # warm the page cache

cores=$(nproc)
cat >"$tmp/suricata.yaml" <<EOF
%YAML 1.1
---
vars:
  address-groups:
    HOME_NET: "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]"
    EXTERNAL_NET: "!\$HOME_NET"
  port-groups:
    HTTP_PORTS: "80,8080"
af-packet:
  - interface: $RX
    threads: $cores
    cluster-id: 98
    cluster-type: cluster_flow
    defrag: yes
    tpacket-v3: yes
    use-mmap: yes
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - http:
            extended: yes
  - stats:
      enabled: yes
      filename: stats.log
      totals: yes
      threads: no
stats:
  enabled: yes
  interval: 1
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
unix-command:
  enabled: no
EOF

# wait_for FILE TEXT: until FILE contains TEXT, at most 60 s.
wait_for() {
	local i
	for i in $(seq 600); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# stop_ns SIG: signals the processes in the namespace (only the capturing tool runs there
# between two tcpreplay runs).
stop_ns() {
	local p
	for p in $(ip netns pids "$NS"); do kill -"$1" "$p" 2>/dev/null || true; done
}

# send RATE: tcpreplay the capture onto $TX; prints the Mbit/s tcpreplay reports.
send() {
	local speed=(--mbps "$1")
	[[ $1 == top ]] && speed=(--topspeed)
	ip netns exec "$NS" timeout "$RUN_TIMEOUT" tcpreplay -q "${speed[@]}" -i "$TX" "$PCAP" >"$tmp/tcpreplay.out" 2>&1 ||
		{ log "tcpreplay failed:"; cat "$tmp/tcpreplay.out" >&2; return 1; }
	awk '/Rated:/ {for (i = 1; i <= NF; i++) if ($i ~ /^Mbps/) print $(i - 1)}' "$tmp/tcpreplay.out" | head -1
}

# cpu_per_gbit TIMEFILE: (user+sys) seconds per Gbit of the capture.
cpu_per_gbit() {
	awk -v b="$bytes" '{c = $1 + $2} END {printf "%.2f", c / (b * 8 / 1e9)}' "$1"
}

rows=()
declare -A best

run_sensor() {
	local rate=$1 out=$tmp/sensor-$1
	mkdir -p "$out"
	/usr/bin/time -f '%U %S' -o "$out/time" timeout -s INT "$RUN_TIMEOUT" ip netns exec "$NS" \
		"$SENSOR" run -i "$RX" --quiet --stats-json "$out/stats.json" $SENSOR_ARGS >/dev/null 2>"$out/err" &
	local pid=$!
	pids+=("$pid")
	wait_for "$out/err" "msg=capturing" || { log "sensor did not start:"; cat "$out/err" >&2; return 1; }
	local mbps
	mbps=$(send "$rate")
	# The sensor is the only process in the namespace now: it drains its ring and
	# reports. time, outside, counts its CPU once it has exited.
	stop_ns TERM
	wait "$pid" || true
	[[ -s $out/stats.json ]] || { log "sensor wrote no report:"; cat "$out/err" >&2; return 1; }
	local kdrops kpkts gaps gapb rdrops x
	kdrops=$(jq '.counters["capture.kernel_drops"] // 0' "$out/stats.json")
	kpkts=$(jq '.counters["capture.kernel_packets"] // 0' "$out/stats.json")
	gaps=$(jq '.anomalies["tcp.gap"] // 0' "$out/stats.json")
	gapb=$(jq '.anomalies["tcp.gap_bytes"] // 0' "$out/stats.json")
	rdrops=$(jq '[.drops | to_entries[] | select(.key != "kernel_drops") | .value] | add // 0' "$out/stats.json")
	x=$(jq '.exchanges' "$out/stats.json")
	rows+=("$(printf '%-9s %6s %9s %10s %11s %8s %10s %10s %10s' sensor "$rate" "$mbps" "$kpkts" "$kdrops" "$gaps" "$gapb" "$rdrops" "$x") $(cpu_per_gbit "$out/time")")
	(( kdrops == 0 )) && best[sensor]="$rate ($mbps Mbit/s)"
	return 0
}

# suricata_stat FILE NAME: the last total of a counter in stats.log.
suricata_stat() {
	awk -F'|' -v n="$2" '{gsub(/ /, "", $1); gsub(/ /, "", $3)} $1 == n {v = $3} END {print v + 0}' "$1"
}

run_suricata() {
	local rate=$1 out=$tmp/suricata-$1
	mkdir -p "$out"
	/usr/bin/time -f '%U %S' -o "$out/time" timeout -s INT "$RUN_TIMEOUT" ip netns exec "$NS" \
		suricata --runmode workers --af-packet="$RX" -c "$tmp/suricata.yaml" -l "$out" >"$out/console" 2>&1 &
	local pid=$!
	pids+=("$pid")
	wait_for "$out/console" "Engine started" || { log "suricata did not start:"; cat "$out/console" >&2; return 1; }
	local mbps
	mbps=$(send "$rate")
	# Let the last stats interval pass so stats.log holds the totals, then stop.
	sleep 2
	stop_ns INT
	wait "$pid" || true
	local kdrops kpkts gaps x
	kdrops=$(suricata_stat "$out/stats.log" capture.kernel_drops)
	kpkts=$(suricata_stat "$out/stats.log" capture.kernel_packets)
	gaps=$(suricata_stat "$out/stats.log" tcp.reassembly_gap)
	x=$(grep -c '"event_type":"http"' "$out/eve.json" 2>/dev/null || true)
	rows+=("$(printf '%-9s %6s %9s %10s %11s %8s %10s %10s %10s' suricata "$rate" "$mbps" "$kpkts" "$kdrops" "$gaps" - - "$x") $(cpu_per_gbit "$out/time")")
	(( kdrops == 0 )) && best[suricata]="$rate ($mbps Mbit/s)"
	return 0
}

log "$(basename "$PCAP"): $((bytes / 1000000)) MB; rates: $RATES; tools: $TOOLS"
for rate in $RATES; do
	for tool in $TOOLS; do
		log "$tool at $rate"
		"run_$tool" "$rate" || log "$tool at $rate: no result"
	done
done

printf '\n%-9s %6s %9s %10s %11s %8s %10s %10s %10s %s\n' tool rate sent_Mbps kern_pkts kern_drops tcp_gaps gap_bytes other_drops exchanges cpu_s/Gbit
printf '%s\n' "${rows[@]}"
printf '\nhighest rate without kernel drops:\n'
for tool in $TOOLS; do
	printf '  %-9s %s\n' "$tool" "${best[$tool]:-none}"
done
