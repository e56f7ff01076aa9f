#!/usr/bin/env bash
# make-h2-captures.sh — regenerate the HTTP/2 and gRPC captures in testdata/:
#   grpc-unary.pcap, grpc-streams.pcap, grpc-injection.pcap, grpc-midstream.pcap,
#   grpc-web.pcap, h2c-curl.pcap, h2c-upgrade.pcap, h2c-nghttp.pcap, h2c-h2load.pcap
# and, from testdata/grpcdemo/demo.proto, the generated Go code and demo.pb.
#
# Two network namespaces joined by a veth pair; testdata/grpcdemo/server runs in the server
# namespace (gRPC on 50051, h2c JSON API and grpc-web on 8080), testdata/grpcdemo/client,
# curl, nghttp and h2load in the client one, and tcpdump captures in the server namespace
# around each scenario. Nothing leaves the namespaces. Addresses differ from
# make-captures.sh (10.97.0.0/24, own namespace names) so both can run at once.
#
# Needs root, iproute2, tcpdump, tshark (to cut grpc-midstream.pcap), curl with HTTP/2,
# nghttp2-client (nghttp, h2load), protoc, go. Not run by CI: it documents how the captures
# were made and reproduces equivalent ones (same calls and messages; timestamps, ports, ISNs,
# grpc-timeout values and the grpc-go user-agent differ from run to run).
#
# Usage: sudo testdata/make-h2-captures.sh            (from anywhere in the repository)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=testdata

CLI_NS=h2c-cli
SRV_NS=h2c-srv
CLI_IF=h2c-c
SRV_IF=h2c-s
CLI4=10.97.0.1
SRV4=10.97.0.2
GRPC_PORT=50051
H2C_PORT=8080

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

# curl in the client namespace; prints "status method url http-version" per transfer on
# stderr, discards bodies. Every call is bounded by --max-time.
c() { in_cli curl -sS --max-time 5 -w '%{stderr}  %{http_code} %{method} %{url_effective} HTTP/%{http_version}\n' "$@" >/dev/null; }

# grpc runs one client scenario (one gRPC connection), bounded in time.
grpc() { in_cli timeout 60 "$TMP/client" -addr "$SRV4:$GRPC_PORT" -scenario "$1" >&2; }

generate() {
	# Same commands as the //go:generate lines in testdata/grpcdemo/generate.go.
	go generate ./testdata/grpcdemo
}

setup_netns() {
	# A previous run killed hard may have left these behind: start clean.
	ip netns del "$CLI_NS" 2>/dev/null || true
	ip netns del "$SRV_NS" 2>/dev/null || true
	ip netns add "$CLI_NS"
	ip netns add "$SRV_NS"
	ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "$SRV_IF" netns "$SRV_NS"
	in_cli ip addr add "$CLI4/24" dev "$CLI_IF"
	in_srv ip addr add "$SRV4/24" dev "$SRV_IF"
	for ns in "$CLI_NS" "$SRV_NS"; do
		ip netns exec "$ns" ip link set lo up
	done
	in_cli ip link set "$CLI_IF" up
	in_srv ip link set "$SRV_IF" up
}

start_server() {
	go build -o "$TMP/server" ./testdata/grpcdemo/server
	go build -o "$TMP/client" ./testdata/grpcdemo/client
	# Started with ip netns exec directly, not through in_srv: a function would run in a
	# subshell and $! would name that subshell instead of the server.
	ip netns exec "$SRV_NS" "$TMP/server" -grpc ":$GRPC_PORT" -h2c ":$H2C_PORT" >"$TMP/server.log" 2>&1 &
	SERVER_PID=$!
	# Both listeners are open before either serves, so one answering means both are up.
	for _ in $(seq 50); do
		if in_cli curl -s --max-time 1 -o /dev/null "http://$SRV4:$H2C_PORT/api/ping"; then
			return
		fi
		sleep 0.1
	done
	echo "server did not come up:" >&2
	cat "$TMP/server.log" >&2
	exit 1
}

# start_capture FILE PORT: capture the server's traffic on PORT until stop_capture.
start_capture() {
	local file=$1 port=$2
	: >"$TMP/tcpdump.log"
	# -U: write each packet at once, so SIGINT loses nothing; -Z root: tcpdump must be able
	# to write into $TMP after dropping privileges; --immediate-mode: packets still in an
	# unfinished TPACKET_V3 block would be lost at SIGINT. ip netns exec replaces itself
	# with tcpdump, so $! is tcpdump's pid. -B 16384 (KiB): with the default buffer the
	# kernel dropped packets of h2load's bursts.
	ip netns exec "$SRV_NS" tcpdump --immediate-mode -B 16384 -Z root -U -s 0 -i "$SRV_IF" -w "$file" "tcp port $port" >"$TMP/tcpdump.log" 2>&1 &
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
	# A capture with holes would test the sensor's gap handling, not HTTP/2: refuse it.
	if ! grep -q '^0 packets dropped by kernel' "$TMP/tcpdump.log"; then
		echo "tcpdump dropped packets:" >&2
		cat "$TMP/tcpdump.log" >&2
		exit 1
	fi
}

# scenario_grpc NAME: one client scenario, one connection, into grpc-NAME.pcap.
scenario_grpc() {
	echo "grpc-$1.pcap" >&2
	start_capture "$TMP/grpc-$1.pcap" "$GRPC_PORT"
	grpc "$1"
	stop_capture
	mv "$TMP/grpc-$1.pcap" "$OUT/grpc-$1.pcap"
}

# scenario_midstream: 20 GetUser calls, a 5-round Chat and a NOT_FOUND GetUser on one
# connection, then the file is cut so that it starts at the 7th call's request (stream 13):
# no handshake, no preface, no SETTINGS, and the HPACK dynamic-table entries of both
# directions were learned in the part cut away.
scenario_midstream() {
	local full=$TMP/grpc-midstream-full.pcap first
	echo "grpc-midstream.pcap" >&2
	start_capture "$full" "$GRPC_PORT"
	grpc midstream
	stop_capture
	first=$(tshark -r "$full" -d "tcp.port==$GRPC_PORT,http2" -Y 'http2.streamid == 13 && http2.type == 1' \
		-T fields -e frame.number | head -n 1)
	if [[ -z $first ]]; then
		echo "grpc-midstream: no HEADERS frame on stream 13" >&2
		exit 1
	fi
	tshark -r "$full" -F pcap -Y "frame.number >= $first" -w "$OUT/grpc-midstream.pcap"
	echo "  cut before frame $first" >&2
}

scenario_h2c_curl() {
	local u="http://$SRV4:$H2C_PORT"
	echo "h2c-curl.pcap" >&2
	start_capture "$TMP/h2c-curl.pcap" "$H2C_PORT"
	# One URL per connection: curl 7.88.1 fails reusing a prior-knowledge connection
	# ("Error in the HTTP2 framing layer", curl/curl#10634, fixed after 7.88.1). Several
	# streams on one connection are in h2c-upgrade, h2c-nghttp and h2c-h2load.
	c --http2-prior-knowledge "$u/api/users/1"
	c --http2-prior-knowledge -H 'Content-Type: application/json' -d '{"item":"book","qty":1}' "$u/api/orders"
	c --http2-prior-knowledge "$u/api/search?q=widgets"
	c --http2-prior-knowledge "$u/api/search?q=1%27%20OR%20%271%27%3D%271"
	c --http2-prior-knowledge -H 'Content-Type: application/json' -d "{\"item\":\"' OR '1'='1' --\",\"qty\":1}" "$u/api/orders"
	c --http2-prior-knowledge "$u/api/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E"
	c --http2-prior-knowledge "$u/api/users/0"
	stop_capture
	mv "$TMP/h2c-curl.pcap" "$OUT/h2c-curl.pcap"
}

scenario_h2c_upgrade() {
	local u="http://$SRV4:$H2C_PORT"
	echo "h2c-upgrade.pcap" >&2
	start_capture "$TMP/h2c-upgrade.pcap" "$H2C_PORT"
	# The first request goes as HTTP/1.1 with Upgrade: h2c and is answered on stream 1;
	# the second URL follows on stream 3 of the same, now HTTP/2, connection.
	c --http2 "$u/api/users/3" "$u/api/search?q=1%27%20OR%20%271%27%3D%271"
	# A request with a body: the Upgrade request carries it before the switch.
	c --http2 -H 'Content-Type: application/json' -d '{"item":"lamp","qty":2}' "$u/api/orders"
	stop_capture
	mv "$TMP/h2c-upgrade.pcap" "$OUT/h2c-upgrade.pcap"
}

scenario_h2c_nghttp() {
	local u="http://$SRV4:$H2C_PORT"
	echo "h2c-nghttp.pcap" >&2
	start_capture "$TMP/h2c-nghttp.pcap" "$H2C_PORT"
	# Prior knowledge (nghttp's default for http://), four concurrent streams on one
	# connection, custom headers, and nghttp's priority/idle streams.
	in_cli timeout 10 nghttp -n -s -t 5 -H 'x-tenant: acme' -H 'x-request-id: ng-0001' \
		-H 'user-agent: nghttp-demo' \
		"$u/api/users/4" "$u/api/users/5" "$u/static/logo.txt" \
		"$u/api/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E" | sed -n '/^id /,$p' >&2
	stop_capture
	mv "$TMP/h2c-nghttp.pcap" "$OUT/h2c-nghttp.pcap"
}

scenario_h2c_h2load() {
	echo "h2c-h2load.pcap" >&2
	start_capture "$TMP/h2c-h2load.pcap" "$H2C_PORT"
	in_cli timeout 30 h2load -n 50 -c 2 -m 5 -T 5 -H 'x-tenant: acme' "http://$SRV4:$H2C_PORT/api/users/1" |
		grep -E '^(requests|status codes):' >&2 || true
	stop_capture
	mv "$TMP/h2c-h2load.pcap" "$OUT/h2c-h2load.pcap"
}

# scenario_grpc_web: the server's hand-written grpc-web GetUser, over HTTP/1.1 (binary,
# base64 text, SQLi in a field, NOT_FOUND in the trailer frame) and over h2c.
scenario_grpc_web() {
	local u="http://$SRV4:$H2C_PORT/demo.v1.Users/GetUser"
	local web=(-H 'X-Grpc-Web: 1' -H 'X-User-Agent: grpc-web-javascript/0.1')
	echo "grpc-web.pcap" >&2
	"$TMP/client" -scenario web-request -id 7 >"$TMP/web-7.bin"
	"$TMP/client" -scenario web-request -id 8 >"$TMP/web-8.bin"
	"$TMP/client" -scenario web-request -id 9 -fields "' OR '1'='1' --" >"$TMP/web-sqli.bin"
	"$TMP/client" -scenario web-request -id 0 | base64 -w 0 >"$TMP/web-0.txt"
	"$TMP/client" -scenario web-request -id 10 | base64 -w 0 >"$TMP/web-10.txt"
	start_capture "$TMP/grpc-web.pcap" "$H2C_PORT"
	c --http1.1 "${web[@]}" -H 'Content-Type: application/grpc-web+proto' -H 'Accept: application/grpc-web+proto' \
		--data-binary "@$TMP/web-7.bin" "$u"
	c --http1.1 "${web[@]}" -H 'Content-Type: application/grpc-web-text' -H 'Accept: application/grpc-web-text' \
		--data-binary "@$TMP/web-10.txt" "$u"
	c --http1.1 "${web[@]}" -H 'Content-Type: application/grpc-web-text' -H 'Accept: application/grpc-web-text' \
		--data-binary "@$TMP/web-0.txt" "$u"
	c --http1.1 "${web[@]}" -H 'Content-Type: application/grpc-web+proto' -H 'Accept: application/grpc-web+proto' \
		--data-binary "@$TMP/web-sqli.bin" "$u"
	c --http2-prior-knowledge "${web[@]}" -H 'Content-Type: application/grpc-web+proto' \
		-H 'Accept: application/grpc-web+proto' --data-binary "@$TMP/web-8.bin" "$u"
	stop_capture
	mv "$TMP/grpc-web.pcap" "$OUT/grpc-web.pcap"
}

generate
setup_netns
start_server
scenario_grpc unary
scenario_grpc streams
scenario_grpc injection
scenario_midstream
scenario_h2c_curl
scenario_h2c_upgrade
scenario_h2c_nghttp
scenario_h2c_h2load
scenario_grpc_web
ls -l "$OUT"/grpc-*.pcap "$OUT"/h2c-*.pcap
