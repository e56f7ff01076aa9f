package decoders

import (
	"bytes"
	"encoding/binary"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// toWide writes s in enc, with a byte order mark when bom is set.
func toWide(s, enc string, bom bool) []byte {
	var b []byte
	switch enc {
	case encUTF32LE, encUTF32BE:
		var order binary.AppendByteOrder = binary.LittleEndian
		if enc == encUTF32BE {
			order = binary.BigEndian
		}
		if bom {
			b = order.AppendUint32(b, 0xfeff)
		}
		for _, r := range s {
			b = order.AppendUint32(b, uint32(r))
		}
	default:
		var order binary.AppendByteOrder = binary.LittleEndian
		if enc == encUTF16BE {
			order = binary.BigEndian
		}
		if bom {
			b = order.AppendUint16(b, 0xfeff)
		}
		for _, u := range utf16.Encode([]rune(s)) {
			b = order.AppendUint16(b, u)
		}
	}
	return b
}

// TestWideBodies: a body in UTF-16 or UTF-32 yields the parameters of its
// UTF-8 form, whether a byte order mark, the charset or, for JSON and XML,
// the first bytes tell the encoding, and the exchange records it.
func TestWideBodies(t *testing.T) {
	const (
		jsonBody = `{"q":"1' OR '1'='1","name":"Łukasz 😀"}`
		xmlBody  = `<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r><q>&x;</q></r>`
		formBody = `q=1%27+OR+%271%27%3D%271&n=%C5%81`
	)
	for _, tc := range []struct {
		name, ct, utf8Body, enc string
		bom                     bool
		want                    string // the encoding recorded; "" for none
	}{
		{"json utf-16le by its zeros", "application/json", jsonBody, encUTF16LE, false, encUTF16LE},
		{"json utf-16be by its zeros", "application/json; charset=utf-8", jsonBody, encUTF16BE, false, encUTF16BE},
		{"json utf-32le by its zeros", "application/json", jsonBody, encUTF32LE, false, encUTF32LE},
		{"json utf-32be by its zeros", "application/vnd.api+json", jsonBody, encUTF32BE, false, encUTF32BE},
		{"json utf-16be with a bom", "application/json", jsonBody, encUTF16BE, true, encUTF16BE},
		{"json utf-32le with a bom, no type", "", jsonBody, encUTF32LE, true, encUTF32LE},
		{"xml utf-16le with a bom", "application/xml", xmlBody, encUTF16LE, true, encUTF16LE},
		{"xml utf-16be with a bom, element names in cyrillic", "application/xml", `<д>1' OR '1'='1</д>`, encUTF16BE, true, encUTF16BE},
		{"xml utf-16be by its zeros", "text/xml", xmlBody, encUTF16BE, false, encUTF16BE},
		{"form by its charset", "application/x-www-form-urlencoded; charset=UTF-16", formBody, encUTF16LE, false, encUTF16LE},
		{"form utf-16be by its charset", `application/x-www-form-urlencoded; charset="utf-16be"`, formBody, encUTF16BE, false, encUTF16BE},
		{"json in utf-8", "application/json", jsonBody, "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.utf8Body)
			if tc.enc != "" {
				body = toWide(tc.utf8Body, tc.enc, tc.bom)
			}
			wide := req("/", "", string(body), "Content-Type", tc.ct)
			// The UTF-8 body, its type without the charset.
			mt, _, _ := strings.Cut(tc.ct, ";")
			plain := req("/", "", tc.utf8Body, "Content-Type", mt)
			ExtractParams(wide, nil)
			ExtractParams(plain, nil)
			got, want := notHeaders(wide.Params), notHeaders(plain.Params)
			if len(want) == 0 {
				t.Fatalf("the UTF-8 body gave no parameters:\n%s", fmtParams(plain.Params))
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parameters\n%s\nwant those of the UTF-8 body\n%s", fmtParams(got), fmtParams(want))
			}
			var note string
			for _, a := range wide.Anomalies {
				if a.Kind == KindBodyUnicode {
					note = a.Detail
				}
			}
			if want := map[bool]string{true: "request body in " + tc.want, false: ""}[tc.want != ""]; note != want {
				t.Errorf("anomaly %q, want %q", note, want)
			}
		})
	}
}

func notHeaders(ps []Param) []Param {
	var out []Param
	for _, p := range ps {
		if p.Loc != LocHeader {
			out = append(out, p)
		}
	}
	return out
}

// TestWideBodyLeftAlone: bodies whose zero bytes mean nothing of the kind
// stay as they are.
func TestWideBodyLeftAlone(t *testing.T) {
	for _, tc := range []struct {
		ct   string
		body []byte
	}{
		{"application/octet-stream", toWide(`{"a":1}`, encUTF16LE, false)}, // not JSON or XML by its type
		{"image/png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR")},
		{"application/json", []byte(`{"a":"\u0000"}`)},
		{"application/json", []byte{'{', 0, 0}},
		{"application/grpc", []byte{0, 0, 0, 0, 5, 10, 3, 'a', 'b', 'c'}},
	} {
		out, enc := wideBody(tc.ct, tc.body)
		if enc != "" || !bytes.Equal(out, tc.body) {
			t.Errorf("%s % x: read as %q", tc.ct, tc.body, enc)
		}
	}
}

// TestWideBodyClaimsIgnored: a byte order mark or a charset that the bytes
// do not bear out is ignored, as the back ends that read the bytes do: the
// parameters are the UTF-8 body's.
func TestWideBodyClaimsIgnored(t *testing.T) {
	const atk = "1' OR '1'='1"
	for _, tc := range []struct{ name, ct, body string }{
		{"form starting with ff fe", "application/x-www-form-urlencoded", "\xff\xfe=1&q=" + url.QueryEscape(atk)},
		{"form in utf-8 said to be utf-16", "application/x-www-form-urlencoded; charset=utf-16", "q=" + url.QueryEscape(atk)},
		{"json in utf-8 said to be utf-16", "application/json; charset=utf-16", `{"q":"` + atk + `"}`},
		{"multipart with an ff fe preamble", "multipart/form-data; boundary=XB",
			"\xff\xfe\r\n--XB\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n" + atk + "\r\n--XB--\r\n"},
		{"octet-stream starting with ff fe", "application/octet-stream", "\xff\xfe" + atk},
	} {
		x := req("/", "", tc.body, "Content-Type", tc.ct)
		ExtractParams(x, nil)
		found := false
		for _, p := range notHeaders(x.Params) {
			found = found || strings.Contains(p.Value, atk) || strings.Contains(p.Decoded, atk)
		}
		if !found || len(x.Anomalies) != 0 {
			t.Errorf("%s: parameters %s, anomalies %v", tc.name, fmtParams(x.Params), x.Anomalies)
		}
	}
}

// FuzzWideBody: any text written in any wide form, with or without a byte
// order mark, reads back as itself when its first characters' zeros agree,
// and is left alone otherwise; any bytes at all give valid UTF-8 no longer
// than they allow.
func FuzzWideBody(f *testing.F) {
	f.Add(`{"q":"x"}`, uint8(0), []byte{0xff, 0xfe, '{', 0})
	f.Add(`<a>é</a>`, uint8(5), []byte{0, 0, 0xfe, 0xff, 0, 0, 0, '<'})
	f.Add("[😀]", uint8(3), []byte{0xd8, 0x3d})
	f.Add("\x000\x00", uint8(4), []byte("0"))
	encs := []string{encUTF16LE, encUTF16BE, encUTF32LE, encUTF32BE}
	f.Fuzz(func(t *testing.T, s string, sel uint8, raw []byte) {
		enc, bom := encs[sel%4], sel&4 != 0
		// UTF-16LE's byte order mark and a NUL, FF FE 00 00, are
		// UTF-32LE's mark: every reader takes them so, and so does
		// wideBody. Such text is no case of enc.
		markOf32 := bom && enc == encUTF16LE && strings.HasPrefix(s, "\x00")
		if utf8.ValidString(s) && !markOf32 {
			ct := "application/json"
			if !bom {
				ct += "; charset=" + enc
			}
			w := toWide(s, enc, false)
			out, got := wideBody(ct, toWide(s, enc, bom))
			// Read as enc exactly when the bytes agree: after a
			// byte order mark the first character is ASCII, else
			// the first characters' zeros say enc.
			agree := len(w) >= 4 && zeroPattern(w) == enc
			if bom {
				agree = len(w) >= 2 && asciiFirst(w, enc)
			}
			if agree {
				if got != enc || string(out) != s {
					t.Fatalf("%q in %s (bom %v): read as %q in %q", s, enc, bom, out, got)
				}
			} else if got != "" {
				t.Fatalf("%q in %s (bom %v): read as %q though its zeros do not say so", s, enc, bom, got)
			}
		}
		for _, ct := range []string{"application/json", "text/xml; charset=utf-16", "", "text/plain; charset=utf-32be"} {
			out, enc := wideBody(ct, raw)
			if enc == "" {
				if !bytes.Equal(out, raw) {
					t.Fatal("a body read as is changed")
				}
				continue
			}
			if !utf8.Valid(out) || len(out) > len(raw)*3/2+4 {
				t.Fatalf("%d bytes of %s from %d", len(out), enc, len(raw))
			}
		}
	})
}
