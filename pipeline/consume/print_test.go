package consume

import (
	"bytes"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
)

func TestJSONPrinter(t *testing.T) {
	a := testAlert("a1", "injection", "sqli", alert.Severity_SEVERITY_HIGH, "10.0.0.1", t0)
	var out bytes.Buffer
	p := NewJSONPrinter(&out)
	for _, r := range []*Record{{Alert: a}, {Event: testEvent()}, {Stats: []byte("{ \"packets\": 1 }")}} {
		if err := p.Print(r); err != nil {
			t.Fatal(err)
		}
	}
	evJS, _ := alert.MarshalEventJSON(testEvent())
	want := string(mustJSON(t, a)) + "\n" + string(evJS) + "\n" + `{"packets":1}` + "\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestTablePrinter(t *testing.T) {
	a := testAlert("a1", "injection", "xss", alert.Severity_SEVERITY_MEDIUM, "2001:db8::1", t0)
	a.Flow.SrcIp = "2001:db8::1"
	a.Summary = "XSS in \x1b[31mred\u202e"
	var out bytes.Buffer
	p := NewTablePrinter(&out)
	for _, r := range []*Record{{Alert: a}, {Event: testEvent()}, {Stats: []byte(`{"packets":10,"exchanges":2,"alerts":1,"drops":{"x":3}}`), Time: t0}} {
		if err := p.Print(r); err != nil {
			t.Fatal(err)
		}
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 4 {
		t.Fatalf("got %d lines:\n%s", len(lines), out.String())
	}
	for i, want := range [][]string{
		{"TIME", "SEVERITY", "DETECTOR/RULE", "CLIENT", "FLOW", "SUMMARY"},
		{"2024-05-06T07:08:09.000Z", "MEDIUM", "injection/xss", "2001:db8::1", "[2001:db8::1]:51000 -> 10.0.0.2:80", "XSS in ?[31mred?"},
		{"MEDIUM", "injection/xss", "10.0.0.9", "10.0.0.9:40000 -> 10.0.0.2:80", "GET api/users/{id} 200 1.5ms"},
		{"stats", "run report: 10 packets, 2 exchanges, 1 alerts, 3 dropped"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d lacks %q: %s", i, w, lines[i])
			}
		}
	}
	if strings.ContainsAny(out.String(), "\x1b\u202e") {
		t.Error("control characters reached the terminal")
	}
	// Columns line up: the flow column starts at the same place.
	if strings.Index(lines[0], "FLOW") != strings.Index(lines[2], "10.0.0.9:40000") {
		t.Errorf("columns do not line up:\n%s", out.String())
	}
}
