#!/usr/bin/env bash
# make-bot-captures.sh — regenerate the behavioural scenario captures in testdata/:
#   bots-stuffing.pcap     credential stuffing: one address, 60 usernames, one password
#   bots-distributed.pcap  distributed stuffing: 10 addresses, 8 usernames each
#   bots-brute.pcap        brute force: one username, 50 passwords
#   bots-enumeration.pcap  a valid token walking /api/users/1..400 (cut from 2000 to keep
#                          the file small; the threshold is 50)
#   bots-scanner.pcap      probe paths (/.env, /.git/config, /wp-admin/…) with sqlmap's UA
#   bots-monitor.pcap      benign: a monitor polling /health 60 times, every 10 s
#   bots-partner.pcap      benign: a partner integration, 500 calls with one API key over
#                          5 objects (cut from thousands to keep the file small)
#   bots-users.pcap        benign: 5 people, 1-2 failed logins then success, then browsing
#
# Two network namespaces joined by a veth pair; testdata/authapp/server runs in the server
# namespace, testdata/authapp/client in the client one, bound to one of the client
# namespace's addresses per simulated machine, and tcpdump captures in the server namespace
# around each scenario. Nothing leaves the namespaces.
#
# The clients pause a few milliseconds between requests; testdata/authapp/retime then
# stretches each capture's timestamps (packet order kept, first packet at a fixed time) so
# that the scenario spans minutes of capture time, as a real bot would, without waiting.
#
# Needs root, iproute2, tcpdump, go. Not run by CI: it documents how the captures were made
# and reproduces equivalent ones (ports, ISNs and jitter differ from run to run).
#
# Usage: sudo testdata/make-bot-captures.sh            (from anywhere in the repository)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=testdata

CLI_NS=sbot-cli
SRV_NS=sbot-srv
CLI_IF=sbot-c
SRV_IF=sbot-s
SRV4=10.98.0.2
PORT=8080
FILTER="tcp port $PORT"
START=2026-11-27T10:00:00Z

TMP=$(mktemp -d)
SERVER_PID=
TCPDUMP_PID=

cleanup() {
	set +e
	[[ -n $TCPDUMP_PID ]] && kill -INT "$TCPDUMP_PID" 2>/dev/null && wait "$TCPDUMP_PID" 2>/dev/null
	[[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
	ip netns del "$CLI_NS" 2>/dev/null
	ip netns del "$SRV_NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

in_cli() { ip netns exec "$CLI_NS" "$@"; }

setup_netns() {
	ip netns del "$CLI_NS" 2>/dev/null || true
	ip netns del "$SRV_NS" 2>/dev/null || true
	ip netns add "$CLI_NS"
	ip netns add "$SRV_NS"
	ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "$SRV_IF" netns "$SRV_NS"
	# One address per simulated client machine.
	for host in 10 11 12 13 14 15 16 $(seq 21 30) $(seq 41 45); do
		in_cli ip addr add "10.98.0.$host/24" dev "$CLI_IF"
	done
	ip netns exec "$SRV_NS" ip addr add "$SRV4/24" dev "$SRV_IF"
	for ns in "$CLI_NS" "$SRV_NS"; do
		ip netns exec "$ns" ip link set lo up
	done
	in_cli ip link set "$CLI_IF" up
	ip netns exec "$SRV_NS" ip link set "$SRV_IF" up
}

start_server() {
	go build -o "$TMP/server" ./testdata/authapp/server
	go build -o "$TMP/client" ./testdata/authapp/client
	go build -o "$TMP/retime" ./testdata/authapp/retime
	ip netns exec "$SRV_NS" "$TMP/server" -addr ":$PORT" >"$TMP/server.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 50); do
		if in_cli "$TMP/client" -addr "$SRV4:$PORT" -scenario monitor -n 1 -pause 0 2>/dev/null; then
			return
		fi
		sleep 0.1
	done
	echo "server did not come up:" >&2
	cat "$TMP/server.log" >&2
	exit 1
}

start_capture() {
	: >"$TMP/tcpdump.log"
	ip netns exec "$SRV_NS" tcpdump --immediate-mode -Z root -U -s 0 -w "$1" -i "$SRV_IF" "$FILTER" >"$TMP/tcpdump.log" 2>&1 &
	TCPDUMP_PID=$!
	for _ in $(seq 50); do
		if grep -q 'listening on' "$TMP/tcpdump.log"; then
			return
		fi
		sleep 0.1
	done
	echo "tcpdump did not start:" >&2
	cat "$TMP/tcpdump.log" >&2
	exit 1
}

stop_capture() {
	sleep 1
	kill -INT "$TCPDUMP_PID"
	wait "$TCPDUMP_PID" || true
	TCPDUMP_PID=
}

# client SRC ARGS...: one client run from address SRC, bounded in time.
client() {
	local src=$1
	shift
	in_cli timeout 120 "$TMP/client" -addr "$SRV4:$PORT" -src "10.98.0.$src" "$@" 2>>"$TMP/client.log"
}

# capture NAME FACTOR CMD...: capture while CMD runs, then retime ×FACTOR into testdata.
capture() {
	local name=$1 factor=$2
	shift 2
	echo "$name" >&2
	start_capture "$TMP/$name.raw.pcap"
	"$@"
	stop_capture
	"$TMP/retime" -factor "$factor" -start "$START" "$TMP/$name.raw.pcap" "$OUT/$name.pcap"
}

distributed() {
	local pids=() i=0
	for host in $(seq 21 30); do
		client "$host" -scenario distributed -offset $((i * 8)) -pause 20ms &
		pids+=($!)
		i=$((i + 1))
	done
	wait "${pids[@]}"
}

users() {
	local i=0
	for host in 41 42 43 44 45; do
		client "$host" -scenario user -user "person$i" -failures $((1 + i % 2)) -pause 200ms
		i=$((i + 1))
	done
}

setup_netns
start_server
capture bots-stuffing 400 client 11 -scenario stuffing -pause 5ms
capture bots-distributed 400 distributed
capture bots-brute 400 client 12 -scenario brute -pause 5ms
capture bots-enumeration 200 client 13 -scenario enumeration -n 400 -pause 2ms
capture bots-scanner 100 client 14 -scenario scanner -pause 50ms
capture bots-monitor 200 client 15 -scenario monitor -n 60 -pause 50ms
capture bots-partner 400 client 16 -scenario partner -n 500 -pause 5ms
capture bots-users 20 users
ls -l "$OUT"/bots-*.pcap
