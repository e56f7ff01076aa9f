package tls

import (
	"encoding/binary"
	"errors"

	"github.com/apisensor/sensor/decoders"
)

// Errors of ParseClientHello. They are sentinels: the decoder counts them by
// kind.
var (
	ErrNotClientHello = errors.New("not a ClientHello")
	ErrTruncated      = errors.New("ClientHello truncated")
	ErrMalformed      = errors.New("ClientHello malformed")
)

// Extension code points read here (IANA TLS ExtensionType registry).
const (
	extServerName          = 0x0000
	extSupportedGroups     = 0x000a
	extSignatureAlgorithms = 0x000d
	extALPN                = 0x0010
	extSupportedVersions   = 0x002b
)

// maxALPN bounds the ALPN protocols kept; maxNameLen one protocol or SNI.
const (
	maxALPN    = 16
	maxNameLen = 255
)

// reader reads big-endian fields and length-prefixed vectors from a byte
// slice; the first short read sets bad and every later read returns zero.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) u8() int {
	if len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return int(v)
}

func (r *reader) u16() int {
	if len(r.b) < 2 {
		r.bad = true
		r.b = nil
		return 0
	}
	v := binary.BigEndian.Uint16(r.b)
	r.b = r.b[2:]
	return int(v)
}

func (r *reader) bytes(n int) []byte {
	if n > len(r.b) {
		r.bad = true
		r.b = nil
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// vec8 and vec16 read a vector with a one- or two-byte length prefix.
func (r *reader) vec8() []byte  { return r.bytes(r.u8()) }
func (r *reader) vec16() []byte { return r.bytes(r.u16()) }

// u16s reads a vector of 16-bit code points; an odd length is malformed.
func u16s(b []byte) ([]uint16, bool) {
	if len(b)%2 != 0 {
		return nil, false
	}
	out := make([]uint16, len(b)/2)
	for i := range out {
		out[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return out, true
}

// ParseClientHello parses one handshake message (type, 3-byte length, body)
// that must be a ClientHello (RFC 8446 section 4.1.2, RFC 5246 section
// 7.4.1.2) and fills the fields of a TLSInfo, JA4 included. It keeps no
// reference to msg.
func ParseClientHello(msg []byte) (*decoders.TLSInfo, error) {
	if len(msg) < 4 {
		return nil, ErrTruncated
	}
	if msg[0] != handshakeClientHello {
		return nil, ErrNotClientHello
	}
	n := int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3])
	if len(msg)-4 < n {
		return nil, ErrTruncated
	}
	r := reader{b: msg[4 : 4+n]}
	info := &decoders.TLSInfo{}
	info.LegacyVersion = uint16(r.u16())
	r.bytes(32) // random
	r.vec8()    // legacy_session_id
	cs := r.vec16()
	r.vec8() // legacy_compression_methods
	if r.bad {
		return nil, ErrTruncated
	}
	var ok bool
	if info.Ciphers, ok = u16s(cs); !ok {
		return nil, ErrMalformed
	}
	info.Version = info.LegacyVersion
	if len(r.b) == 0 {
		// SSL 3.0 and early TLS 1.0 hellos may end before extensions.
		info.JA4 = JA4(info, 't')
		return info, nil
	}
	exts := reader{b: r.vec16()}
	if r.bad {
		return nil, ErrTruncated
	}
	for len(exts.b) > 0 {
		typ := uint16(exts.u16())
		data := exts.vec16()
		if exts.bad {
			return nil, ErrMalformed
		}
		info.Extensions = append(info.Extensions, typ)
		if err := parseExtension(info, typ, data); err != nil {
			return nil, err
		}
	}
	// With supported_versions, the highest version it lists is the one
	// offered (the legacy field stays 0x0303 for TLS 1.3).
	var best uint16
	for _, v := range info.SupportedVersions {
		if !isGREASE(v) && (best == 0 || versionRank(v) > versionRank(best)) {
			best = v
		}
	}
	if best != 0 {
		info.Version = best
	}
	info.JA4 = JA4(info, 't')
	return info, nil
}

func parseExtension(info *decoders.TLSInfo, typ uint16, data []byte) error {
	r := reader{b: data}
	var ok bool
	switch typ {
	case extServerName:
		list := reader{b: r.vec16()}
		for len(list.b) > 0 {
			kind := list.u8()
			name := list.vec16()
			if list.bad {
				return ErrMalformed
			}
			if kind == 0 && info.SNI == "" {
				info.SNI = printable(name)
			}
		}
	case extALPN:
		list := reader{b: r.vec16()}
		for len(list.b) > 0 {
			p := list.vec8()
			if list.bad {
				return ErrMalformed
			}
			if len(info.ALPN) < maxALPN {
				info.ALPN = append(info.ALPN, string(p[:min(len(p), maxNameLen)]))
			}
		}
	case extSignatureAlgorithms:
		if info.SignatureAlgorithms, ok = u16s(r.vec16()); !ok {
			return ErrMalformed
		}
	case extSupportedGroups:
		if info.Groups, ok = u16s(r.vec16()); !ok {
			return ErrMalformed
		}
	case extSupportedVersions:
		if info.SupportedVersions, ok = u16s(r.vec8()); !ok {
			return ErrMalformed
		}
	default:
		return nil
	}
	if r.bad {
		return ErrMalformed
	}
	return nil
}

// printable returns a host name as a string, bounded, with bytes outside
// printable ASCII replaced: SNI is an ASCII (A-label) name, anything else
// is hostile or broken.
func printable(b []byte) string {
	b = b[:min(len(b), maxNameLen)]
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x21 || c > 0x7e {
			c = '?'
		}
		out[i] = c
	}
	return string(out)
}

// isGREASE tells the reserved GREASE values (RFC 8701): 0x0a0a, 0x1a1a, …
// 0xfafa.
func isGREASE(v uint16) bool { return v&0x0f0f == 0x0a0a && v>>8 == v&0xff }

// versionRank orders protocol versions; DTLS versions count down on the
// wire (0xfeff is 1.0, 0xfefd 1.2).
func versionRank(v uint16) int {
	switch {
	case v == 0x0002:
		return 1
	case v >= 0x0300 && v <= 0x03ff:
		return int(v)
	case v >= 0xfe00:
		return 0x0300 + int(0xffff-v)
	}
	return 0
}
