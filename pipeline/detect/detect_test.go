package detect_test

import (
	"errors"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/sensor"
)

type fake struct{ name string }

func (f fake) Name() string { return f.name }
func (f fake) Inspect(_ *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	return out
}

var errBroken = errors.New("broken")

func init() {
	detect.Register("test.ok", func(detect.Config) (detect.Detector, error) { return fake{"test.ok"}, nil })
	detect.Register("test.broken", func(detect.Config) (detect.Detector, error) { return nil, errBroken })
}

func TestRegistry(t *testing.T) {
	if names := detect.Names(); !slices.Contains(names, "test.ok") || !slices.IsSorted(names) {
		t.Errorf("Names() = %v", names)
	}
	tests := []struct {
		names   []string
		want    []string
		wantErr error
	}{
		{names: nil, want: []string{}},
		{names: []string{"test.ok"}, want: []string{"test.ok"}},
		{names: []string{"test.ok", "test.ok"}, want: []string{"test.ok"}},
		{names: []string{"test.ok", "nope"}, wantErr: detect.ErrUnknown},
		{names: []string{"test.broken"}, wantErr: errBroken},
	}
	for _, tt := range tests {
		ds, err := detect.New(tt.names, detect.DefaultConfig())
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) || ds != nil {
				t.Errorf("New(%v) = %v, %v; want error %v", tt.names, ds, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("New(%v): %v", tt.names, err)
		}
		got := []string{}
		for _, d := range ds {
			got = append(got, d.Name())
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("New(%v) built %v, want %v", tt.names, got, tt.want)
		}
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	detect.Register("test.ok", func(detect.Config) (detect.Detector, error) { return fake{}, nil })
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*detect.Config)
		ok     bool
	}{
		{"default", func(*detect.Config) {}, true},
		{"too much evidence", func(c *detect.Config) { c.MaxEvidence = 2000 }, false},
		{"tiny snippet", func(c *detect.Config) { c.SnippetBytes = 1 }, false},
		{"huge scan", func(c *detect.Config) { c.ScanBytes = 1 << 30 }, false},
		{"zero value takes defaults", func(c *detect.Config) { *c = detect.Config{} }, true},
		{"negative", func(c *detect.Config) { c.MaxEvidence = -1 }, false},
	}
	for _, tt := range tests {
		c := detect.DefaultConfig()
		tt.modify(&c)
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v", tt.name, err)
		}
		if _, err := detect.New(nil, c); (err == nil) != tt.ok {
			t.Errorf("%s: New() = %v", tt.name, err)
		}
	}
}

var start = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

func exchange() *decoders.Exchange {
	return &decoders.Exchange{
		Conn: &sensor.ConnMeta{
			ID: 42,
			Key: sensor.FlowKey{
				SrcIP: netip.MustParseAddr("10.0.0.1"), DstIP: netip.MustParseAddr("10.0.0.2"),
				SrcPort: 51000, DstPort: 80, Proto: 6,
			},
			CommunityID: "1:abc=",
			VLAN:        []uint16{100, 200},
			Tunnels:     []sensor.Tunnel{{Kind: sensor.TunnelVXLAN, ID: 1000}, {Kind: sensor.TunnelMPLS, ID: 17}},
			Source:      "trace.pcap",
			Start:       start.Add(-time.Second),
			MidStream:   true,
		},
		Seq:   3,
		Proto: "http/1.1",
		Request: &decoders.Message{
			Start: start, Frames: []uint64{4, 5}, FramesTotal: 2,
			Method: "POST", URI: "/login?next=/home&access_token=abcdef", Version: "HTTP/1.1",
			Headers: []decoders.Header{
				{Name: "Host", Value: "api.example"},
				{Name: "User-Agent", Value: "curl/8.0 \xff"},
				{Name: "Content-Type", Value: "application/json"},
			},
			WireBodyLen: 27,
		},
		Response:  &decoders.Message{Status: 500, WireBodyLen: 10},
		Anomalies: []decoders.Anomaly{{Kind: "http1.bare_lf"}, {Kind: "http1.bare_lf"}, {Kind: "http1.obs_fold"}},
	}
}

var testRule = detect.Rule{
	ID: "r1", Category: "test", OWASP: []string{"A03:2021"},
	Severity: alert.Severity_SEVERITY_LOW, Confidence: alert.Confidence_CONFIDENCE_HIGH,
}

func TestNewAlert(t *testing.T) {
	cfg := detect.DefaultConfig()
	x := exchange()
	a := cfg.NewAlert(x, "det", &testRule, "k")
	want := &alert.Alert{
		Id:         alert.ID("trace.pcap", "1:abc=@"+strconv.FormatInt(start.Add(-time.Second).UnixNano(), 10), "3", "det", "r1", "k"),
		Timestamp:  a.Timestamp,
		Detector:   "det",
		RuleId:     "r1",
		Category:   "test",
		Owasp:      []string{"A03:2021"},
		Severity:   alert.Severity_SEVERITY_LOW,
		Confidence: alert.Confidence_CONFIDENCE_HIGH,
		Flow: &alert.Flow{
			SrcIp: "10.0.0.1", SrcPort: 51000, DestIp: "10.0.0.2", DestPort: 80, Proto: "TCP",
			AppProto: "http", CommunityId: "1:abc=", Vlan: []uint32{100, 200}, FlowId: 42, MidStream: true,
			Tunnels: []*alert.Tunnel{{Kind: "vxlan", Id: 1000}, {Kind: "mpls", Id: 17}},
		},
		Http: &alert.Http{
			Method: "POST", Host: "api.example", Url: "/login?next=/home&access_token=[REDACTED]",
			Status: 500, UserAgent: "curl/8.0 \uFFFD", ContentType: "application/json",
			RequestBodyLength: 27, ResponseBodyLength: 10, Version: "HTTP/1.1",
		},
		Client:    &alert.Client{Ip: "10.0.0.1", UserAgent: "curl/8.0 \uFFFD"},
		Source:    &alert.Source{File: "trace.pcap", Frames: []uint64{4, 5}, FramesTotal: 2},
		Anomalies: []string{"http1.bare_lf", "http1.obs_fold"},
	}
	if !proto.Equal(a, want) {
		t.Errorf("NewAlert:\n got %v\nwant %v", a, want)
	}
	if !a.Timestamp.AsTime().Equal(start) {
		t.Errorf("timestamp %v, want request start %v", a.Timestamp.AsTime(), start)
	}
	if _, err := alert.MarshalJSON(a); err != nil {
		t.Errorf("MarshalJSON: %v", err)
	}
	// The alert must not share memory with the exchange or the rule.
	x.Request.Frames[0] = 99
	if a.Source.Frames[0] != 4 {
		t.Error("frames shared with the exchange")
	}
	a.Owasp[0] = "changed"
	if testRule.OWASP[0] != "A03:2021" {
		t.Error("OWASP shared with the rule")
	}
	if b := cfg.NewAlert(exchange(), "det", &testRule, "k"); b.Id != want.Id {
		t.Error("id not deterministic")
	}
	if b := cfg.NewAlert(exchange(), "det", &testRule, "other"); b.Id == want.Id {
		t.Error("key does not change the id")
	}
}

func TestNewAlertSparse(t *testing.T) {
	cfg := detect.DefaultConfig()
	// No connection, no response: nothing may panic, and absent facts stay unset.
	x := &decoders.Exchange{Proto: "h2", Request: &decoders.Message{
		Method: "GET", URI: "/", Authority: "h.example",
	}}
	a := cfg.NewAlert(x, "det", &testRule, "")
	if a.Flow != nil || a.Client != nil || a.Http.GetStatus() != 0 || a.Http.GetHost() != "h.example" {
		t.Errorf("sparse alert: %v", a)
	}
	if _, err := alert.MarshalJSON(a); err != nil {
		t.Errorf("MarshalJSON: %v", err)
	}
}

func TestAddEvidence(t *testing.T) {
	cfg := detect.DefaultConfig()
	cfg.MaxEvidence = 2
	cfg.SnippetBytes = 16
	a := &alert.Alert{}
	tests := []struct {
		name, value string
		added       bool
		wantValue   string
	}{
		{"id", "1' OR '1'='1", true, "1' OR '1'='1"},
		{"password", "hunter2", true, alert.Redacted},
		{"q", "more", false, ""},
	}
	for i, tt := range tests {
		if got := cfg.AddEvidence(a, decoders.LocQuery, tt.name, tt.value, "m"); got != tt.added {
			t.Fatalf("AddEvidence(%s) = %v", tt.name, got)
		}
		if tt.added && a.Evidence[i].Value != tt.wantValue {
			t.Errorf("evidence %d value %q, want %q", i, a.Evidence[i].Value, tt.wantValue)
		}
	}
	cfg.MaxEvidence = 3
	cfg.AddEvidence(a, decoders.LocJSON, "body", strings.Repeat("x", 100), "m")
	if v := a.Evidence[2].Value; len(v) > cfg.SnippetBytes {
		t.Errorf("evidence value not bounded: %d bytes", len(v))
	}
}

func TestScannedHeader(t *testing.T) {
	for name, want := range map[string]bool{
		"user-agent": true, "referer": true, "x-forwarded-for": true, "from": true, "forwarded": true,
		"x-api-version": true, "x-custom": true,
		"accept": false, "content-type": false, "host": false, "x-request-id": false,
		"x-b3-traceid": false, "x-envoy-attempt-count": false, "x-": true, "": false, "User-Agent": false,
		// Custom headers without the prefix (gRPC metadata); what
		// browsers, CDNs, tracers and gRPC itself set.
		"tenant-id": true, "api-version": true, "sec-ch-ua": false, "traceparent": false, "grpc-timeout": false,
		"cf-connecting-ip": false, "authorization": false, "if-none-match": false, "priority": false,
	} {
		if got := detect.ScannedHeader(name); got != want {
			t.Errorf("ScannedHeader(%q) = %v, want %v", name, got, want)
		}
	}
}
