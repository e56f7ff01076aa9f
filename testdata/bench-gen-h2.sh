#!/usr/bin/env bash
# bench-gen-h2.sh captures the HTTP/2 benchmark files that `make bench` replays through the
# sensor and Suricata, beside testdata/bench/http-bench.pcap (bench-gen.sh):
#   testdata/bench/h2c-bench.pcap   ~200 MB of prior-knowledge h2c JSON API traffic from h2load
#   testdata/bench/grpc-bench.pcap  ~200 MB of gRPC from testdata/grpcdemo/loadclient
#
# Two network namespaces joined by a veth pair keep all traffic off the host network:
#   apisensor-h2b-srv  10.96.0.1/24  testdata/grpcdemo/server (gRPC :50051, h2c :8080) + tcpdump
#   apisensor-h2b-cli  10.96.0.2/24  h2load / loadclient
# h2c: rounds of h2load runs, each with 20..50 connections and 10..100 concurrent streams:
# GETs cycling through generated URI lists (user lookups, searches, a static file, ~0.5% SQLi
# and XSS in queries) and POSTs of order bodies (-d), one of which carries SQLi in a field.
# gRPC: rounds of loadclient runs (20..50 connections, 4..16 calls in flight on each): unary
# GetUser, 5% streaming calls, 0.5% of calls with injection payloads in string fields.
# Rounds repeat until the capture passes TARGET_MB or MAX_SECONDS passes. Offloads are off on
# the veth so the capture holds wire-sized packets with valid checksums. If tcpdump reports
# kernel drops, the capture restarts at a lower request rate.
#
# Usage: bench-gen-h2.sh [h2c|grpc]...   (default: both; needs root, h2load, tcpdump, go)
# Idempotent: an existing capture larger than MIN_MB is kept.
# Environment: TARGET_MB (190), MIN_MB (150), MAX_SECONDS (420, per capture).
set -euo pipefail

cd "$(dirname "$0")/.."
TARGET_MB=${TARGET_MB:-190}
MIN_MB=${MIN_MB:-150}
MAX_SECONDS=${MAX_SECONDS:-420}
KINDS=("$@")
(( ${#KINDS[@]} )) || KINDS=(h2c grpc)

SRV_NS=apisensor-h2b-srv
CLI_NS=apisensor-h2b-cli
SRV_IF=vh2b-srv
CLI_IF=vh2b-cli
SRV_IP=10.96.0.1
CLI_IP=10.96.0.2
H2C_PORT=8080
GRPC_PORT=50051
BASE=http://$SRV_IP:$H2C_PORT

log() { printf 'bench-gen-h2: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
mib() { echo $(( $1 / 1024 / 1024 )); }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
out_of() { echo "testdata/bench/$1-bench.pcap"; }
big_enough() { [[ -f $1 ]] && (( $(size_of "$1") > MIN_MB * 1024 * 1024 )); }

report() {
	log "capture $1"
	capinfos -M -c -s -u -y "$1" | sed 's/^/  /' >&2
}

todo=()
for kind in "${KINDS[@]}"; do
	[[ $kind == h2c || $kind == grpc ]] || die "unknown capture $kind: want h2c or grpc"
	out=$(out_of "$kind")
	if big_enough "$out"; then
		log "keeping existing $out ($(mib "$(size_of "$out")") MiB)"
		report "$out"
	else
		todo+=("$kind")
	fi
done
(( ${#todo[@]} )) || exit 0

(( EUID == 0 )) || die "needs root for network namespaces and tcpdump"
. testdata/bench-lib.sh
need_tools h2load tcpdump capinfos ip go curl timeout ethtool || die "cannot install the tools it needs"

mkdir -p testdata/bench
work=$(mktemp -d)
tmp_pcap=
server_pid=
tcpdump_pid=

delete_namespaces() {
	ip netns del "$SRV_NS" 2>/dev/null || true
	ip netns del "$CLI_NS" 2>/dev/null || true
}

stop_pid() {
	[[ -n $1 ]] || return 0
	kill -"$2" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

cleanup() {
	stop_pid "$tcpdump_pid" INT
	stop_pid "$server_pid" TERM
	delete_namespaces
	rm -rf "$work"
	[[ -z $tmp_pcap ]] || rm -f "$tmp_pcap"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A run killed with SIGKILL leaves its namespaces behind.
delete_namespaces
ip netns add "$SRV_NS"
ip netns add "$CLI_NS"
ip link add "$SRV_IF" netns "$SRV_NS" type veth peer name "$CLI_IF" netns "$CLI_NS"
for pair in "$SRV_NS $SRV_IF $SRV_IP" "$CLI_NS $CLI_IF $CLI_IP"; do
	read -r ns dev addr <<<"$pair"
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$addr/24" dev "$dev"
	ip -n "$ns" link set "$dev" up
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1
	# Without this the capture holds 64 KB GSO super-packets with unfilled checksums.
	ip netns exec "$ns" ethtool -K "$dev" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
done

log "building the demo server and load client"
go build -o "$work/server" ./testdata/grpcdemo/server
go build -o "$work/loadclient" ./testdata/grpcdemo/loadclient
ip netns exec "$SRV_NS" nice -n 5 "$work/server" -grpc "$SRV_IP:$GRPC_PORT" -h2c "$SRV_IP:$H2C_PORT" 2>"$work/server.log" &
server_pid=$!
# Both listeners are open before either serves, so the h2c one answering means both are up.
for _ in $(seq 50); do
	ip netns exec "$CLI_NS" curl -fs --http2-prior-knowledge -o /dev/null "$BASE/api/ping" && break
	sleep 0.1
done
ip netns exec "$CLI_NS" curl -fs --http2-prior-knowledge -o /dev/null "$BASE/api/ping" ||
	die "demo server not ready: $(cat "$work/server.log")"

RANDOM=4242 # same URL lists and connection counts every run

# Order bodies of 150..700 bytes for POST /api/orders; order-7 carries SQLi in a field.
skus=(SKU-104233 SKU-220871 SKU-310045 SKU-498120 SKU-577301 SKU-603914 SKU-781150 SKU-902266)
cities=(Lyon Porto Leipzig Gdansk Tampere Ghent Bologna Brno)
for i in $(seq 0 7); do
	items=
	for j in $(seq 0 $(( i % 5 ))); do
		items+="${items:+,}{\"sku\":\"${skus[(i + j) % 8]}\",\"quantity\":$(( 1 + (i * j) % 4 )),\"price\":$(( 5 + i * 7 + j )).99}"
	done
	if (( i == 7 )); then
		note=",\"coupon_code\":\"x' OR '1'='1' --\""
	elif (( i % 2 )); then
		note=',"note":"Please leave the parcel with the neighbour at number 12 if nobody answers the door."'
	else
		note=
	fi
	printf '{"customer_id":%d,"currency":"EUR","items":[%s],"shipping_address":{"street":"%d Rue de la Republique","city":"%s","postcode":"%05d","country":"FR"}%s}' \
		$(( 1000 + i * 137 )) "$items" $(( 3 + i )) "${cities[i]}" $(( 69001 + i )) "$note" >"$work/order-$i.json"
done

# URI lists for the GET runs: h2load cycles through a list on every connection.
attacks=(
	"/api/search?q=%27%20OR%20%271%27%3D%271"
	"/api/search?q=1%27%20UNION%20SELECT%20username%2Cpassword%20FROM%20users--%20"
	"/api/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E"
	"/api/search?q=admin%27--"
	"/api/users/42?fields=id%2Cname%27%3B%20DROP%20TABLE%20users%3B--"
)
words=(lamp kettle keyboard backpack headphones notebook planter bicycle chess garden%20hose \
	usb-c%20cable running%20shoes coffee%20grinder desk%20chair wireless%20mouse yoga%20mat)
for k in $(seq 0 3); do
	for i in $(seq 0 999); do
		r=$(( RANDOM % 200 ))
		if (( r == 0 )); then
			echo "$BASE${attacks[RANDOM % ${#attacks[@]}]}"
		elif (( r < 110 )); then
			echo "$BASE/api/users/$(( 1 + (RANDOM * 32768 + RANDOM) % 500000 ))"
		elif (( r < 190 )); then
			echo "$BASE/api/search?q=${words[RANDOM % ${#words[@]}]}&page=$(( 1 + RANDOM % 8 ))"
		else
			echo "$BASE/static/logo-$(( RANDOM % 20 )).txt"
		fi
	done >"$work/uris-$k.txt"
done

rate=0 # h2c: requests/s per connection (h2load --rps); gRPC: calls/s in all; 0 = unlimited
sent=0

conns() { echo $(( 20 + RANDOM % 31 )); }

# h2load_run N ARGS...: one bounded h2load run from the client namespace.
h2load_run() {
	local n=$1 c m q=()
	shift
	c=$(conns)
	m=$(( 10 + RANDOM % 91 ))
	(( rate > 0 )) && q=(--rps "$rate")
	ip netns exec "$CLI_NS" nice -n 5 timeout -s INT 120 \
		h2load -n "$n" -c "$c" -m "$m" "${q[@]}" \
		-H "accept: application/json" -H "authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl" \
		"$@" >"$work/h2load.log" 2>&1 || log "h2load run ended early ($*): $(tail -3 "$work/h2load.log")"
	sent=$(( sent + $(awk '/^requests:/ {n = $8} END {print n + 0}' "$work/h2load.log") ))
}

h2c_round() {
	local i
	for i in $(seq 0 3); do
		h2load_run 24000 -i "$work/uris-$i.txt"
		if (( i % 2 )); then
			h2load_run 6000 -H "content-type: application/json" -d "$work/order-$(( RANDOM % 8 )).json" "$BASE/api/orders"
		fi
	done
}

grpc_round() {
	local q=()
	(( rate > 0 )) && q=(-rate "$rate")
	ip netns exec "$CLI_NS" nice -n 5 timeout -s INT 150 \
		"$work/loadclient" -addr "$SRV_IP:$GRPC_PORT" -conns "$(conns)" -streams $(( 4 + RANDOM % 13 )) \
		-calls 60000 -duration 90s -seed "$RANDOM" "${q[@]}" >"$work/loadclient.log" 2>&1 ||
		log "loadclient run ended early: $(tail -3 "$work/loadclient.log")"
	sent=$(( sent + $(awk '/^loadclient:/ {n = $2} END {print n + 0}' "$work/loadclient.log") ))
}

# drops asks tcpdump for its counters (SIGUSR1) and prints the kernel drop count.
drops() {
	kill -USR1 "$tcpdump_pid"
	sleep 0.2
	grep -o '[0-9]* packets dropped by kernel' "$work/tcpdump.log" | tail -1 | cut -d" " -f1 || true
}

# start_capture PORT
start_capture() {
	rm -f "$tmp_pcap"
	: >"$work/tcpdump.log"
	# -Z root: tcpdump would otherwise drop to a user that cannot write the output directory.
	# -B 262144 KiB: h2load's bursts overflow smaller buffers.
	ip netns exec "$SRV_NS" tcpdump -i "$SRV_IF" -n -s 0 -B 262144 -Z root -w "$tmp_pcap" \
		"tcp port $1" 2>"$work/tcpdump.log" &
	tcpdump_pid=$!
	for _ in $(seq 50); do
		grep -q 'listening on' "$work/tcpdump.log" && return 0
		sleep 0.1
	done
	die "tcpdump did not start: $(cat "$work/tcpdump.log")"
}

stop_capture() {
	# The last FIN/ACKs sit in a TPACKET block until its timeout: wait for them.
	sleep 1.5
	stop_pid "$tcpdump_pid" INT
	tcpdump_pid=
	grep -o '[0-9]* packets dropped by kernel' "$work/tcpdump.log" | tail -1 | cut -d" " -f1 || true
}

# capture KIND PORT: rounds of load until the target size or the deadline; 1 on drops.
capture() {
	local kind=$1 target=$(( TARGET_MB * 1024 * 1024 )) deadline=$(( SECONDS + MAX_SECONDS )) round=0 d
	start_capture "$2"
	while (( $(size_of "$tmp_pcap") < target && SECONDS < deadline )); do
		round=$(( round + 1 ))
		"${kind}_round"
		d=$(drops)
		log "$kind round $round: $(mib "$(size_of "$tmp_pcap")") MiB, $sent requests, ${d:-0} kernel drops"
		if (( ${d:-0} > 0 )); then
			stop_capture >/dev/null
			return 1
		fi
	done
	d=$(stop_capture)
	(( ${d:-0} == 0 )) || { log "tcpdump: $d packets dropped by kernel"; return 1; }
}

for kind in "${todo[@]}"; do
	out=$(out_of "$kind")
	tmp_pcap="$out.partial"
	start=$SECONDS
	if [[ $kind == h2c ]]; then
		port=$H2C_PORT rates=(0 150 80 40)
	else
		port=$GRPC_PORT rates=(0 5000 2500 1200)
	fi
	for rate in "${rates[@]}"; do
		sent=0
		log "capturing $kind to $tmp_pcap at rate $rate (0 = unlimited)"
		capture "$kind" "$port" && break
		log "kernel dropped packets; retrying at a lower rate"
		[[ $rate == "${rates[-1]}" ]] && die "drops even at rate $rate"
	done
	(( $(size_of "$tmp_pcap") >= MIN_MB * 1024 * 1024 )) ||
		die "only $(mib "$(size_of "$tmp_pcap")") MiB captured in ${MAX_SECONDS}s; raise MAX_SECONDS"
	mv "$tmp_pcap" "$out"
	tmp_pcap=
	log "$kind done in $(( SECONDS - start ))s: $sent requests sent, 0 kernel drops"
	report "$out"
done
