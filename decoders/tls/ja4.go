package tls

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/apisensor/sensor/decoders"
)

// JA4 returns the JA4 fingerprint of a ClientHello (FoxIO, BSD 3-Clause:
// technical_details/JA4.md): proto is 't' for TLS over TCP, 'q' for QUIC,
// 'd' for DTLS.
//
//	t13d1516h2_8daaf6152771_d8a2da3f94cd
//	│││ │ │ │  │            └ sha256 of the sorted extensions (SNI and ALPN
//	│││ │ │ │  │              left out) "_" the signature algorithms in
//	│││ │ │ │  │              order, first 12 hex digits
//	│││ │ │ │  └ sha256 of the sorted cipher suites, first 12 hex digits
//	│││ │ │ └ first and last character of the first ALPN value ("00": none)
//	│││ │ └ extensions, 2 digits, at most 99
//	│││ └ cipher suites, 2 digits, at most 99
//	││└ d: SNI present, i: none
//	│└ highest version offered
//	└ protocol
//
// GREASE values are left out everywhere; code points are 4 lower-case hex
// digits joined by commas.
func JA4(info *decoders.TLSInfo, proto byte) string {
	ciphers := make([]uint16, 0, len(info.Ciphers))
	for _, c := range info.Ciphers {
		if !isGREASE(c) {
			ciphers = append(ciphers, c)
		}
	}
	var exts []uint16
	nExt, sni := 0, byte('i')
	for _, e := range info.Extensions {
		switch {
		case isGREASE(e):
			continue
		case e == extServerName:
			sni = 'd'
		case e == extALPN:
		default:
			exts = append(exts, e)
		}
		nExt++
	}
	b := make([]byte, 0, 36)
	b = append(b, proto)
	b = append(b, versionCode(info.Version)...)
	b = append(b, sni)
	b = appendCount(b, len(ciphers))
	b = appendCount(b, nExt)
	b = appendALPN(b, info.ALPN)
	b = append(b, '_')

	slices.Sort(ciphers)
	b = appendHash(b, hexList(nil, ciphers), len(ciphers) == 0)
	b = append(b, '_')

	slices.Sort(exts)
	raw := hexList(nil, exts)
	var sigs []uint16
	for _, s := range info.SignatureAlgorithms {
		if !isGREASE(s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) > 0 {
		raw = append(raw, '_')
		raw = hexList(raw, sigs)
	}
	b = appendHash(b, raw, len(exts) == 0)
	return string(b)
}

// versionCode is the two-character version of JA4: "13", "12", … "s3".
func versionCode(v uint16) string {
	switch v {
	case 0x0304:
		return "13"
	case 0x0303:
		return "12"
	case 0x0302:
		return "11"
	case 0x0301:
		return "10"
	case 0x0300:
		return "s3"
	case 0x0002:
		return "s2"
	case 0xfeff:
		return "d1"
	case 0xfefd:
		return "d2"
	case 0xfefc:
		return "d3"
	}
	return "00"
}

func appendCount(b []byte, n int) []byte {
	n = min(n, 99)
	if n < 10 {
		b = append(b, '0')
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// appendALPN appends the first and last characters of the first ALPN
// value, or, when either is not alphanumeric, the first hex digit of its
// first byte and the last hex digit of its last byte.
func appendALPN(b []byte, alpn []string) []byte {
	if len(alpn) == 0 || alpn[0] == "" {
		return append(b, '0', '0')
	}
	first, last := alpn[0][0], alpn[0][len(alpn[0])-1]
	if isAlnum(first) && isAlnum(last) {
		return append(b, first, last)
	}
	return append(b, hexDigits[first>>4], hexDigits[last&0xf])
}

const hexDigits = "0123456789abcdef"

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// hexList appends vs as 4-digit lower-case hex joined by commas.
func hexList(b []byte, vs []uint16) []byte {
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, hexDigits[v>>12], hexDigits[v>>8&0xf], hexDigits[v>>4&0xf], hexDigits[v&0xf])
	}
	return b
}

// appendHash appends the first 12 hex digits of sha256(raw), or twelve
// zeros when the list is empty.
func appendHash(b, raw []byte, empty bool) []byte {
	if empty {
		return append(b, "000000000000"...)
	}
	sum := sha256.Sum256(raw)
	return hex.AppendEncode(b, sum[:6])
}
