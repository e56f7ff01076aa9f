package consume

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/pipeline/alert"
)

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func testAlert(id, det, rule string, sev alert.Severity, client string, at time.Time) *alert.Alert {
	return &alert.Alert{
		Id: id, Timestamp: timestamppb.New(at), Detector: det, RuleId: rule, Severity: sev,
		Summary: rule + " in query parameter id",
		Flow:    &alert.Flow{SrcIp: client, SrcPort: 51000, DestIp: "10.0.0.2", DestPort: 80, Proto: "TCP"},
		Client:  &alert.Client{Ip: client},
	}
}

func testEvent() *alert.Event {
	return &alert.Event{
		Id: "e1", Timestamp: timestamppb.New(t0), Client: &alert.Client{Ip: "10.0.0.9"},
		Flow:       &alert.Flow{SrcIp: "10.0.0.9", SrcPort: 40000, DestIp: "10.0.0.2", DestPort: 80},
		Http:       &alert.EventHttp{Method: "GET", Host: "api", PathTemplate: "/users/{id}", Status: 200},
		DurationUs: 1500,
		Verdicts:   []*alert.Verdict{{Detector: "injection", RuleId: "xss", Severity: alert.Severity_SEVERITY_MEDIUM}},
	}
}

func mustJSON(t testing.TB, a *alert.Alert) []byte {
	b, err := alert.MarshalJSON(a)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	a := testAlert("a1", "injection", "sqli", alert.Severity_SEVERITY_HIGH, "10.0.0.1", t0)
	pb, _ := proto.Marshal(a)
	js := mustJSON(t, a)
	ev := testEvent()
	evPB, _ := proto.Marshal(ev)
	evJS, _ := alert.MarshalEventJSON(ev)
	// A field from a newer sensor: readable once the schema says alert.
	newer := []byte(strings.Replace(string(js), `{`, `{"future_field":1,`, 1))
	stats := []byte(`{"packets": 10, "exchanges": 2, "alerts": 1}`)
	pbCT := map[string]string{"content-type": ContentTypeProtobuf}
	jsCT := map[string]string{"content-type": ContentTypeJSON}

	tests := []struct {
		name    string
		topic   string
		headers map[string]string
		value   []byte
		want    string // "alert", "event", "stats"
		err     error
	}{
		{"protobuf alert", "sensor.alerts", pbCT, pb, "alert", nil},
		{"json alert", "sensor.alerts", jsCT, js, "alert", nil},
		{"json with charset", "sensor.alerts", map[string]string{"content-type": "application/json; charset=utf-8"}, js, "alert", nil},
		{"json alert, no header", "sensor.alerts", nil, js, "alert", nil},
		{"protobuf alert, no header", "sensor.alerts", nil, pb, "alert", nil},
		{"protobuf event by schema", "x", map[string]string{"content-type": ContentTypeProtobuf, "schema": SchemaEvent}, evPB, "event", nil},
		{"protobuf event by content-type parameter", "x", map[string]string{"content-type": ContentTypeProtobuf + "; proto=" + SchemaEvent}, evPB, "event", nil},
		{"json event, no header", "x", nil, evJS, "event", nil},
		{"protobuf event by topic name", "sensor.events", pbCT, evPB, "event", nil},
		{"newer json alert", "sensor.alerts", map[string]string{"content-type": ContentTypeJSON, "schema": SchemaAlert}, newer, "alert", nil},
		{"newer json alert, no header", "sensor.alerts", nil, newer, "alert", nil},
		{"stats", "sensor.stats", map[string]string{"content-type": ContentTypeJSON, "schema": SchemaStats}, stats, "stats", nil},
		{"stats as protobuf", "sensor.stats", map[string]string{"content-type": ContentTypeProtobuf, "schema": SchemaStats}, stats, "", ErrContentType},
		{"unknown schema", "sensor.alerts", map[string]string{"content-type": ContentTypeJSON, "schema": "sensor.alert.v2.Alert"}, js, "", ErrSchema},
		{"unknown content type", "sensor.alerts", map[string]string{"content-type": "text/plain"}, js, "", ErrContentType},
		{"garbage, no header", "sensor.alerts", nil, []byte{0xff, 0xff, 0xff}, "", ErrUndecodable},
		{"json that is no alert", "sensor.alerts", nil, []byte(`{"x":1}`), "", ErrUndecodable},
	}
	for _, tt := range tests {
		var r Record
		err := Decode(&r, tt.topic, tt.headers, tt.value)
		if tt.err != nil {
			if !errors.Is(err, tt.err) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		switch tt.want {
		case "alert":
			if r.Alert == nil || r.Alert.Id != "a1" || r.Event != nil {
				t.Errorf("%s: got %+v", tt.name, &r)
			}
		case "event":
			if !proto.Equal(r.Event, ev) || r.Alert != nil {
				t.Errorf("%s: got %+v", tt.name, &r)
			}
		case "stats":
			if string(r.Stats) != string(stats) {
				t.Errorf("%s: got %+v", tt.name, &r)
			}
		}
	}
}

func FuzzDecode(f *testing.F) {
	a := testAlert("a1", "injection", "sqli", alert.Severity_SEVERITY_HIGH, "10.0.0.1", t0)
	pb, _ := proto.Marshal(a)
	evPB, _ := proto.Marshal(testEvent())
	f.Add("", "", pb)
	f.Add(ContentTypeProtobuf, SchemaEvent, evPB)
	f.Add(ContentTypeJSON, "", mustJSON(f, a))
	f.Add(ContentTypeJSON, SchemaStats, []byte(`{"packets":1}`))
	f.Add("application/json; charset=\"", "", []byte(`{`))
	f.Fuzz(func(t *testing.T, ct, schema string, value []byte) {
		var r Record
		h := map[string]string{"content-type": ct, "schema": schema}
		if Decode(&r, "sensor.alerts", h, value) != nil {
			return
		}
		n := 0
		for _, set := range []bool{r.Alert != nil, r.Event != nil, r.Stats != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("decoded into %d kinds: %+v", n, &r)
		}
		var f Filter
		if !f.Match(&r) {
			t.Fatal("zero filter rejected a record")
		}
		if err := NewTablePrinter(discard{}).Print(&r); err != nil {
			t.Fatal(err)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Position
		ok   bool
	}{
		{"", Position{kind: posBeginning}, true},
		{"beginning", Position{kind: posBeginning}, true},
		{"END", Position{kind: posEnd}, true},
		{"42", Position{kind: posOffset, offset: 42}, true},
		{"-5", Position{kind: posTail, offset: 5}, true},
		{"2024-05-06T07:08:09Z", Position{kind: posTime, time: t0}, true},
		{"yesterday", Position{}, false},
	} {
		got, err := ParsePosition(tt.in)
		if (err == nil) != tt.ok || got.kind != tt.want.kind || got.offset != tt.want.offset || !got.time.Equal(tt.want.time) {
			t.Errorf("ParsePosition(%q) = %+v, %v", tt.in, got, err)
		}
	}
	for _, tt := range []struct {
		in   string
		want alert.Severity
		ok   bool
	}{
		{"high", alert.Severity_SEVERITY_HIGH, true},
		{"SEVERITY_LOW", alert.Severity_SEVERITY_LOW, true},
		{"Critical", alert.Severity_SEVERITY_CRITICAL, true},
		{"unspecified", 0, false},
		{"urgent", 0, false},
	} {
		got, err := ParseSeverity(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSeverity(%q) = %v, %v", tt.in, got, err)
		}
	}
	ps, err := ParseClients("10.0.0.1, 192.168.0.0/16,::ffff:10.0.0.3")
	if err != nil || len(ps) != 3 || ps[0] != netip.MustParsePrefix("10.0.0.1/32") || ps[2] != netip.MustParsePrefix("10.0.0.3/32") {
		t.Errorf("ParseClients = %v, %v", ps, err)
	}
	if _, err := ParseClients("10.0.0.300"); err == nil {
		t.Error("ParseClients accepted a bad address")
	}
}

func TestFilter(t *testing.T) {
	high := &Record{Alert: testAlert("a", "injection", "sqli", alert.Severity_SEVERITY_HIGH, "10.0.0.1", t0)}
	low := &Record{Alert: testAlert("b", "bola", "enum", alert.Severity_SEVERITY_LOW, "192.168.1.5", t0.Add(time.Hour))}
	ev := &Record{Event: testEvent()}
	stats := &Record{Stats: []byte(`{}`), Time: t0}
	noTime := &Record{Alert: &alert.Alert{Id: "c"}}
	clients, _ := ParseClients("192.168.0.0/16")
	tests := []struct {
		name string
		f    Filter
		want [5]bool // high, low, ev, stats, noTime
	}{
		{"none", Filter{}, [5]bool{true, true, true, true, true}},
		{"min high", Filter{MinSeverity: alert.Severity_SEVERITY_HIGH}, [5]bool{true, false, false, false, false}},
		{"min medium", Filter{MinSeverity: alert.Severity_SEVERITY_MEDIUM}, [5]bool{true, false, true, false, false}},
		{"detector", Filter{Detectors: []string{"injection"}}, [5]bool{true, false, true, false, false}},
		{"detector/rule", Filter{Detectors: []string{"injection/sqli", "bola"}}, [5]bool{true, true, false, false, false}},
		{"client prefix", Filter{Clients: clients}, [5]bool{false, true, false, false, false}},
		{"since", Filter{Since: t0.Add(time.Minute)}, [5]bool{false, true, false, false, false}},
		{"until", Filter{Until: t0.Add(time.Minute)}, [5]bool{true, false, true, true, false}},
		{"until is exclusive", Filter{Until: t0}, [5]bool{false, false, false, false, false}},
	}
	for _, tt := range tests {
		for i, r := range []*Record{high, low, ev, stats, noTime} {
			if got := tt.f.Match(r); got != tt.want[i] {
				t.Errorf("%s: record %d: Match = %v, want %v", tt.name, i, got, tt.want[i])
			}
		}
	}
}
