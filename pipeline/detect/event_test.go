package detect_test

import (
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
		Client: &alert.Client{Ip: "10.0.0.1"},
		Http: &alert.EventHttp{
			Method: "POST", Host: "api.example", PathTemplate: "/users/{id}/sessions/[REDACTED]",
			Status: 500, RequestBytes: 27, ResponseBytes: 10, Version: "HTTP/1.1",
		},
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
				Id:     alert.ID("", "", "1", "event"),
				Http:   &alert.EventHttp{Method: "GET", Host: "h.example", PathTemplate: "/a/{id}"},
				Source: &alert.Source{},
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
