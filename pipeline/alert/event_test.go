package alert

import (
	"bytes"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestMarshalEventJSON(t *testing.T) {
	e := &Event{
		Id:        ID("trace.pcap", "7", "0", "event"),
		Timestamp: timestamppb.New(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)),
		Flow:      &Flow{SrcIp: "10.0.0.1", SrcPort: 51000, DestIp: "10.0.0.2", DestPort: 80, Proto: "TCP", FlowId: 7},
		Client:    &Client{Ip: "10.0.0.1"},
		Http: &EventHttp{Method: "GET", Host: "api.example", PathTemplate: "/items/{id}", Status: 200,
			RequestBytes: 0, ResponseBytes: 12, Version: "HTTP/1.1"},
		DurationUs: 1500,
		Verdicts:   []*Verdict{{Detector: "injection", RuleId: "sqli", Severity: Severity_SEVERITY_HIGH, AlertId: "a"}},
	}
	b, err := MarshalEventJSON(e)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"path_template":"/items/{id}"`, `"duration_us":"1500"`, `"response_bytes":"12"`,
		`"verdicts":[{"detector":"injection","rule_id":"sqli","severity":"SEVERITY_HIGH","alert_id":"a"}]`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("missing %s in %s", want, b)
		}
	}
	again, _ := MarshalEventJSON(e)
	if !bytes.Equal(b, again) {
		t.Errorf("not stable:\n%s\n%s", b, again)
	}
	var back Event
	if err := protojson.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(&back, e) {
		t.Errorf("round trip changed the event:\n%v\n%v", &back, e)
	}
}
