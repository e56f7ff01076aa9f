package crs

import (
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/detect"
)

// locations a fuzzed parameter can take.
var fuzzLocs = []decoders.Location{
	decoders.LocPath, decoders.LocQuery, decoders.LocHeader, decoders.LocCookie, decoders.LocForm,
	decoders.LocJSON, decoders.LocMultipart, decoders.LocXML, decoders.LocBody, decoders.LocProtobuf,
}

// FuzzInspect feeds arbitrary request fields to CRS in mode all: no panic,
// at most one alert, evidence bounded.
func FuzzInspect(f *testing.F) {
	f.Add("GET", "/api/search?q=1%27%20OR%201=1--", "user-agent", "curl/8", "", "", uint8(1), "q", "1' OR 1=1--")
	f.Add("POST", "/api/c", "content-type", "application/json", "application/json", `{"a":"<script>"}`, uint8(5), "a", "<script>")
	f.Add("POST", "/f", "content-type", "multipart/form-data; boundary=x", "multipart/form-data; boundary=x",
		"--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n../../etc/passwd\r\n--x--\r\n", uint8(6), "a", "../../etc/passwd")
	f.Add("POST", "/login", "content-type", "application/x-www-form-urlencoded", "application/x-www-form-urlencoded", "a=%zz&&=", uint8(4), "", "")
	f.Add("POST", "/pkg.S/M", "te", "trailers", "application/grpc", "\x00\x00\x00\x00\x03\x0a\x01x", uint8(9), "1.2[3]", "; id")
	f.Add("", "", "", "", "", "", uint8(0), "", "")
	f.Add("GET", "http://[::1", "host", "\x00", "text/xml", "<a><![CDATA[", uint8(7), "/a", "\xff\xfe")
	d := detector(f, detect.CRS{Mode: detect.CRSAll})
	max := d.cfg.MaxEvidence
	f.Fuzz(func(t *testing.T, method, uri, hname, hvalue, ctype, body string, loc uint8, pname, pvalue string) {
		path, query := uri, ""
		for i := 0; i < len(uri); i++ {
			if uri[i] == '?' {
				path, query = uri[:i], uri[i+1:]
				break
			}
		}
		x := &decoders.Exchange{
			Conn: conn, Proto: "http/1.1",
			Request: &decoders.Message{
				Method: method, URI: uri, Path: path, Query: query, Version: "HTTP/1.1",
				Headers: []decoders.Header{{Name: hname, Value: hvalue}, {Name: "Content-Type", Value: ctype}},
				Body:    []byte(body),
			},
			Params: []decoders.Param{{Loc: fuzzLocs[int(loc)%len(fuzzLocs)], Name: pname, Value: pvalue}},
		}
		out := d.Inspect(x, nil)
		if len(out) > 1 {
			t.Fatalf("%d alerts", len(out))
		}
		for _, a := range out {
			if len(a.Evidence) > max {
				t.Fatalf("%d evidence entries", len(a.Evidence))
			}
		}
		_ = Suspicious(x, 64)
	})
}
