// Command gencaps writes the generated edge-case captures in testdata/: TCP
// reassembly cases (reordering, retransmission, conflicting overlap, loss, mid-stream
// start, reset, half-open flood, close-delimited body), link-layer and IP variants
// (Linux cooked v1/v2, raw IPv4/IPv6, BSD loopback, 802.1Q and QinQ, IPv6 extension
// headers, IPv4 and IPv6 fragments), tunnels (VXLAN, GENEVE, gretap, ERSPAN II and III, MPLS,
// IP-in-IP, two tenants with the same addresses in two VXLAN segments and in two VLANs)
// and damaged files (truncated, corrupt pcap and pcapng).
//
// Input: none. Output: the files named in testdata/README.md, written into -out.
// Timestamps start at 2024-01-01T00:00:00Z, ISNs and IP IDs are fixed, so every run
// writes byte-identical files and regenerating them gives no diff.
//
// Usage: go run ./testdata/gencaps -out testdata
package main

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

const snaplen = 65535

var (
	start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

	cliMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x0a}
	srvMAC = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x14}
	cli4   = net.IPv4(192, 0, 2, 10).To4()
	srv4   = net.IPv4(198, 51, 100, 20).To4()
	cli6   = net.ParseIP("2001:db8::10")
	srv6   = net.ParseIP("2001:db8::20")
)

// The conversation every capture carries, in whole or in part.
var (
	req1 = "GET /search?q=1%27%20OR%20%271%27%3D%271 HTTP/1.1\r\n" +
		"Host: api.example.com\r\nUser-Agent: gencaps/1.0\r\nAccept: application/json\r\n\r\n"
	resp1 = jsonResponse(resultsBody())
	req2  = "GET /api/users/42 HTTP/1.1\r\n" +
		"Host: api.example.com\r\nUser-Agent: gencaps/1.0\r\nAccept: application/json\r\n\r\n"
	resp2 = jsonResponse(`{"id":42,"name":"alice","email":"alice@example.com"}`)
)

// Where the SQL injection sits in req1: the value of q.
const (
	req1QueryStart = len("GET /search?q=")
	req1QueryEnd   = req1QueryStart + len("1%27%20OR%20%271%27%3D%271")
)

func resultsBody() string {
	var b strings.Builder
	b.WriteString(`{"q":"1' OR '1'='1","results":[`)
	for i := 1; i <= 8; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item-%02d","price":"%d.00","tags":["a","b"]}`, i, i, 10*i)
	}
	b.WriteString(`]}`)
	return b.String()
}

func jsonResponse(body string) string {
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// TCP flag bits, as in the header.
const (
	fFIN = 1 << iota
	fSYN
	fRST
	fPSH
	fACK
)

// packet is one IP packet (IPv4 or IPv6, from the IP header on) and its capture time.
type packet struct {
	ts  time.Time
	c2s bool
	ip  []byte
	// tenant, when set, picks the VXLAN segment of vxlanTenants.
	tenant uint32
}

// seg is a run of stream bytes starting at sequence number seq.
type seg struct {
	seq  uint32
	data []byte
}

// conv builds one TCP connection packet by packet, keeping both sides' next sequence
// numbers so that ACKs are consistent.
type conv struct {
	cliIP, srvIP     net.IP
	cliPort, srvPort uint16
	cliNext, srvNext uint32
	ipID             uint16
	clock            time.Time
	// c2sExt, when set, is placed between the IPv6 header and TCP in client packets;
	// it must start with a hop-by-hop header.
	c2sExt []byte
	pkts   []packet
}

func newConv(v6 bool, cliPort uint16, clock time.Time) *conv {
	c := &conv{cliIP: cli4, srvIP: srv4, cliPort: cliPort, srvPort: 80,
		cliNext: 0x1a2b3c4d, srvNext: 0x5e6f7081, ipID: 0x1000, clock: clock}
	if v6 {
		c.cliIP, c.srvIP = cli6, srv6
	}
	return c
}

func (c *conv) v6() bool { return c.cliIP.To4() == nil }

// tcp returns the TCP layer of a segment sent by the client (c2s) or the server.
func (c *conv) tcp(c2s bool, flags uint8, seq, ack uint32) *layers.TCP {
	t := &layers.TCP{SrcPort: layers.TCPPort(c.cliPort), DstPort: layers.TCPPort(c.srvPort),
		Seq: seq, Window: 64240,
		FIN: flags&fFIN != 0, SYN: flags&fSYN != 0, RST: flags&fRST != 0, PSH: flags&fPSH != 0, ACK: flags&fACK != 0}
	if !c2s {
		t.SrcPort, t.DstPort = t.DstPort, t.SrcPort
	}
	if t.ACK {
		t.Ack = ack
	}
	if t.SYN {
		t.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
	}
	return t
}

func (c *conv) addrs(c2s bool) (src, dst net.IP) {
	if c2s {
		return c.cliIP, c.srvIP
	}
	return c.srvIP, c.cliIP
}

// build serializes one segment with lengths and checksums filled in.
func (c *conv) build(c2s bool, flags uint8, seq, ack uint32, data []byte) []byte {
	src, dst := c.addrs(c2s)
	t := c.tcp(c2s, flags, seq, ack)
	var ls []gopacket.SerializableLayer
	if c.v6() {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
		must(t.SetNetworkLayerForChecksum(ip))
		ls = append(ls, ip)
		if c2s && c.c2sExt != nil {
			ip.NextHeader = layers.IPProtocolIPv6HopByHop
			ls = append(ls, gopacket.Payload(c.c2sExt))
		}
	} else {
		c.ipID++
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: c.ipID, Flags: layers.IPv4DontFragment,
			Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
		must(t.SetNetworkLayerForChecksum(ip))
		ls = append(ls, ip)
	}
	ls = append(ls, t, gopacket.Payload(data))
	return serialize(ls...)
}

func serialize(ls ...gopacket.SerializableLayer) []byte {
	buf := gopacket.NewSerializeBuffer()
	must(gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...))
	return bytes.Clone(buf.Bytes())
}

// emit appends a segment, acknowledging everything the other side has sent so far.
func (c *conv) emit(c2s bool, flags uint8, s seg) {
	ack := c.cliNext
	if c2s {
		ack = c.srvNext
	}
	c.emitRaw(c2s, c.build(c2s, flags, s.seq, ack, s.data))
}

func (c *conv) emitRaw(c2s bool, ip []byte) {
	c.clock = c.clock.Add(time.Millisecond)
	c.pkts = append(c.pkts, packet{ts: c.clock, c2s: c2s, ip: ip})
}

// split cuts payload into segments of at most mss bytes and advances the sender's
// sequence number past them; nothing is emitted.
func (c *conv) split(c2s bool, payload string, mss int) []seg {
	next := &c.srvNext
	if c2s {
		next = &c.cliNext
	}
	var segs []seg
	for p := []byte(payload); len(p) > 0; {
		n := min(mss, len(p))
		segs = append(segs, seg{seq: *next, data: p[:n]})
		*next += uint32(n)
		p = p[n:]
	}
	return segs
}

// emitAll sends segs in order, PSH on the last.
func (c *conv) emitAll(c2s bool, segs []seg) {
	for i, s := range segs {
		flags := uint8(fACK)
		if i == len(segs)-1 {
			flags |= fPSH
		}
		c.emit(c2s, flags, s)
	}
}

// ack sends a bare ACK from one side.
func (c *conv) ack(c2s bool) {
	s := seg{seq: c.cliNext}
	if !c2s {
		s.seq = c.srvNext
	}
	c.emit(c2s, fACK, s)
}

func (c *conv) handshake() {
	c.emit(true, fSYN, seg{seq: c.cliNext})
	c.cliNext++
	c.emit(false, fSYN|fACK, seg{seq: c.srvNext})
	c.srvNext++
	c.ack(true)
}

// exchange sends a request and its response in order, each side ACKing the other.
func (c *conv) exchange(req, resp string) {
	c.emitAll(true, c.split(true, req, 1400))
	c.ack(false)
	c.emitAll(false, c.split(false, resp, 200))
	c.ack(true)
}

// closeBy ends the connection with FIN from one side, FIN+ACK back, final ACK.
func (c *conv) closeBy(c2s bool) {
	for _, side := range []bool{c2s, !c2s} {
		s := seg{seq: c.cliNext}
		if !side {
			s.seq = c.srvNext
		}
		c.emit(side, fFIN|fACK, s)
		if side {
			c.cliNext++
		} else {
			c.srvNext++
		}
	}
	c.ack(c2s)
}

// standard is the whole conversation: handshake, two keep-alive exchanges, close.
func standard(v6 bool) *conv {
	c := newConv(v6, 51000, start)
	c.handshake()
	c.exchange(req1, resp1)
	c.exchange(req2, resp2)
	c.closeBy(true)
	return c
}

// smuggling holds three desyncs as a sensor between a front end and its
// back end sees them, one connection each:
//   - CL.0: the front end forwards a POST whose body, by its
//     Content-Length, is a whole request; the back end ignores the length
//     on a static path, reads the body as a request of its own, and
//     answers twice.
//   - WebSocket smuggling: an upgrade with a bad Sec-WebSocket-Version is
//     refused (426), and a request for an internal path follows on the
//     connection, which the front end took for a tunnel.
//   - Host routing: a request with two Host lines, then an absolute-form
//     target naming another host than Host.
func smuggling() []packet {
	c := newConv(false, 51020, start)
	c.handshake()
	smuggled := "GET /admin/users HTTP/1.1\r\nHost: internal\r\n\r\n"
	req := "POST /static/app.css HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
		"Content-Length: " + strconv.Itoa(len(smuggled)) + "\r\n\r\n" + smuggled
	resp := "HTTP/1.1 200 OK\r\nContent-Type: text/css\r\nContent-Length: 10\r\n\r\nbody{x:0}\n" +
		jsonResponse(`{"users":[{"id":1,"name":"root"}]}`)
	c.exchange(req, resp)
	c.closeBy(true)
	pkts := c.pkts

	c = newConv(false, 51021, c.clock.Add(time.Millisecond))
	c.handshake()
	c.exchange("GET /socket HTTP/1.1\r\nHost: shop.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 1337\r\n\r\n",
		"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
	c.exchange("GET /actuator/env HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", jsonResponse(`{"activeProfiles":["prod"]}`))
	c.closeBy(true)
	pkts = append(pkts, c.pkts...)

	c = newConv(false, 51022, c.clock.Add(time.Millisecond))
	c.handshake()
	c.exchange("GET /account HTTP/1.1\r\nHost: shop.example\r\nHost: admin.internal\r\n\r\n", jsonResponse(`{"id":7}`))
	c.exchange("GET http://admin.internal/users HTTP/1.1\r\nHost: shop.example\r\n\r\n", jsonResponse(`{"users":[]}`))
	c.closeBy(true)
	return append(pkts, c.pkts...)
}

// graphqlAbuse is GraphQL abuse that the answers tell, one connection each:
//   - a form POST to /graphql with the victim's cookie and another site's
//     Origin, whose query is a mutation, answered with its data (CSRF);
//   - a bucket of 64 guessed field names, answered 400 with an error and a
//     suggestion for each (Clairvoyance mapping a schema without
//     introspection);
//   - an Apollo client's JSON mutation with a bearer token, answered with
//     its data: nothing to report;
//   - graphw00f's liveness check (nothing to report) and its Apollo probe,
//     query @skip { __typename }, answered with Apollo's error (engine
//     fingerprinting).
func graphqlAbuse() []packet {
	c := newConv(false, 51030, start)
	c.handshake()
	form := "query=" + url.QueryEscape(`mutation { changeEmail(email: "a@evil.example") { ok } }`)
	c.exchange("POST /graphql HTTP/1.1\r\nHost: shop.example\r\nOrigin: https://evil.example\r\nCookie: session=4f2a9c\r\n"+
		"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: "+strconv.Itoa(len(form))+"\r\n\r\n"+form,
		jsonResponse(`{"data":{"changeEmail":{"ok":true}}}`))
	c.closeBy(true)
	pkts := c.pkts

	c = newConv(false, 51031, c.clock.Add(time.Millisecond))
	c.handshake()
	var words, errs []string
	for i := range 64 {
		w := fmt.Sprintf("w%dname", i)
		words = append(words, w)
		errs = append(errs, fmt.Sprintf(`{"message":"Cannot query field \"%s\" on type \"Query\". Did you mean \"name\"?","locations":[{"line":1,"column":%d}]}`, w, 9+i))
	}
	q := `{"query":"query { ` + strings.Join(words, " ") + ` }"}`
	body := `{"errors":[` + strings.Join(errs, ",") + `]}`
	c.exchange("POST /graphql HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(q))+"\r\n\r\n"+q,
		fmt.Sprintf("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body))
	c.closeBy(true)
	pkts = append(pkts, c.pkts...)

	c = newConv(false, 51032, c.clock.Add(time.Millisecond))
	c.handshake()
	q = `{"operationName":"SetName","query":"mutation SetName($n: String!) { setName(name: $n) { ok } }","variables":{"n":"Zoë"}}`
	c.exchange("POST /graphql HTTP/1.1\r\nHost: shop.example\r\nAuthorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x\r\n"+
		"Content-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(q))+"\r\n\r\n"+q,
		jsonResponse(`{"data":{"setName":{"ok":true}}}`))
	c.closeBy(true)
	pkts = append(pkts, c.pkts...)

	// graphw00f: its liveness check, then its Apollo probe, answered in
	// Apollo's words.
	c = newConv(false, 51033, c.clock.Add(time.Millisecond))
	c.handshake()
	for _, step := range [][2]string{
		{`{"query": "\n      query {\n        __typename\n      }\n    "}`, `{"data":{"__typename":"Query"}}`},
		{`{"query": " \n      query @skip {\n        __typename\n      }\n    "}`,
			`{"errors":[{"message":"Directive \"@skip\" argument \"if\" of type \"Boolean!\" is required, but it was not provided.","locations":[{"line":2,"column":13}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`},
	} {
		c.exchange("POST /graphql HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: python-requests/2.31.0\r\nContent-Type: application/json\r\nContent-Length: "+
			strconv.Itoa(len(step[0]))+"\r\n\r\n"+step[0], jsonResponse(step[1]))
	}
	c.closeBy(true)
	return append(pkts, c.pkts...)
}

// --- TCP reassembly cases -------------------------------------------------------

// reorder delivers req1's three segments as 3, 1, 2 and req2's two in reverse.
func reorder() []packet {
	c := newConv(false, 51001, start)
	c.handshake()
	s := c.split(true, req1, (len(req1)+2)/3) // three segments, sent 3, 1, 2
	for _, i := range []int{2, 0, 1} {
		c.emit(true, fACK|fPSH, s[i])
	}
	c.ack(false)
	c.emitAll(false, c.split(false, resp1, 200))
	c.ack(true)
	s = c.split(true, req2, 60)
	for i := len(s) - 1; i >= 0; i-- {
		c.emit(true, fACK|fPSH, s[i])
	}
	c.ack(false)
	c.emitAll(false, c.split(false, resp2, 200))
	c.ack(true)
	c.closeBy(true)
	return c.pkts
}

// retransmit repeats req1's first segment and resp1's second segment at once, and
// resp1's first segment again after the client has ACKed it.
func retransmit() []packet {
	c := newConv(false, 51002, start)
	c.handshake()
	s := c.split(true, req1, 60)
	c.emit(true, fACK, s[0])
	c.emit(true, fACK, s[0])
	c.emitAll(true, s[1:])
	c.ack(false)
	r := c.split(false, resp1, 200)
	c.emit(false, fACK, r[0])
	c.emit(false, fACK, r[1])
	c.emit(false, fACK, r[1])
	c.emitAll(false, r[2:])
	c.ack(true)
	// A spurious retransmission of data the client has already acknowledged.
	c.emit(false, fACK, r[0])
	c.exchange(req2, resp2)
	c.closeBy(true)
	return c.pkts
}

// overlapDiff sends req1 in two segments, then a segment covering bytes 10..50 in
// which the query value (the SQL injection) is replaced by other bytes of the same
// length.
func overlapDiff() []packet {
	c := newConv(false, 51003, start)
	c.handshake()
	s := c.split(true, req1, 40)
	c.emit(true, fACK, s[0])
	c.emit(true, fACK, s[1])
	forged := []byte(req1[10:50])
	copy(forged[req1QueryStart-10:req1QueryEnd-10], strings.Repeat("x", req1QueryEnd-req1QueryStart))
	c.emit(true, fACK|fPSH, seg{seq: s[0].seq + 10, data: forged})
	c.emitAll(true, s[2:])
	c.ack(false)
	c.emitAll(false, c.split(false, resp1, 200))
	c.ack(true)
	c.exchange(req2, resp2)
	c.closeBy(true)
	return c.pkts
}

// gap loses the second of resp1's segments (200 bytes of body) from the capture; the
// endpoints saw it, so the client ACKs everything and the second exchange follows.
func gap() []packet {
	c := newConv(false, 51004, start)
	c.handshake()
	c.emitAll(true, c.split(true, req1, 1400))
	c.ack(false)
	r := c.split(false, resp1, 200)
	c.emit(false, fACK, r[0])
	c.emitAll(false, r[2:])
	c.ack(true)
	c.exchange(req2, resp2)
	c.closeBy(true)
	return c.pkts
}

// midstream starts capturing at resp1's second segment: no handshake, no request.
func midstream() []packet {
	c := newConv(false, 51005, start)
	c.handshake()
	c.emitAll(true, c.split(true, req1, 1400))
	c.ack(false)
	first := len(c.pkts) + 1
	c.emitAll(false, c.split(false, resp1, 200))
	c.ack(true)
	c.exchange(req2, resp2)
	c.closeBy(true)
	return c.pkts[first:]
}

// rst: the server resets the connection after two of resp1's segments.
func rst() []packet {
	c := newConv(false, 51006, start)
	c.handshake()
	c.emitAll(true, c.split(true, req1, 1400))
	c.ack(false)
	r := c.split(false, resp1, 200)
	c.emit(false, fACK, r[0])
	c.emit(false, fACK, r[1])
	c.ack(true)
	c.emit(false, fRST|fACK, seg{seq: r[2].seq})
	return c.pkts
}

// synOnly is a SYN flood: 300 connections from distinct ports that never complete.
func synOnly() []packet {
	var pkts []packet
	clock := start
	for i := range 300 {
		c := newConv(false, uint16(40000+i), clock)
		c.cliNext += uint32(i) * 7919
		c.emit(true, fSYN, seg{seq: c.cliNext})
		c.cliNext++
		c.emit(false, fSYN|fACK, seg{seq: c.srvNext})
		pkts = append(pkts, c.pkts...)
		clock = c.clock
	}
	return pkts
}

// finClose: an HTTP/1.0-style response with no Content-Length, ended by the server's FIN.
func finClose() []packet {
	c := newConv(false, 51007, start)
	c.handshake()
	req := strings.Replace(req1, "\r\n\r\n", "\r\nConnection: close\r\n\r\n", 1)
	c.emitAll(true, c.split(true, req, 1400))
	c.ack(false)
	resp := "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n" + resultsBody()
	c.emitAll(false, c.split(false, resp, 200))
	c.ack(true)
	c.closeBy(false)
	return c.pkts
}

// --- IP variants ----------------------------------------------------------------

// ipv6ExtHdr puts a hop-by-hop header (router alert) and a destination-options header
// (padding) between IPv6 and TCP in every client packet.
func ipv6ExtHdr() []packet {
	c := newConv(true, 51008, start)
	c.c2sExt = []byte{
		byte(layers.IPProtocolIPv6Destination), 0, 5, 2, 0, 0, 1, 0, // HBH: router alert, PadN
		byte(layers.IPProtocolTCP), 0, 1, 4, 0, 0, 0, 0, // destination options: PadN
	}
	c.handshake()
	c.exchange(req1, resp1)
	c.exchange(req2, resp2)
	c.closeBy(true)
	return c.pkts
}

// ipv4Frag sends req1's packet as three IPv4 fragments, in the order 3, 1, 2.
func ipv4Frag() []packet { return fragmented(false, 51009) }

// ipv6Frag sends req1's packet as three IPv6 fragments (a Fragment header),
// in the order 3, 1, 2.
func ipv6Frag() []packet { return fragmented(true, 51010) }

// fragmented sends req1's packet as three fragments at offsets 0, 48 and 96,
// the last first, then the rest of A and B.
func fragmented(v6 bool, port uint16) []packet {
	c := newConv(v6, port, start)
	c.handshake()
	s := c.split(true, req1, 1400)[0]
	t := c.tcp(true, fACK|fPSH, s.seq, c.srvNext)
	var full gopacket.NetworkLayer = &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: c.cliIP, DstIP: c.srvIP}
	if v6 {
		full = &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: c.cliIP, DstIP: c.srvIP}
	} else {
		c.ipID++
	}
	must(t.SetNetworkLayerForChecksum(full))
	l4 := serialize(t, gopacket.Payload(s.data))
	cuts := []int{0, 48, 96, len(l4)}
	frags := make([][]byte, 3)
	for i := range frags {
		more, data := i < len(frags)-1, gopacket.Payload(l4[cuts[i]:cuts[i+1]])
		if v6 {
			ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolIPv6Fragment, SrcIP: c.cliIP, DstIP: c.srvIP}
			fh := &layers.IPv6Fragment{NextHeader: layers.IPProtocolTCP, FragmentOffset: uint16(cuts[i] / 8),
				MoreFragments: more, Identification: 0x5eed}
			frags[i] = serialize(ip, fh, data)
			continue
		}
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: c.ipID, Protocol: layers.IPProtocolTCP,
			SrcIP: c.cliIP, DstIP: c.srvIP, FragOffset: uint16(cuts[i] / 8)}
		if more {
			ip.Flags = layers.IPv4MoreFragments
		}
		frags[i] = serialize(ip, data)
	}
	for _, i := range []int{2, 0, 1} {
		c.emitRaw(true, frags[i])
	}
	c.ack(false)
	c.emitAll(false, c.split(false, resp1, 200))
	c.ack(true)
	c.exchange(req2, resp2)
	c.closeBy(true)
	return c.pkts
}

// websocket upgrades a connection to WebSocket (permessage-deflate
// negotiated) and runs a GraphQL-over-WebSocket subscription: the client's
// messages are masked; the subscription carries a SQL injection, split into
// two fragments with a ping between them; a compressed message carries a
// script tag; the server answers in text frames.
func websocket() []packet {
	c := newConv(false, 51011, start)
	c.handshake()
	c.exchange("GET /graphql HTTP/1.1\r\nHost: api.example.com\r\nUser-Agent: gencaps/1.0\r\nUpgrade: websocket\r\n"+
		"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: graphql-transport-ws\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
			"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n"+
			"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
	sub := `{"id":"1","type":"subscribe","payload":{"query":"subscription { orders(status: \"x' OR '1'='1\") { id } }"}}`
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write([]byte(`{"id":"2","type":"subscribe","payload":{"query":"subscription { chat(room: \"<script>alert(1)</script>\") { text } }"}}`))
	fw.Flush()
	for i, msg := range [][]byte{
		wsFrame(true, false, 0x1, true, []byte(`{"type":"connection_init","payload":{"authToken":"t0k3n"}}`)),
		append(append(wsFrame(false, false, 0x1, true, []byte(sub[:40])), wsFrame(true, false, 0x9, true, []byte("hb"))...),
			wsFrame(true, false, 0x0, true, []byte(sub[40:]))...),
		wsFrame(true, true, 0x1, true, bytes.TrimSuffix(deflated.Bytes(), []byte{0, 0, 0xff, 0xff})),
	} {
		c.emitAll(true, c.split(true, string(msg), 1400))
		c.ack(false)
		if i == 0 {
			c.emitAll(false, c.split(false, string(wsFrame(true, false, 0x1, false, []byte(`{"type":"connection_ack"}`))), 200))
			c.ack(true)
		}
	}
	c.emitAll(false, c.split(false, string(wsFrame(true, false, 0x1, false, []byte(`{"id":"1","type":"next","payload":{"data":{"orders":[]}}}`))), 200))
	c.ack(true)
	c.emitAll(true, c.split(true, string(wsFrame(true, false, 0x8, true, []byte{0x03, 0xe8})), 1400))
	c.ack(false)
	c.closeBy(true)
	return c.pkts
}

// websocketMidstream is the socket of websocket() as a capture that starts
// after its upgrade (a long-lived subscription open before the sensor):
// everything from the first client message on.
func websocketMidstream() []packet {
	pkts := websocket()
	// The handshake (3), the upgrade request and its ACK, the 101 in two
	// segments and the client's ACK: 8 packets.
	return pkts[8:]
}

// wsFrame is a WebSocket frame; masked with a fixed key when mask is set.
func wsFrame(fin, rsv1 bool, op byte, mask bool, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	if rsv1 {
		b0 |= 0x40
	}
	var m byte
	if mask {
		m = 0x80
	}
	var h []byte
	if len(payload) < 126 {
		h = []byte{b0, m | byte(len(payload))}
	} else {
		h = binary.BigEndian.AppendUint16([]byte{b0, m | 126}, uint16(len(payload)))
	}
	p := bytes.Clone(payload)
	if mask {
		key := [4]byte{0x37, 0xfa, 0x21, 0x3d}
		h = append(h, key[:]...)
		for i := range p {
			p[i] ^= key[i&3]
		}
	}
	return append(h, p...)
}

// --- link layers ----------------------------------------------------------------

// framer wraps an IP packet in a link-layer header.
type framer func(p packet) []byte

func ethType(ip []byte) layers.EthernetType {
	if ip[0]>>4 == 6 {
		return layers.EthernetTypeIPv6
	}
	return layers.EthernetTypeIPv4
}

func macs(c2s bool) (src, dst net.HardwareAddr) {
	if c2s {
		return cliMAC, srvMAC
	}
	return srvMAC, cliMAC
}

// ethernet frames with the given VLAN tags, outermost first; an outer tag of a
// double-tagged frame uses the 802.1ad TPID.
func ethernet(vlans ...uint16) framer {
	return func(p packet) []byte {
		src, dst := macs(p.c2s)
		eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: ethType(p.ip)}
		ls := []gopacket.SerializableLayer{eth}
		for i, id := range vlans {
			tag := &layers.Dot1Q{VLANIdentifier: id, Type: ethType(p.ip)}
			if i+1 < len(vlans) {
				tag.Type = layers.EthernetTypeDot1Q
			}
			if i == 0 {
				eth.EthernetType = layers.EthernetTypeDot1Q
				if len(vlans) > 1 {
					eth.EthernetType = layers.EthernetTypeQinQ
				}
			}
			ls = append(ls, tag)
		}
		return serialize(append(ls, gopacket.Payload(p.ip))...)
	}
}

// Linux packet types as seen on the server's interface.
const (
	pktHost     = 0
	pktOutgoing = 4
)

func sllPktType(c2s bool) byte {
	if c2s {
		return pktHost
	}
	return pktOutgoing
}

// sll is the 16-byte Linux cooked v1 header.
func sll(p packet) []byte {
	src, _ := macs(p.c2s)
	h := make([]byte, 16, 16+len(p.ip))
	binary.BigEndian.PutUint16(h[0:], uint16(sllPktType(p.c2s)))
	binary.BigEndian.PutUint16(h[2:], 1) // ARPHRD_ETHER
	binary.BigEndian.PutUint16(h[4:], uint16(len(src)))
	copy(h[6:14], src)
	binary.BigEndian.PutUint16(h[14:], uint16(ethType(p.ip)))
	return append(h, p.ip...)
}

// sll2 is the 20-byte Linux cooked v2 header (gopacket cannot serialize it).
func sll2(p packet) []byte {
	src, _ := macs(p.c2s)
	h := make([]byte, 20, 20+len(p.ip))
	binary.BigEndian.PutUint16(h[0:], uint16(ethType(p.ip)))
	binary.BigEndian.PutUint32(h[4:], 2) // interface index
	binary.BigEndian.PutUint16(h[8:], 1) // ARPHRD_ETHER
	h[10] = sllPktType(p.c2s)
	h[11] = byte(len(src))
	copy(h[12:20], src)
	return append(h, p.ip...)
}

func raw(p packet) []byte { return p.ip }

// null is the BSD loopback header: the address family in the capturing host's byte
// order, which is the file's byte order; pcapgo writes little-endian files.
func null(p packet) []byte {
	h := binary.LittleEndian.AppendUint32(nil, 2) // AF_INET
	return append(h, p.ip...)
}

// --- tunnels --------------------------------------------------------------------

// Tunnel endpoints: the mirror source (or tunnel head) and the sensor's side.
var (
	tepMAC1 = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x01}
	tepMAC2 = net.HardwareAddr{0x02, 0, 0, 0, 0, 0x02}
	tep1    = net.IPv4(203, 0, 113, 1).To4()
	tep2    = net.IPv4(203, 0, 113, 2).To4()
)

// tunnelled frames each packet with inner (the packet as the tunnel carries
// it) inside an outer Ethernet and IPv4 header of protocol proto, from tep1 to
// tep2 for client packets and back for server ones. The outer IP ID counts
// the packets of the file.
func tunnelled(proto layers.IPProtocol, inner func(p packet, n int) []byte) framer {
	n := 0
	return func(p packet) []byte {
		n++
		src, dst := tep1, tep2
		smac, dmac := tepMAC1, tepMAC2
		if !p.c2s {
			src, dst, smac, dmac = dst, src, dmac, smac
		}
		eth := &layers.Ethernet{SrcMAC: smac, DstMAC: dmac, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: uint16(n), Flags: layers.IPv4DontFragment,
			Protocol: proto, SrcIP: src, DstIP: dst}
		return serialize(eth, ip, gopacket.Payload(inner(p, n)))
	}
}

// udpTunnel is a UDP datagram to port dport carrying hdr and the packet's
// Ethernet frame (UDP checksum 0, as VXLAN and GENEVE senders do over IPv4).
func udpTunnel(dport uint16, hdr []byte) func(p packet, n int) []byte {
	return func(p packet, n int) []byte {
		frame := ethernet()(p)
		h := make([]byte, 8, 8+len(hdr)+len(frame))
		binary.BigEndian.PutUint16(h[0:], 49152+uint16(p.ip[len(p.ip)-1])) // source port: an entropy hash, as RFC 7348 suggests
		binary.BigEndian.PutUint16(h[2:], dport)
		binary.BigEndian.PutUint16(h[4:], uint16(8+len(hdr)+len(frame)))
		return append(append(h, hdr...), frame...)
	}
}

// vxlanTenants is two tenants mirrored to one sensor over VXLAN, one VNI
// each, whose VPCs use the same addresses: the same client opens a
// connection from the same port to the same server in both, with the same
// sequence numbers, their packets interleaved. Tenant 1001 sends req1 (the
// SQL injection), tenant 1002 req2. Only a flow key that holds the VNI keeps
// the two apart.
func vxlanTenants() []packet {
	a, b := newConv(false, 51000, start), newConv(false, 51000, start.Add(500*time.Microsecond))
	for _, t := range []struct {
		c         *conv
		req, resp string
		vni       uint32
	}{{a, req1, resp1, 1001}, {b, req2, resp2, 1002}} {
		t.c.handshake()
		t.c.exchange(t.req, t.resp)
		t.c.closeBy(true)
		for i := range t.c.pkts {
			t.c.pkts[i].tenant = t.vni
		}
	}
	var out []packet
	for i := range max(len(a.pkts), len(b.pkts)) {
		for _, c := range []*conv{a, b} {
			if i < len(c.pkts) {
				out = append(out, c.pkts[i])
			}
		}
	}
	return out
}

// vlanByTenant frames each packet in Ethernet with its tenant as the 802.1Q
// VLAN id.
func vlanByTenant() framer {
	return func(p packet) []byte { return ethernet(uint16(p.tenant))(p) }
}

// vxlanByTenant frames each packet in VXLAN with its tenant's VNI.
func vxlanByTenant() framer {
	outer := map[uint32]framer{}
	return func(p packet) []byte {
		f, ok := outer[p.tenant]
		if !ok {
			f = tunnelled(layers.IPProtocolUDP, udpTunnel(4789, vxlanHdr(p.tenant)))
			outer[p.tenant] = f
		}
		return f(p)
	}
}

// vxlanHdr is the RFC 7348 header: I flag, 24-bit VNI.
func vxlanHdr(vni uint32) []byte {
	return []byte{0x08, 0, 0, 0, byte(vni >> 16), byte(vni >> 8), byte(vni), 0}
}

// geneveHdr is the RFC 8926 header for an Ethernet payload with one 8-byte
// option (class 0x0108, AWS Gateway Load Balancer's, type 1, 4 bytes of data).
func geneveHdr(vni uint32) []byte {
	return []byte{2, 0, 0x65, 0x58, byte(vni >> 16), byte(vni >> 8), byte(vni), 0,
		0x01, 0x08, 0x01, 1, 0xde, 0xad, 0xbe, 0xef}
}

// gre is a GRE header with the key (when key is non-zero) and the sequence
// number n (when seq), then what protocol carries.
func gre(protocol uint16, key uint32, seq bool, payload func(p packet) []byte) func(p packet, n int) []byte {
	return func(p packet, n int) []byte {
		var flags uint16
		if key != 0 {
			flags |= 0x2000
		}
		if seq {
			flags |= 0x1000
		}
		h := binary.BigEndian.AppendUint16(nil, flags)
		h = binary.BigEndian.AppendUint16(h, protocol)
		if key != 0 {
			h = binary.BigEndian.AppendUint32(h, key)
		}
		if seq {
			h = binary.BigEndian.AppendUint32(h, uint32(n))
		}
		return append(h, payload(p)...)
	}
}

// erspan2 is an ERSPAN type II header (version 1, session id, index 0), then
// the mirrored Ethernet frame.
func erspan2(session uint16) func(p packet) []byte {
	return func(p packet) []byte {
		h := []byte{0x10, 0, byte(session>>8) & 0x03, byte(session), 0, 0, 0, 0}
		return append(h, ethernet()(p)...)
	}
}

// erspan3 is an ERSPAN type III header (version 2, session id, timestamp in
// 100 µs units since the capture's start, frame type Ethernet, hardware id 1,
// O bit) and its 8-byte platform subheader (platform id 3: port 0 and the
// timestamp's upper 32 bits, 0), then the mirrored Ethernet frame.
func erspan3(session uint16) func(p packet) []byte {
	return func(p packet) []byte {
		h := []byte{0x20, 0, byte(session>>8) & 0x03, byte(session)}
		h = binary.BigEndian.AppendUint32(h, uint32(p.ts.Sub(start)/(100*time.Microsecond)))
		h = append(h, 0, 0, 0, 0x11)             // SGT 0, P 0, FT 0 (Ethernet), hardware id 1, D 0, Gra 0 (100 µs), O 1
		h = append(h, 3<<2, 0, 0, 0, 0, 0, 0, 0) // platform id 3, port id 0, upper timestamp 0
		return append(h, ethernet()(p)...)
	}
}

// mpls frames each packet behind a two-label stack: a transport label and
// the VPN (service) label at the bottom.
func mpls(transport, service uint32) framer {
	return func(p packet) []byte {
		src, dst := macs(p.c2s)
		eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeMPLSUnicast}
		stack := binary.BigEndian.AppendUint32(nil, transport<<12|64)
		stack = binary.BigEndian.AppendUint32(stack, service<<12|0x100|64)
		return serialize(eth, gopacket.Payload(stack), gopacket.Payload(p.ip))
	}
}

// --- files ----------------------------------------------------------------------

type capture struct {
	name  string
	link  layers.LinkType
	frame framer
	pkts  []packet
}

func pcapBytes(c capture) []byte {
	var b bytes.Buffer
	w := pcapgo.NewWriter(&b)
	must(w.WriteFileHeader(snaplen, c.link))
	for _, p := range c.pkts {
		data := c.frame(p)
		must(w.WritePacket(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(data), Length: len(data)}, data))
	}
	return b.Bytes()
}

func pcapngBytes(c capture) []byte {
	var b bytes.Buffer
	intf := pcapgo.NgInterface{Name: "eth0", OS: "linux", LinkType: c.link, SnapLength: snaplen, TimestampResolution: 9}
	w, err := pcapgo.NewNgWriterInterface(&b, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "gencaps"}})
	must(err)
	for _, p := range c.pkts {
		data := c.frame(p)
		must(w.WritePacket(gopacket.CaptureInfo{Timestamp: p.ts, CaptureLength: len(data), Length: len(data), InterfaceIndex: 0}, data))
	}
	must(w.Flush())
	return b.Bytes()
}

// truncated cuts the file in the middle of the last packet record's data.
func truncated(c capture) []byte {
	b := pcapBytes(c)
	last := c.frame(c.pkts[len(c.pkts)-1])
	return b[:len(b)-len(last)/2]
}

// corruptPcap appends, after the first eight packets, a record header whose
// capture length is absurd, followed by a few bytes.
func corruptPcap(c capture) []byte {
	c.pkts = c.pkts[:8]
	b := pcapBytes(c)
	ts := c.pkts[len(c.pkts)-1].ts.Add(time.Millisecond)
	h := binary.LittleEndian.AppendUint32(nil, uint32(ts.Unix()))
	h = binary.LittleEndian.AppendUint32(h, uint32(ts.Nanosecond()/1000))
	h = binary.LittleEndian.AppendUint32(h, 0x7ffffff0) // caplen
	h = binary.LittleEndian.AppendUint32(h, 0x7ffffff0) // orig len
	return append(append(b, h...), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 8)...)
}

// corruptPcapng appends, after the first eight packets, an enhanced packet block whose
// total length is absurd, followed by a few bytes.
func corruptPcapng(c capture) []byte {
	c.pkts = c.pkts[:8]
	b := pcapngBytes(c)
	h := binary.LittleEndian.AppendUint32(nil, 6)       // enhanced packet block
	h = binary.LittleEndian.AppendUint32(h, 0xfffffff0) // block total length
	return append(append(b, h...), bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 8)...)
}

func main() {
	out := flag.String("out", "testdata", "directory to write the captures into")
	flag.Parse()
	if err := run(*out); err != nil {
		fmt.Fprintln(os.Stderr, "gencaps:", err)
		os.Exit(1)
	}
}

func run(out string) error {
	eth := layers.LinkTypeEthernet
	std4, std6 := standard(false).pkts, standard(true).pkts
	files := map[string][]byte{}
	for _, c := range []capture{
		{"reorder.pcap", eth, ethernet(), reorder()},
		{"retransmit.pcap", eth, ethernet(), retransmit()},
		{"overlap-diff.pcap", eth, ethernet(), overlapDiff()},
		{"gap.pcap", eth, ethernet(), gap()},
		{"midstream.pcap", eth, ethernet(), midstream()},
		{"rst.pcap", eth, ethernet(), rst()},
		{"syn-only.pcap", eth, ethernet(), synOnly()},
		{"fin-close.pcap", eth, ethernet(), finClose()},
		{"smuggling.pcap", eth, ethernet(), smuggling()},
		{"graphql.pcap", eth, ethernet(), graphqlAbuse()},
		{"linktype-sll.pcap", layers.LinkTypeLinuxSLL, sll, std4},
		{"linktype-sll2.pcap", layers.LinkTypeLinuxSLL2, sll2, std4},
		{"linktype-raw.pcap", layers.LinkTypeRaw, raw, std4},
		{"linktype-raw6.pcap", layers.LinkTypeRaw, raw, std6},
		{"linktype-null.pcap", layers.LinkTypeNull, null, std4},
		{"vlan-8021q.pcap", eth, ethernet(100), std4},
		{"vlan-qinq.pcap", eth, ethernet(200, 100), std4},
		{"ipv6-exthdr.pcap", eth, ethernet(), ipv6ExtHdr()},
		{"ipv4-frag.pcap", eth, ethernet(), ipv4Frag()},
		{"ipv6-frag.pcap", eth, ethernet(), ipv6Frag()},
		{"websocket.pcap", eth, ethernet(), websocket()},
		{"websocket-midstream.pcap", eth, ethernet(), websocketMidstream()},
		{"vxlan.pcap", eth, tunnelled(layers.IPProtocolUDP, udpTunnel(4789, vxlanHdr(1000))), std4},
		{"vxlan-tenants.pcap", eth, vxlanByTenant(), vxlanTenants()},
		{"vlan-tenants.pcap", eth, vlanByTenant(), vxlanTenants()},
		{"geneve.pcap", eth, tunnelled(layers.IPProtocolUDP, udpTunnel(6081, geneveHdr(2000))), std4},
		{"gretap.pcap", eth, tunnelled(layers.IPProtocolGRE, gre(0x6558, 3000, false, ethernet())), std4},
		{"erspan2.pcap", eth, tunnelled(layers.IPProtocolGRE, gre(0x88be, 0, true, erspan2(100))), std4},
		{"erspan3.pcap", eth, tunnelled(layers.IPProtocolGRE, gre(0x22eb, 0, true, erspan3(200))), std4},
		{"mpls.pcap", eth, mpls(16, 1001), std4},
		{"ipip.pcap", eth, tunnelled(layers.IPProtocolIPv4, func(p packet, _ int) []byte { return p.ip }), std4},
	} {
		files[c.name] = pcapBytes(c)
	}
	std := capture{link: eth, frame: ethernet(), pkts: std4}
	files["truncated.pcap"] = truncated(std)
	files["corrupt.pcap"] = corruptPcap(std)
	files["corrupt.pcapng"] = corruptPcapng(std)

	for name, data := range files {
		if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
			return fmt.Errorf("write capture: %w", err)
		}
	}
	return nil
}

// must panics on errors that can only come from a bug in this program (serializing
// well-formed layers into memory).
func must(err error) {
	if err != nil {
		panic(err)
	}
}
