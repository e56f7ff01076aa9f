#!/usr/bin/env bash
# bench-gen.sh captures testdata/bench/http-bench.pcap: ~350 MB of keep-alive HTTP/1.1 JSON
# API traffic that `make bench` replays through the sensor and Suricata.
#
# Two network namespaces joined by a veth pair keep all traffic off the host network:
#   apisensor-bench-srv  10.98.0.1/24  testdata/benchserver (Go JSON API) + tcpdump
#   apisensor-bench-cli  10.98.0.2/24  hey (load generator), one URL per run
# Rounds of hey runs (user lookups, searches, order POSTs, ~0.5% SQLi/XSS probes) repeat
# until the capture reaches TARGET_MB or MAX_SECONDS passes. Offloads are off on the veth so
# the capture holds wire-sized packets with valid checksums. If tcpdump reports kernel drops
# the capture restarts at a lower request rate.
#
# Idempotent: an existing capture larger than MIN_MB is kept. Needs root.
# Environment: CLIENT (hey or benchclient), OUT, TARGET_MB (350; 200 with benchclient),
# MIN_MB (300; 150), MAX_SECONDS (480).
#
# CLIENT=benchclient makes testdata/bench/http-diverse.pcap instead: the same server and
# endpoints, loaded by testdata/benchclient, which draws every id, search term, request id,
# name, address and note afresh for each request and rotates client identities (tokens, user
# agents). hey repeats one request per run, so http-bench.pcap holds a few dozen distinct
# parameter values and a detector that remembers clean values runs almost for free on it;
# the diverse capture measures detection on values the sensor has not seen before.
set -euo pipefail

cd "$(dirname "$0")/.."
CLIENT=${CLIENT:-hey}
case $CLIENT in
hey)
	OUT=${OUT:-testdata/bench/http-bench.pcap}
	TARGET_MB=${TARGET_MB:-350}
	MIN_MB=${MIN_MB:-300}
	;;
benchclient)
	OUT=${OUT:-testdata/bench/http-diverse.pcap}
	TARGET_MB=${TARGET_MB:-200}
	MIN_MB=${MIN_MB:-150}
	;;
*)
	printf 'bench-gen: CLIENT must be hey or benchclient, not %s\n' "$CLIENT" >&2
	exit 2
	;;
esac
MAX_SECONDS=${MAX_SECONDS:-480}

SRV_NS=apisensor-bench-srv
CLI_NS=apisensor-bench-cli
SRV_IF=vbench-srv
CLI_IF=vbench-cli
SRV_IP=10.98.0.1
CLI_IP=10.98.0.2
PORT=8080
BASE=http://$SRV_IP:$PORT

log() { printf 'bench-gen: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
mib() { echo $(( $1 / 1024 / 1024 )); }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

report() {
	log "capture $1"
	capinfos -M -c -s -u -y "$1" | sed 's/^/  /' >&2
}

if [[ -f $OUT ]] && (( $(size_of "$OUT") > MIN_MB * 1024 * 1024 )); then
	log "keeping existing capture ($(mib "$(size_of "$OUT")") MiB)"
	report "$OUT"
	exit 0
fi

(( EUID == 0 )) || die "needs root for network namespaces and tcpdump"
. testdata/bench-lib.sh
need_tools $([[ $CLIENT == hey ]] && echo hey) tcpdump capinfos ip go curl timeout ethtool || die "cannot install the tools it needs"

mkdir -p "$(dirname "$OUT")"
work=$(mktemp -d)
tmp_pcap="$OUT.partial"
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
	rm -rf "$work" "$tmp_pcap"
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

log "building benchserver"
go build -o "$work/benchserver" ./testdata/benchserver
[[ $CLIENT == benchclient ]] && go build -o "$work/benchclient" ./testdata/benchclient
ip netns exec "$SRV_NS" nice -n 5 "$work/benchserver" -addr "$SRV_IP:$PORT" 2>"$work/server.log" &
server_pid=$!
for _ in $(seq 50); do
	ip netns exec "$CLI_NS" curl -fs -o /dev/null "$BASE/healthz" && break
	sleep 0.1
done
ip netns exec "$CLI_NS" curl -fs -o /dev/null "$BASE/healthz" || die "benchserver not ready: $(cat "$work/server.log")"

# Order bodies of 300..800 bytes, the shape POST /api/v1/orders expects.
skus=(SKU-104233 SKU-220871 SKU-310045 SKU-498120 SKU-577301 SKU-603914 SKU-781150 SKU-902266)
cities=(Lyon Porto Leipzig Gdansk Tampere Ghent Bologna Brno)
for i in $(seq 0 7); do
	items=
	for j in $(seq 0 $(( i % 5 ))); do
		items+="${items:+,}{\"sku\":\"${skus[(i + j) % 8]}\",\"quantity\":$(( 1 + (i * j) % 4 )),\"price\":$(( 5 + i * 7 + j )).99}"
	done
	note=
	(( i % 2 )) && note=',"note":"Please leave the parcel with the neighbour at number 12 if nobody answers the door.","coupon_code":"SPRING-2025"'
	printf '{"customer_id":%d,"currency":"EUR","items":[%s],"shipping_address":{"street":"%d Rue de la Republique","city":"%s","postcode":"%05d","country":"FR"}%s}' \
		$(( 1000 + i * 137 )) "$items" $(( 3 + i )) "${cities[i]}" $(( 69001 + i )) "$note" >"$work/order-$i.json"
done

# Requests carrying SQLi/XSS in query parameters, so detectors have something to find.
attacks=(
	"/api/v1/search?q=%27%20OR%20%271%27%3D%271&page=1"
	"/api/v1/search?q=1%27%20UNION%20SELECT%20username%2Cpassword%20FROM%20users--%20&page=1"
	"/api/v1/search?q=%3Cscript%3Ealert(document.cookie)%3C%2Fscript%3E&page=1"
	"/api/v1/search?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&page=2"
	"/api/v1/users/42?fields=id%2Cname%27%3B%20DROP%20TABLE%20users%3B--"
	"/api/v1/search?q=admin%27--&page=1&sort=price%20AND%20SLEEP(5)"
)
words=(lamp kettle keyboard backpack headphones notebook planter bicycle chess garden%20hose \
	usb-c%20cable running%20shoes coffee%20grinder desk%20chair "wireless%20mouse" yoga%20mat)

rate=0 # total requests/s across workers; 0 = unlimited
sent=0

# hey_run N C URL [hey options...]: one bounded hey run from the client namespace.
# hey ignores -n when given -z, so `timeout` bounds the time instead.
hey_run() {
	local n=$1 c=$2 url=$3
	shift 3
	local q=()
	(( rate > 0 )) && q=(-q $(( (rate + c - 1) / c )))
	ip netns exec "$CLI_NS" nice -n 5 timeout -s INT 60 \
		hey -n "$n" -c "$c" "${q[@]}" -t 10 \
		-H "Accept: application/json" -H "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCIsImlhdCI6MTcwMDAwMDAwMH0.c2lnbmF0dXJl" \
		"$@" "$BASE$url" >>"$work/hey.log" 2>&1 || log "hey run ended early: $url"
	sent=$(( sent + n / c * c )) # each hey worker sends n/c requests
}

conns() { echo $(( 20 + RANDOM % 31 )); }

# diverse_run N SEED: one bounded benchclient run (a fresh value in every parameter).
diverse_run() {
	local n=$1 seed=$2 c
	c=$(conns)
	ip netns exec "$CLI_NS" nice -n 5 timeout -s INT 120 \
		"$work/benchclient" -base "$BASE" -n "$n" -c "$c" -rate "$rate" -seed "$seed" -duration 100s \
		>>"$work/benchclient.log" 2>&1 || log "benchclient run ended early (seed $seed): $(tail -1 "$work/benchclient.log")"
	log "benchclient: $(tail -1 "$work/benchclient.log")"
	sent=$(( sent + n ))
}

# drops asks tcpdump for its counters (SIGUSR1) and prints the kernel drop count.
drops() {
	kill -USR1 "$tcpdump_pid"
	sleep 0.2
	grep -o '[0-9]* packets dropped by kernel' "$work/tcpdump.log" | tail -1 | cut -d" " -f1 || true
}

start_capture() {
	rm -f "$tmp_pcap"
	: >"$work/tcpdump.log"
	# -Z root: tcpdump would otherwise drop to a user that cannot write the output directory.
	ip netns exec "$SRV_NS" tcpdump -i "$SRV_IF" -n -s 0 -B 262144 -Z root -w "$tmp_pcap" \
		"tcp port $PORT" 2>"$work/tcpdump.log" &
	tcpdump_pid=$!
	for _ in $(seq 50); do
		grep -q 'listening on' "$work/tcpdump.log" && return 0
		sleep 0.1
	done
	die "tcpdump did not start: $(cat "$work/tcpdump.log")"
}

stop_capture() {
	stop_pid "$tcpdump_pid" INT
	tcpdump_pid=
	grep -o '[0-9]* packets dropped by kernel' "$work/tcpdump.log" | tail -1 | cut -d" " -f1 || true
}

# capture runs rounds of load until the target size or the deadline; it returns 1 on drops.
capture() {
	local target=$(( TARGET_MB * 1024 * 1024 )) deadline=$(( SECONDS + MAX_SECONDS )) round=0 i d
	start_capture
	while (( $(size_of "$tmp_pcap") < target && SECONDS < deadline )); do
		round=$(( round + 1 ))
		if [[ $CLIENT == benchclient ]]; then
			# benchclient mixes users, searches, orders and ~0.5% probes itself.
			diverse_run 30000 "$round"
		else
			for i in $(seq 8); do
				# ids up to 520000: past 500000 and every 13th id answer 404.
				hey_run 2000 "$(conns)" "/api/v1/users/$(( 1 + (RANDOM * 32768 + RANDOM) % 520000 ))"
				if (( i % 2 )); then
					hey_run 2000 "$(conns)" "/api/v1/search?q=${words[RANDOM % ${#words[@]}]}&page=$(( 1 + RANDOM % 8 ))"
				else
					hey_run 2000 "$(conns)" "/api/v1/search?q=${words[RANDOM % ${#words[@]}]}&page=$(( 1 + RANDOM % 8 ))" -disable-compression
				fi
				if (( i % 3 == 0 )); then
					hey_run 2000 "$(conns)" /api/v1/orders -m POST -T application/json -D "$work/order-$(( RANDOM % 8 )).json"
				fi
				(( $(size_of "$tmp_pcap") < target && SECONDS < deadline )) || break
			done
			# ~0.5% of the round's ~36000 requests.
			hey_run 90 20 "${attacks[RANDOM % ${#attacks[@]}]}"
			hey_run 90 20 "${attacks[RANDOM % ${#attacks[@]}]}"
		fi
		d=$(drops)
		log "round $round: $(mib "$(size_of "$tmp_pcap")") MiB, $sent requests, ${d:-0} kernel drops"
		if (( ${d:-0} > 0 )); then
			stop_capture >/dev/null
			return 1
		fi
	done
	d=$(stop_capture)
	(( ${d:-0} == 0 )) || { log "tcpdump: $d packets dropped by kernel"; return 1; }
}

start=$SECONDS
RANDOM=4242 # same URL sequence every run
for rate in 0 8000 4000 2000; do
	sent=0
	log "capturing to $tmp_pcap at rate ${rate} req/s (0 = unlimited)"
	capture && break
	log "kernel dropped packets; retrying at a lower rate"
	[[ $rate == 2000 ]] && die "drops even at $rate req/s"
done
(( $(size_of "$tmp_pcap") >= MIN_MB * 1024 * 1024 )) ||
	die "only $(mib "$(size_of "$tmp_pcap")") MiB captured in ${MAX_SECONDS}s; raise MAX_SECONDS"
mv "$tmp_pcap" "$OUT"
log "done in $(( SECONDS - start ))s: $sent requests sent, 0 kernel drops"
report "$OUT"
