// Package tls recognises TLS connections and fingerprints their clients.
//
// Input is one connection's two reassembled byte streams, pushed by the
// decoders dispatcher, which finds this decoder through the "tls" protocol
// registered from init (Sniff: a handshake record carrying a ClientHello at
// the start of the client's stream). The decoder reassembles the ClientHello
// across records and segments (at most MaxHelloBytes), parses it
// (ParseClientHello), computes its JA4 (JA4) and hands one decoders.Exchange
// with Proto "tls", TLS set and no Request or Response to Env.Emit. Every
// later byte of the connection is encrypted: it is counted
// (CountEncryptedBytes), never buffered. Problems are counted by kind
// ("tls.*"); nothing here panics on hostile input.
package tls

import (
	"strconv"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// ProtoName is the name the decoder is registered under, and Exchange.Proto
// of its exchanges.
const ProtoName = "tls"

// Record and handshake types (RFC 8446 section 5.1 and 4).
const (
	recordHandshake      = 22
	handshakeClientHello = 1
	recordHeaderLen      = 5
	// maxRecord is the largest record a peer may send: 2^14 bytes of
	// plaintext plus the expansion TLS 1.2 allows.
	maxRecord = 1<<14 + 2048
)

// MaxHelloBytes bounds the ClientHello message kept while it is being
// reassembled. Real hellos are well under 2 KiB (post-quantum key shares
// bring them near 2 KiB, padding to 512); one over the bound is counted and
// not parsed.
const MaxHelloBytes = 16 << 10

// Counter and anomaly kinds.
const (
	// CountEncryptedBytes counts the bytes after the ClientHello, both
	// directions: seen, not decoded.
	CountEncryptedBytes = "tls.encrypted_bytes"
	// CountHellos counts ClientHellos parsed.
	CountHellos = "tls.client_hellos"
	// KindHelloTooLarge: the ClientHello is over MaxHelloBytes.
	KindHelloTooLarge = "tls.hello_too_large"
	// KindBadRecord: a record that is not a handshake record, or of an
	// impossible length, before the ClientHello was complete.
	KindBadRecord = "tls.bad_record"
	// KindBadHello: the handshake message is not a well-formed ClientHello.
	KindBadHello = "tls.bad_client_hello"
	// KindTruncatedHello: the connection ended, or bytes were lost, before
	// the ClientHello was complete.
	KindTruncatedHello = "tls.truncated_hello"
)

func init() {
	decoders.Register(decoders.Protocol{Name: ProtoName, Sniff: Sniff, New: New})
}

// Sniff recognises a connection whose client starts with a handshake record
// carrying a ClientHello; Reversed when the ClientHello is in the bytes
// guessed to be the server's. A connection joined mid-stream is not
// recognised: its hello is gone, and encrypted records are not worth a
// decoder.
func Sniff(client, server []byte, midStream bool) decoders.Verdict {
	c := sniffHello(client)
	switch c {
	case decoders.Yes:
		return decoders.Yes
	case decoders.NeedMore:
		return decoders.NeedMore
	}
	switch sniffHello(server) {
	case decoders.Yes:
		return decoders.Reversed
	case decoders.NeedMore:
		if len(client) >= recordHeaderLen && client[0] == recordHandshake && client[1] == 3 {
			// A handshake record from the "client": perhaps the
			// ServerHello, the ClientHello still to come.
			return decoders.NeedMore
		}
	}
	return decoders.No
}

// sniffHello tells whether b starts with a handshake record holding the
// start of a ClientHello.
func sniffHello(b []byte) decoders.Verdict {
	need := [...]func(b []byte) bool{
		func(b []byte) bool { return b[0] == recordHandshake },
		func(b []byte) bool { return b[1] == 3 },
		func(b []byte) bool { return b[2] <= 4 },
		func(b []byte) bool { return true },
		func(b []byte) bool { n := int(b[3])<<8 | int(b[4]); return n >= 4 && n <= maxRecord },
		func(b []byte) bool { return b[5] == handshakeClientHello },
	}
	for i, ok := range need {
		if len(b) <= i {
			return decoders.NeedMore
		}
		if !ok(b) {
			return decoders.No
		}
	}
	return decoders.Yes
}

type state uint8

const (
	stRecordHeader state = iota // reading a record header
	stRecordBody                // reading a handshake record's fragment
	stDone                      // hello handled or given up: count only
)

// decoder is one TLS connection.
type decoder struct {
	env   *decoders.Env
	state state
	hdr   [recordHeaderLen]byte
	hn    int
	need  int    // fragment bytes still to read in the current record
	hello []byte // handshake bytes so far
	// frames carried the hello.
	frames []uint64
}

// New returns a decoder for one connection.
func New(env *decoders.Env) decoders.Decoder { return &decoder{env: env} }

// Feed consumes one chunk of either direction.
func (d *decoder) Feed(c *sensor.Chunk) *decoders.Switch {
	if d.state == stDone || c.Dir != sensor.ClientToServer {
		d.encrypted(c.Data)
		return nil
	}
	if c.Gap > 0 {
		d.fail(KindTruncatedHello, "bytes lost before the ClientHello was complete")
		d.encrypted(c.Data)
		return nil
	}
	d.frames = appendFrames(d.frames, c.Frames)
	p := c.Data
	for len(p) > 0 && d.state != stDone {
		switch d.state {
		case stRecordHeader:
			n := copy(d.hdr[d.hn:], p)
			d.hn += n
			p = p[n:]
			if d.hn < recordHeaderLen {
				continue
			}
			d.hn = 0
			d.need = int(d.hdr[3])<<8 | int(d.hdr[4])
			if d.hdr[0] != recordHandshake || d.hdr[1] != 3 || d.need == 0 || d.need > maxRecord {
				d.fail(KindBadRecord, "record type "+strconv.Itoa(int(d.hdr[0]))+" of "+strconv.Itoa(d.need)+" bytes before the ClientHello ended")
				continue
			}
			d.state = stRecordBody
		case stRecordBody:
			n := min(d.need, len(p))
			if len(d.hello)+n > MaxHelloBytes+4 {
				d.fail(KindHelloTooLarge, "over "+strconv.Itoa(MaxHelloBytes)+" bytes")
				continue
			}
			d.hello = append(d.hello, p[:n]...)
			p = p[n:]
			d.need -= n
			if d.need == 0 {
				d.state = stRecordHeader
			}
			d.check(c.Time)
		}
	}
	d.encrypted(p)
	return nil
}

func (d *decoder) encrypted(p []byte) {
	if len(p) > 0 {
		d.env.Counts.Add(CountEncryptedBytes, uint64(len(p)))
	}
}

// check parses the hello once all of its bytes are in.
func (d *decoder) check(at time.Time) {
	if len(d.hello) < 4 {
		return
	}
	n := int(d.hello[1])<<16 | int(d.hello[2])<<8 | int(d.hello[3])
	switch {
	case d.hello[0] != handshakeClientHello:
		d.fail(KindBadHello, "handshake type "+strconv.Itoa(int(d.hello[0])))
		return
	case n > MaxHelloBytes:
		d.fail(KindHelloTooLarge, strconv.Itoa(n)+" bytes")
		return
	case len(d.hello) < 4+n:
		return
	}
	info, err := ParseClientHello(d.hello[:4+n])
	if err != nil {
		d.fail(KindBadHello, err.Error())
		return
	}
	info.Time = at
	info.Frames = d.frames
	d.env.Counts.Inc(CountHellos)
	d.finish()
	d.env.Emit(&decoders.Exchange{Conn: d.env.Conn, Proto: ProtoName, TLS: info})
}

// fail gives up on the hello: the kind is counted and the rest of the
// connection only counted.
func (d *decoder) fail(kind, detail string) {
	d.env.Anomaly(nil, decoders.Anomaly{Kind: kind, Detail: detail, Dir: sensor.ClientToServer})
	d.finish()
}

func (d *decoder) finish() {
	d.state, d.hello, d.frames = stDone, nil, nil
}

// Close ends the connection; a hello still incomplete is counted.
func (d *decoder) Close(_ sensor.EndReason, _ time.Time) {
	if d.state != stDone && (len(d.hello) > 0 || d.hn > 0) {
		d.fail(KindTruncatedHello, "connection ended")
	}
	d.finish()
}

func appendFrames(dst, frames []uint64) []uint64 {
	for _, f := range frames {
		if len(dst) >= decoders.MaxFrames {
			break
		}
		if n := len(dst); n == 0 || dst[n-1] != f {
			dst = append(dst, f)
		}
	}
	return dst
}
