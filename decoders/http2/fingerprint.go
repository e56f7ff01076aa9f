package http2

import (
	"encoding/binary"
	"strconv"
)

// maxFingerprintPriorities bounds the PRIORITY frames a fingerprint lists;
// maxFingerprintSettings the SETTINGS entries.
const (
	maxFingerprintPriorities = 16
	maxFingerprintSettings   = 32
)

// fingerprint collects the HTTP/2 client fingerprint of a connection, as
// Akamai's "Passive Fingerprinting of HTTP/2 Clients" (Black Hat EU 2017)
// defines it, from what the client sends before and in its first HEADERS:
//
//	S[;]|WU|P[,]#|PS[,]
//	1:65536;3:1000;4:6291456|15663105|0|m,a,s,p
//
// S is the first SETTINGS frame's id:value pairs in the order sent; WU the
// increment of the first connection WINDOW_UPDATE ("00" when none); P the
// PRIORITY frames as stream:exclusive:dependency:weight ("0" when none); PS
// the order of the pseudo-headers of the first request (m :method,
// a :authority, s :scheme, p :path). Clients build these from their HTTP/2
// library's defaults, so the fingerprint tells libraries (and their
// versions) apart whatever User-Agent they claim.
//
// It is only taken when the client preface was seen: joined mid-stream, the
// settings are gone.
type fingerprint struct {
	settings     []byte // "1:65536;3:1000"
	haveSettings bool
	window       uint32
	priorities   []byte // "3:0:0:201,5:0:0:101"
	nPriorities  int
	done         bool
	value        string
}

// clientFrame records a control frame the client sent, until its first
// HEADERS.
func (f *fingerprint) clientFrame(h frameHeader, p []byte) {
	if f.done {
		return
	}
	switch h.typ {
	case frameSettings:
		if f.haveSettings || h.has(flagAck) {
			return
		}
		f.haveSettings = true
		for n := 0; len(p) >= 6 && n < maxFingerprintSettings; p, n = p[6:], n+1 {
			if n > 0 {
				f.settings = append(f.settings, ';')
			}
			f.settings = strconv.AppendUint(f.settings, uint64(binary.BigEndian.Uint16(p)), 10)
			f.settings = append(f.settings, ':')
			f.settings = strconv.AppendUint(f.settings, uint64(binary.BigEndian.Uint32(p[2:])), 10)
		}
	case frameWindowUpdate:
		if h.stream == 0 && f.window == 0 && len(p) == 4 {
			f.window = binary.BigEndian.Uint32(p) & 0x7fffffff
		}
	case framePriority:
		if len(p) != 5 || f.nPriorities >= maxFingerprintPriorities {
			return
		}
		if f.nPriorities > 0 {
			f.priorities = append(f.priorities, ',')
		}
		f.nPriorities++
		dep := binary.BigEndian.Uint32(p)
		excl := 0
		if dep&0x80000000 != 0 {
			excl = 1
		}
		f.priorities = strconv.AppendUint(f.priorities, uint64(h.stream), 10)
		f.priorities = append(f.priorities, ':')
		f.priorities = strconv.AppendInt(f.priorities, int64(excl), 10)
		f.priorities = append(f.priorities, ':')
		f.priorities = strconv.AppendUint(f.priorities, uint64(dep&0x7fffffff), 10)
		f.priorities = append(f.priorities, ':')
		f.priorities = strconv.AppendUint(f.priorities, uint64(p[4])+1, 10)
	}
}

// firstHeaders completes the fingerprint with the pseudo-header order of
// the client's first request.
func (f *fingerprint) firstHeaders(fields []hfield) {
	if f.done {
		return
	}
	f.done = true
	b := make([]byte, 0, len(f.settings)+len(f.priorities)+24)
	b = append(b, f.settings...)
	b = append(b, '|')
	if f.window == 0 {
		b = append(b, "00"...)
	} else {
		b = strconv.AppendUint(b, uint64(f.window), 10)
	}
	b = append(b, '|')
	if f.nPriorities == 0 {
		b = append(b, '0')
	} else {
		b = append(b, f.priorities...)
	}
	b = append(b, '|')
	n := 0
	for _, fl := range fields {
		var c byte
		switch fl.name {
		case ":method":
			c = 'm'
		case ":authority":
			c = 'a'
		case ":scheme":
			c = 's'
		case ":path":
			c = 'p'
		default:
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, c)
		n++
	}
	f.value = string(b)
	f.settings, f.priorities = nil, nil
}
