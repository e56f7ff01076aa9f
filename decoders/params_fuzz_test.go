package decoders

import (
	"fmt"
	"strings"
	"testing"
)

func FuzzExtractParams(f *testing.F) {
	f.Add("application/json", "a=1&b=%2527", []byte(`{"user":{"name":"x","ids":[1,2,{"$ne":null}]},"s":"\u00e9\ud83d\ude00"}`))
	f.Add("application/json", "", []byte(`[[[[[[[[[[[[{"a":"b"}]]]]]]]]]]]] {"x":tru`))
	f.Add("text/plain", "q", []byte(` {"a":"\u12`))
	f.Add("application/x-www-form-urlencoded", "x=%zz", []byte("a=1&b=%2B+&&=c&d"))
	f.Add("text/xml", "", []byte(`<?xml version="1.0" encoding="latin1"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///">]><a k="v"><b>&e;</b><c><![CDATA[z]]></a>`))
	f.Add("application/soap+xml", "", []byte(`<a><b><c><d><e><f><g><h><i><j>deep</j></i></h></g></f></e></d></c></b></a>`))
	f.Add(`multipart/form-data; boundary="b"`, "", []byte("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"../x\"\r\nContent-Type: text/plain\r\n\r\ndata\r\n--b\r\nContent-Disposition: form-data; name=t\r\n\r\nv\r\n--b--\r\n"))
	f.Add("multipart/form-data; boundary=b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"q\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\na=3Db\r\n--b"))
	f.Add("multipart/form-data; boundary=b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x\x00y\"\r\n\r\nd\r\n--b\nContent-Disposition: form-data; name=t\n\nv\n--b\r\nno colon\r\n\r\n--b--"))
	f.Add("multipart/form-data; boundary=b", "", []byte("--b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.svg\"\r\nContent-Type: image/svg+xml\r\n\r\n<!DOCTYPE s [<!ENTITY x SYSTEM \"file:///\">]><s>&x;</s>\r\n--b\r\nContent-Disposition: form-data; name=\"j\"; filename=\"a.json\"\r\n\r\n{\"a\":[1,{\"$type\":\"x\"}]}\r\n--b--"))
	f.Add("image/png", "", []byte("\x89PNG\r\n\x1a\n\x00"))
	f.Add("", "", []byte("<!doctype html><p>hi"))
	f.Add(";;;/json", "=&=", []byte("\"\\"))
	f.Add("application/json", "", toWide(`{"q":"1' OR 1=1--","n":[1,{"$gt":""}]}`, encUTF16LE, false))
	f.Add("text/xml", "", toWide(`<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///">]><a>&e;</a>`, encUTF16BE, true))
	f.Add("application/x-www-form-urlencoded; charset=utf-32", "", toWide("a=%27&b=c", encUTF32LE, false))
	f.Add("multipart/form-data; boundary=b", "q", []byte("--b\r\nContent-Disposition: form-data; name=\"q\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJyBvciAxPTEtLQ==\r\n--b\r\nContent-Disposition: form-data; name=\"q\"\r\nContent-Transfer-Encoding: base64\r\n\r\n' or!1=1\r\n--b--"))
	f.Add("application/x-www-form-urlencoded; charset=ibm037", "", []byte("%98=%7D%40%96%99%40%F1%7E%F1&a=b"))
	f.Add("application/json; charset=cp1140", "", []byte{0xc0, 0x7f, 0x98, 0x7f, 0x7a, 0x7f, 0x7d, 0x40, 0x96, 0x99, 0x7f, 0xd0})
	f.Add(`multipart/form-data; boundary=a; boundary="b"; boundary*=utf-8''c`, "q", []byte("--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\nx\r\n--b--\r\n--c\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\ny\r\n--c--"))
	f.Add(`multipart/form-data; boundary="b"; charset=ebcdic-cp-us`, "q", []byte("--b\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\n\x7d\x40\x96\x99\r\n--b--"))
	f.Add("text/plain", "ct=application/x-www-form-urlencoded; charset=ibm037", []byte("%98=%7D"))
	f.Fuzz(func(t *testing.T, ct, query string, body []byte) {
		l := DefaultLimits()
		l.MaxParams, l.MaxParamBytes, l.MaxNesting = 24, 32, 6
		x := &Exchange{Request: &Message{
			Path:  "/a/" + query,
			Query: query,
			Headers: []Header{
				{"Content-Type", ct},
				{"Cookie", query},
				{"X-Q", query},
			},
			Body: body,
		}}
		if strings.HasPrefix(query, "ct=") {
			// A second Content-Type (KindContentTypes).
			x.Request.Headers = append(x.Request.Headers, Header{"content-type", query[3:]})
		}
		dropped := ExtractParams(x, &l)
		if dropped < 0 || len(x.Params) > l.MaxParams {
			t.Fatalf("%d params, %d dropped", len(x.Params), dropped)
		}
		for _, p := range x.Params {
			if err := checkParam(&p, &l); err != nil {
				t.Fatal(err)
			}
		}
		// A field read whole is never more than the body holds, twice
		// for a part in base64 that is read two ways, once per boundary.
		n := 0
		for _, v := range MultipartFields(x.Request, query) {
			n += len(v)
		}
		if n > 2*maxBoundaries*len(body) {
			t.Fatalf("MultipartFields read %d bytes from a %d-byte body", n, len(body))
		}
	})
}

func checkParam(p *Param, l *Limits) error {
	switch {
	case len(p.Name) > l.MaxParamBytes, len(p.Value) > l.MaxParamBytes, len(p.Decoded) > l.MaxParamBytes:
		return fmt.Errorf("param %s %q longer than %d bytes", p.Loc, p.Name, l.MaxParamBytes)
	case p.Decodes < 0 || p.Decodes > maxDecodeRounds:
		return fmt.Errorf("param %s %q: %d decodes", p.Loc, p.Name, p.Decodes)
	case p.Decodes == 0 && p.Decoded != "":
		return fmt.Errorf("param %s %q: Decoded set without decodes", p.Loc, p.Name)
	case p.Loc == LocPath && (p.Value == "" || strings.Contains(p.Value, "/")):
		return fmt.Errorf("path segment %q", p.Value)
	case p.Loc == LocName && (plainName(p.Value) || p.Name == ""):
		return fmt.Errorf("name parameter %q %q", p.Name, p.Value)
	}
	return nil
}
