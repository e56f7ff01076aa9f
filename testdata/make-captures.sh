#!/usr/bin/env bash
# make-captures.sh — regenerate the real-client captures in testdata/:
#   http-curl.pcap, http-hey.pcapng, http-gonet.pcap.gz, http-any-sll.pcap, http-any-sll2.pcap
#
# VLAN-tagged captures are not made here: the kernels this ran on had neither 8021q nor
# bridge VLAN filtering, so testdata/gencaps writes vlan-8021q.pcap and vlan-qinq.pcap.
#
# Two network namespaces joined by a veth pair; testdata/apiserver runs in the server
# namespace, curl / hey / testdata/apiclient in the client one, and tcpdump captures in the
# server namespace around each scenario. Nothing leaves the namespaces.
#
# Needs root, iproute2, tcpdump, editcap (wireshark-common), curl, hey, go.
# Not run by CI: it documents how the captures were made and reproduces equivalent ones
# (same exchanges; timestamps, ports and ISNs differ from run to run).
#
# Usage: sudo testdata/make-captures.sh            (from anywhere in the repository)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=testdata

CLI_NS=sns-cli
SRV_NS=sns-srv
CLI_IF=sns-c
SRV_IF=sns-s
CLI4=10.99.0.1
SRV4=10.99.0.2
CLI6=fd99::1
SRV6=fd99::2
PORT=8080
FILTER="tcp port $PORT"

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
in_srv() { ip netns exec "$SRV_NS" "$@"; }

# curl in the client namespace; prints "status method url" per transfer on stderr,
# discards bodies. Every call is bounded by --max-time.
c() { in_cli curl -sS --max-time 5 -w '%{stderr}  %{http_code} %{method} %{url_effective}\n' "$@" >/dev/null; }

setup_netns() {
	# A previous run killed hard may have left these behind: start clean.
	ip netns del "$CLI_NS" 2>/dev/null || true
	ip netns del "$SRV_NS" 2>/dev/null || true
	ip netns add "$CLI_NS"
	ip netns add "$SRV_NS"
	ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "$SRV_IF" netns "$SRV_NS"
	in_cli ip addr add "$CLI4/24" dev "$CLI_IF"
	in_srv ip addr add "$SRV4/24" dev "$SRV_IF"
	in_cli ip addr add "$CLI6/64" dev "$CLI_IF" nodad
	in_srv ip addr add "$SRV6/64" dev "$SRV_IF" nodad
	for ns in "$CLI_NS" "$SRV_NS"; do
		ip netns exec "$ns" ip link set lo up
	done
	in_cli ip link set "$CLI_IF" up
	in_srv ip link set "$SRV_IF" up
}

start_server() {
	go build -o "$TMP/apiserver" ./testdata/apiserver
	go build -o "$TMP/apiclient" ./testdata/apiclient
	# Started with ip netns exec directly, not through in_srv: a function would run in a
	# subshell and $! would name that subshell instead of the server.
	ip netns exec "$SRV_NS" "$TMP/apiserver" -addr ":$PORT" >"$TMP/server.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 50); do
		if in_cli curl -s --max-time 1 -o /dev/null "http://$SRV4:$PORT/api/ping"; then
			return
		fi
		sleep 0.1
	done
	echo "apiserver did not come up:" >&2
	cat "$TMP/server.log" >&2
	exit 1
}

# start_capture FILE TCPDUMP-ARGS...: capture in the server namespace until stop_capture.
start_capture() {
	local file=$1
	shift
	: >"$TMP/tcpdump.log"
	# -U: write each packet at once, so SIGINT loses nothing; -Z root: tcpdump must be able
	# to write into $TMP after dropping privileges. ip netns exec replaces itself with
	# tcpdump, so $! is tcpdump's pid and the SIGINT in stop_capture reaches it.
	# --immediate-mode: otherwise packets still in an unfinished TPACKET_V3 block are lost
	# at SIGINT.
	ip netns exec "$SRV_NS" tcpdump --immediate-mode -Z root -U -s 0 -w "$file" "$@" "$FILTER" >"$TMP/tcpdump.log" 2>&1 &
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
	# Let the last FIN/ACKs arrive before stopping.
	sleep 1
	kill -INT "$TCPDUMP_PID"
	wait "$TCPDUMP_PID" || true
	TCPDUMP_PID=
	grep -h 'packets captured' "$TMP/tcpdump.log" >&2 || true
}

scenario_curl() {
	local u="http://$SRV4:$PORT"
	echo "http-curl.pcap" >&2
	head -c 2048 /dev/zero | tr '\0' 'a' >"$TMP/body-2k.txt"
	printf 'id,name\n1,alpha\n2,beta\n' >"$TMP/report.csv"
	start_capture "$TMP/http-curl.pcap" -i "$SRV_IF"

	# Keep-alive: three URLs, one connection.
	c "$u/api/users/1" "$u/api/users/2" "$u/api/users/3"
	c "$u/api/search?q=widgets"
	c -H 'Content-Type: application/json' -d '{"item":"book","qty":1}' "$u/api/orders"
	c -d 'username=alice&password=s3cret' "$u/api/login"
	c -F 'description=quarterly report' -F "file=@$TMP/report.csv;type=text/csv" "$u/api/upload"
	c --compressed "$u/static/big"
	c -I "$u/api/users/1"
	c "$u/api/ping"
	c -X DELETE "$u/api/sessions/abc"
	c "$u/api/config"
	c -H 'If-None-Match: "v1-3f2a"' "$u/api/config"
	c "$u/api/stream"
	c -H 'Expect: 100-continue' -H 'Content-Type: text/plain' --data-binary "@$TMP/body-2k.txt" "$u/api/echo"
	c -g "http://[$SRV6]:$PORT/api/users/6"
	c "$u/nope"

	# Attacks.
	c "$u/api/search?q=1%27%20OR%20%271%27%3D%271"
	c -H 'Content-Type: application/json' -d "{\"username\":\"admin' --\",\"password\":\"x\"}" "$u/api/login"
	c -d 'username=admin%27%20OR%201%3D1--&password=x' "$u/api/login"
	c "$u/api/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
	c -H 'Referer: http://evil.example/<script>alert(1)</script>' -H 'X-Custom: <img src=x onerror=alert(1)>' "$u/api/users/1"
	c "$u/api/search?q=1%2527%20OR%20%25271%2527%3D%25271"

	stop_capture
	mv "$TMP/http-curl.pcap" "$OUT/http-curl.pcap"
}

# hey_summary keeps only hey's status and error counts, on stderr.
hey_summary() { sed -n '/Status code distribution/,$p' | grep -E '^ +\[|responses|Error' >&2 || true; }

scenario_hey() {
	local u="http://$SRV4:$PORT"
	echo "http-hey.pcapng" >&2
	start_capture "$TMP/http-hey.pcap" -i "$SRV_IF"
	in_cli timeout 30 hey -n 200 -c 4 -t 5 "$u/api/users/1" | hey_summary
	in_cli timeout 30 hey -n 20 -c 2 -t 5 -m POST -T application/json -d '{"item":"pen","qty":3}' "$u/api/orders" | hey_summary
	stop_capture
	editcap -F pcapng "$TMP/http-hey.pcap" "$OUT/http-hey.pcapng"
}

scenario_gonet() {
	echo "http-gonet.pcap.gz" >&2
	start_capture "$TMP/http-gonet.pcap" -i "$SRV_IF"
	in_cli timeout 60 "$TMP/apiclient" -addr "$SRV4:$PORT" >&2
	stop_capture
	# -n: no name or mtime in the gzip header, so equal captures give equal files.
	gzip -n -9 -c "$TMP/http-gonet.pcap" >"$OUT/http-gonet.pcap.gz"
}

# scenario_any LINKTYPE FILE: capture on the "any" pseudo-interface, which records Linux
# cooked headers (SLL or SLL2) instead of Ethernet.
scenario_any() {
	local linktype=$1 file=$2 u="http://$SRV4:$PORT"
	echo "$file" >&2
	start_capture "$TMP/$file" -i any -y "$linktype"
	c "$u/api/users/7" "$u/api/users/8"
	c -H 'Content-Type: application/json' -d '{"item":"lamp","qty":1}' "$u/api/orders"
	c "$u/api/search?q=1%27%20OR%20%271%27%3D%271"
	c -g "http://[$SRV6]:$PORT/api/users/9"
	stop_capture
	mv "$TMP/$file" "$OUT/$file"
}

setup_netns
start_server
scenario_curl
scenario_hey
scenario_gonet
scenario_any LINUX_SLL http-any-sll.pcap
# tcpdump -L prints its list on stderr. Not "| grep -q": under pipefail, grep quitting early
# can fail the pipeline through SIGPIPE.
if [[ $(in_srv tcpdump -i any -L 2>&1) == *LINUX_SLL2* ]]; then
	scenario_any LINUX_SLL2 http-any-sll2.pcap
else
	echo "tcpdump cannot capture LINUX_SLL2 here; skipping http-any-sll2.pcap (gencaps writes linktype-sll2.pcap)" >&2
fi
ls -l "$OUT"/http-*
