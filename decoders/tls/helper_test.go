package tls

import (
	"encoding/binary"
	"strconv"
	"strings"
)

// hello describes a ClientHello for building test bytes.
type hello struct {
	version  uint16
	ciphers  []uint16
	exts     []uint16 // order of extensions; data from the fields below
	sni      string
	alpn     []string
	sigs     []uint16
	versions []uint16
	groups   []uint16
}

func be16(b []byte, v int) []byte { return binary.BigEndian.AppendUint16(b, uint16(v)) }

// vec16 appends data with a 2-byte length.
func vec16(b, data []byte) []byte { return append(be16(b, len(data)), data...) }

func u16list(vs []uint16) []byte {
	var b []byte
	for _, v := range vs {
		b = be16(b, int(v))
	}
	return b
}

// handshake returns the ClientHello handshake message.
func (h *hello) handshake() []byte {
	var body []byte
	v := h.version
	if v == 0 {
		v = 0x0303
	}
	body = be16(body, int(v))
	body = append(body, make([]byte, 32)...) // random
	body = append(body, 32)
	body = append(body, make([]byte, 32)...) // session id
	body = vec16(body, u16list(h.ciphers))
	body = append(body, 1, 0) // compression: null
	var exts []byte
	for _, e := range h.exts {
		var data []byte
		switch e {
		case extServerName:
			name := append([]byte{0}, vec16(nil, []byte(h.sni))...)
			data = vec16(nil, name)
		case extALPN:
			var l []byte
			for _, p := range h.alpn {
				l = append(l, byte(len(p)))
				l = append(l, p...)
			}
			data = vec16(nil, l)
		case extSignatureAlgorithms:
			data = vec16(nil, u16list(h.sigs))
		case extSupportedGroups:
			data = vec16(nil, u16list(h.groups))
		case extSupportedVersions:
			l := u16list(h.versions)
			data = append([]byte{byte(len(l))}, l...)
		case 0x0015: // padding
			data = make([]byte, 7)
		}
		exts = be16(exts, int(e))
		exts = vec16(exts, data)
	}
	body = vec16(body, exts)
	msg := []byte{handshakeClientHello, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}
	return append(msg, body...)
}

// records wraps a handshake message in records of at most size bytes.
func records(msg []byte, size int) []byte {
	var out []byte
	for len(msg) > 0 {
		n := min(size, len(msg))
		out = append(out, recordHandshake, 3, 1)
		out = be16(out, n)
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

// hexes parses "1301,1302" into code points.
func hexes(s string) []uint16 {
	var out []uint16
	for f := range strings.SplitSeq(s, ",") {
		v, err := strconv.ParseUint(f, 16, 16)
		if err != nil {
			panic(err)
		}
		out = append(out, uint16(v))
	}
	return out
}
