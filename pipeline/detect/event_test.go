package detect_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

func TestNewEvent(t *testing.T) {
	cfg := detect.DefaultConfig()
	x := exchange()
	x.Request.Path = "/users/42/sessions/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"
	x.Response.End = start.Add(1500 * time.Microsecond)
	a := cfg.NewAlert(x, "det", &testRule, "k")
	e := cfg.NewEvent(x, []*alert.Alert{a})
	want := &alert.Event{
		Id:        alert.ID("trace.pcap", "1:abc=@"+strconv.FormatInt(start.Add(-time.Second).UnixNano(), 10), "3", "event"),
		Timestamp: timestamppb.New(start),
		Flow: &alert.Flow{
			SrcIp: "10.0.0.1", SrcPort: 51000, DestIp: "10.0.0.2", DestPort: 80, Proto: "TCP",
			AppProto: "http", CommunityId: "1:abc=", Vlan: []uint32{100, 200}, FlowId: 42, MidStream: true,
			Tunnels: []*alert.Tunnel{{Kind: "vxlan", Id: 1000}, {Kind: "mpls", Id: 17}},
		},
		Client: &alert.Client{Ip: "10.0.0.1", UserAgent: "curl/8.0 \uFFFD"},
		Http: &alert.EventHttp{
			Method: "POST", Host: "api.example", PathTemplate: "/users/{id}/sessions/[REDACTED]",
			Status: 500, RequestBytes: 27, ResponseBytes: 10, Version: "HTTP/1.1",
		},
		ObjectIds:  []string{"42"},
		DurationUs: 1500,
		Anomalies:  []string{"http1.bare_lf", "http1.obs_fold"},
		Verdicts: []*alert.Verdict{{
			Detector: "det", RuleId: "r1", Severity: alert.Severity_SEVERITY_LOW, AlertId: a.Id,
		}},
		Source: &alert.Source{File: "trace.pcap", Frames: []uint64{4, 5}, FramesTotal: 2},
	}
	if !proto.Equal(e, want) {
		t.Errorf("NewEvent:\n got %v\nwant %v", e, want)
	}
	if e.Id == a.Id {
		t.Error("event id equals the alert id")
	}
	if again := cfg.NewEvent(exchange(), nil); again.Id != e.Id {
		t.Error("event id not deterministic")
	}
	x.Request.Frames[0] = 99
	if e.Source.Frames[0] != 4 {
		t.Error("frames shared with the exchange")
	}
	if _, err := alert.MarshalEventJSON(e); err != nil {
		t.Errorf("MarshalEventJSON: %v", err)
	}
}

func TestNewEventSparse(t *testing.T) {
	cfg := detect.DefaultConfig()
	tests := []struct {
		name string
		x    *decoders.Exchange
		want *alert.Event
	}{
		{
			name: "empty",
			x:    &decoders.Exchange{},
			want: &alert.Event{Id: alert.ID("", "", "0", "event")},
		},
		{
			name: "http2 request without response",
			x: &decoders.Exchange{Seq: 1, Proto: "h2", Request: &decoders.Message{
				Method: "GET", URI: "/a/7?x=1", Authority: "h.example",
			}},
			want: &alert.Event{
				Id:        alert.ID("", "", "1", "event"),
				Http:      &alert.EventHttp{Method: "GET", Host: "h.example", PathTemplate: "/a/{id}"},
				ObjectIds: []string{"7"},
				Source:    &alert.Source{},
			},
		},
		{
			name: "response ends before request start",
			x: &decoders.Exchange{Request: &decoders.Message{Start: start, Path: "/"},
				Response: &decoders.Message{End: start.Add(-time.Second), Status: 204}},
			want: &alert.Event{
				Id:        alert.ID("", "", "0", "event"),
				Timestamp: timestamppb.New(start),
				Http:      &alert.EventHttp{PathTemplate: "/", Status: 204},
				Source:    &alert.Source{},
			},
		},
	}
	for _, tt := range tests {
		if got := cfg.NewEvent(tt.x, nil); !proto.Equal(got, tt.want) {
			t.Errorf("%s:\n got %v\nwant %v", tt.name, got, tt.want)
		}
	}
}

func TestNewEventIdentity(t *testing.T) {
	cfg := detect.DefaultConfig()
	cfg.Identity.HashKey = "test-key"
	cfg.Identity.TrustedProxies = "10.0.0.0/8"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	id := cfg.Identity.Identifier()
	meta := exchange().Conn

	hello := &decoders.Exchange{Conn: meta, Proto: "tls", TLS: &decoders.TLSInfo{
		Time: start, Frames: []uint64{7}, Version: 0x0304, SNI: "api.example", ALPN: []string{"h2", "http/1.1"},
		JA4: "t13d1516h2_8daaf6152771_d8a2da3f94cd",
	}}
	e := cfg.NewEvent(hello, nil)
	wantTLS := &alert.Tls{Sni: "api.example", Alpn: []string{"h2", "http/1.1"}, Ja4: hello.TLS.JA4, Version: "1.3"}
	if !proto.Equal(e.Tls, wantTLS) || e.Http != nil || e.GetClient().GetJa4() != hello.TLS.JA4 ||
		!proto.Equal(e.Source, &alert.Source{File: "trace.pcap", Frames: []uint64{7}, FramesTotal: 1}) || !e.Timestamp.AsTime().Equal(start) {
		t.Errorf("TLS event: %v", e)
	}

	login := &decoders.Exchange{Conn: meta, Proto: "http/1.1",
		Request: &decoders.Message{Method: "POST", Path: "/api/v1/login", URI: "/api/v1/login", Headers: []decoders.Header{
			{Name: "X-Forwarded-For", Value: "198.51.100.4"}, {Name: "Authorization", Value: "Bearer tok"},
		}},
		Response: &decoders.Message{Status: 401},
		Params:   []decoders.Param{{Loc: decoders.LocJSON, Name: "username", Value: "alice"}, {Loc: decoders.LocJSON, Name: "password", Value: "pw"}},
	}
	e = cfg.NewEvent(login, nil)
	wantLogin := &alert.Login{Username: id.Hash("username", "alice"), Password: id.ShortHash("password", "pw"), Outcome: alert.LoginOutcome_LOGIN_OUTCOME_FAILURE}
	wantClient := &alert.Client{Ip: "198.51.100.4", PeerIp: "10.0.0.1", Token: id.Hash("token", "tok"), Auth: "bearer"}
	if !proto.Equal(e.Login, wantLogin) || !proto.Equal(e.Client, wantClient) {
		t.Errorf("login event: login %v client %v", e.Login, e.Client)
	}
	a := cfg.NewAlert(login, "det", &testRule, "")
	if !proto.Equal(a.Client, wantClient) {
		t.Errorf("alert client %v", a.Client)
	}

	objs := &decoders.Exchange{Conn: meta, Request: &decoders.Message{Method: "GET", Path: "/users/42/files/123e4567-e89b-12d3-a456-426614174000/v/4111111111111111"}}
	e = cfg.NewEvent(objs, nil)
	want := []string{"42", id.Hash("object", "123e4567-e89b-12d3-a456-426614174000"), id.Hash("object", "4111111111111111")}
	if !slices.Equal(e.ObjectIds, want) || e.Http.PathTemplate != "/users/{id}/files/{uuid}/v/{id}" {
		t.Errorf("object ids %q, template %q", e.ObjectIds, e.Http.PathTemplate)
	}
}
