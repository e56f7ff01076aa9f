package auth

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/sensor"
)

// t0 is the packet time of every test request.
var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

// req describes a test exchange.
type req struct {
	method, uri string
	headers     []string // "Name: value"
	body        string
	proto       string // "http/1.1" by default
	status      int    // response status; 0 means no response
	respHeaders []string
	respBody    string
	loopback    bool
}

func hdrs(lines []string) []decoders.Header {
	var hs []decoders.Header
	for _, l := range lines {
		n, v, _ := strings.Cut(l, ": ")
		hs = append(hs, decoders.Header{Name: n, Value: v})
	}
	return hs
}

// exchange builds the exchange r describes, with its parameters extracted
// as the pipeline does.
func exchange(r req) *decoders.Exchange {
	if r.method == "" {
		r.method = "GET"
	}
	if r.proto == "" {
		r.proto = "http/1.1"
	}
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	if r.loopback {
		src, dst = netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1")
	}
	m := &decoders.Message{
		Start: t0, End: t0, Method: r.method, URI: r.uri, Version: "HTTP/1.1",
		Headers: hdrs(r.headers), Body: []byte(r.body), WireBodyLen: int64(len(r.body)),
	}
	if r.proto == "http/2" {
		m.Version = "HTTP/2"
	}
	target := r.uri
	if i := strings.Index(target, "://"); i >= 0 {
		target = target[i+3:]
		if j := strings.IndexByte(target, '/'); j >= 0 {
			target = target[j:]
		} else {
			target = "/"
		}
	}
	m.Path, m.Query, _ = strings.Cut(target, "?")
	x := &decoders.Exchange{
		Conn: &sensor.ConnMeta{
			ID: 1, Key: sensor.FlowKey{SrcIP: src, DstIP: dst, SrcPort: 40000, DstPort: 80, Proto: 6},
			CommunityID: "1:test", Source: "test.pcap", Start: t0,
		},
		Proto:   r.proto,
		Request: m,
	}
	if r.status > 0 {
		x.Response = &decoders.Message{
			Start: t0, End: t0, Status: r.status, Version: m.Version,
			Headers: hdrs(r.respHeaders), Body: []byte(r.respBody), WireBodyLen: int64(len(r.respBody)),
		}
	}
	decoders.ExtractParams(x, nil)
	return x
}

func detectors(t testing.TB, names ...string) []detect.Detector {
	t.Helper()
	ds, err := detect.New(names, detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func inspect(ds []detect.Detector, x *decoders.Exchange) []*alert.Alert {
	var out []*alert.Alert
	for _, d := range ds {
		out = d.Inspect(x, out)
	}
	return out
}

// rules lists the alerts' rule ids, in order.
func rules(as []*alert.Alert) []string {
	var ids []string
	for _, a := range as {
		ids = append(ids, a.RuleId)
	}
	return ids
}

func describe(as []*alert.Alert) string {
	var b strings.Builder
	for _, a := range as {
		b.WriteString("\n  " + a.Detector + "/" + a.RuleId + " " + a.Severity.String() + " " + a.Outcome.String() + " " + a.Summary)
		for _, e := range a.Evidence {
			b.WriteString("\n    " + strings.Join([]string{e.Location, e.Name, e.Value, e.Matched}, "|"))
		}
	}
	return b.String()
}

// noLeak fails when any alert's JSON holds secret.
func noLeak(t *testing.T, as []*alert.Alert, secret string) {
	t.Helper()
	for _, a := range as {
		b, err := alert.MarshalJSON(a)
		if err != nil {
			t.Fatalf("alert does not encode: %v", err)
		}
		if secret != "" && strings.Contains(string(b), secret) {
			t.Errorf("alert %s carries the secret %.20q…: %s", a.RuleId, secret, b)
		}
	}
}

func detectConfig() detect.Config { return detect.DefaultConfig() }
