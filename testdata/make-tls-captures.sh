#!/usr/bin/env bash
# make-tls-captures.sh — regenerate decoders/tls/testdata/tls-clients.pcap: TLS
# ClientHellos of real clients (curl with HTTP/2 and HTTP/1.1, openssl s_client with and
# without SNI, TLS 1.3 and 1.2, node when installed) to an openssl s_server.
#
# Two network namespaces joined by a veth pair whose MTU is 400 bytes, so every ClientHello
# is split over two or more TCP segments and the decoder's reassembly is exercised; tcpdump
# captures in the server namespace. Nothing leaves the namespaces.
#
# The capture lives in decoders/tls/testdata, not testdata/, so that it does not join the
# pipeline's golden replays. decoders/tls's TestCapture checks SNI, ALPN and version
# against tshark and JA4 against a JA4 computed from tshark's fields.
#
# Needs root, iproute2, ethtool, tcpdump, openssl, curl; node optional.
# Not run by CI: it documents how the capture was made and reproduces an equivalent one
# (random values, ports and timestamps differ from run to run; JA4s do not).
#
# Usage: sudo testdata/make-tls-captures.sh            (from anywhere in the repository)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=decoders/tls/testdata

CLI_NS=stls-cli
SRV_NS=stls-srv
CLI_IF=stls-c
SRV_IF=stls-s
CLI4=10.99.1.1
SRV4=10.99.1.2
PORT=8443
HOST=api.test

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

ip netns del "$CLI_NS" 2>/dev/null || true
ip netns del "$SRV_NS" 2>/dev/null || true
ip netns add "$CLI_NS"
ip netns add "$SRV_NS"
ip link add "$CLI_IF" netns "$CLI_NS" type veth peer name "$SRV_IF" netns "$SRV_NS"
in_cli ip addr add "$CLI4/24" dev "$CLI_IF"
ip netns exec "$SRV_NS" ip addr add "$SRV4/24" dev "$SRV_IF"
for ns in "$CLI_NS" "$SRV_NS"; do
	ip netns exec "$ns" ip link set lo up
done
in_cli ip link set "$CLI_IF" mtu 400 up
ip netns exec "$SRV_NS" ip link set "$SRV_IF" mtu 400 up
# Without this the veth pair hands tcpdump one coalesced 500-byte "segment" anyway.
in_cli ethtool -K "$CLI_IF" tso off gso off gro off >/dev/null
ip netns exec "$SRV_NS" ethtool -K "$SRV_IF" tso off gso off gro off >/dev/null

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj "/CN=$HOST" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
# -www answers every connection with a status page over HTTP/1.x; ALPN h2 is refused so
# that HTTP/2 clients fall back.
ip netns exec "$SRV_NS" openssl s_server -quiet -accept "$PORT" -cert "$TMP/cert.pem" -key "$TMP/key.pem" \
	-www -alpn http/1.1 >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 50); do
	if in_cli bash -c "exec 3<>/dev/tcp/$SRV4/$PORT" 2>/dev/null; then break; fi
	sleep 0.1
done

ip netns exec "$SRV_NS" tcpdump --immediate-mode -Z root -U -s 0 -i "$SRV_IF" -w "$TMP/tls.pcap" "tcp port $PORT" >"$TMP/tcpdump.log" 2>&1 &
TCPDUMP_PID=$!
for _ in $(seq 50); do
	grep -q 'listening on' "$TMP/tcpdump.log" && break
	sleep 0.1
done

curl_() { in_cli curl -sk --max-time 5 --resolve "$HOST:$PORT:$SRV4" -o /dev/null -w '%{stderr}curl %{http_version} %{http_code}\n' "$@"; }
sclient() { in_cli timeout 5 openssl s_client -connect "$SRV4:$PORT" "$@" </dev/null >/dev/null 2>&1 || true; echo "s_client $*" >&2; }

curl_ "https://$HOST:$PORT/"                  # ALPN h2,http/1.1, SNI
curl_ --http1.1 "https://$HOST:$PORT/"        # ALPN http/1.1
sclient -servername "$HOST" -alpn h2          # TLS 1.3, SNI, ALPN h2
sclient -noservername -tls1_2                 # TLS 1.2, no SNI, no ALPN
if command -v node >/dev/null; then
	in_cli timeout 5 node -e "require('https').get({host:'$SRV4',port:$PORT,servername:'$HOST',rejectUnauthorized:false},r=>{r.resume();r.on('end',()=>process.exit(0))}).on('error',()=>process.exit(0))" || true
	echo node >&2
fi

sleep 1
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" || true
TCPDUMP_PID=
grep -h 'packets captured' "$TMP/tcpdump.log" >&2 || true
mkdir -p "$OUT"
cp "$TMP/tls.pcap" "$OUT/tls-clients.pcap"
echo "wrote $OUT/tls-clients.pcap" >&2
