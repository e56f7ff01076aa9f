package jsonl

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/publish"
)

func alerts(ids ...string) []*alert.Alert {
	out := make([]*alert.Alert, len(ids))
	for i, id := range ids {
		out[i] = &alert.Alert{Id: id, Detector: "injection", RuleId: "sqli", Severity: alert.Severity_SEVERITY_HIGH}
	}
	return out
}

func lines(t *testing.T, b []byte) []string {
	t.Helper()
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Fatalf("output does not end in a newline: %q", b)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func TestPublishFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "alerts.jsonl")
	p, err := publish.New(Name, publish.Config{JSONL: publish.JSONL{Path: path}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	batches := [][]*alert.Alert{alerts("a", "b"), alerts(), alerts("c")}
	for i, batch := range batches {
		if err := p.Publish(ctx, batch); err != nil {
			t.Fatal(err)
		}
		// Each batch is flushed when Publish returns.
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		want := []int{2, 2, 3}[i]
		if got := len(lines(t, b)); got != want {
			t.Fatalf("after batch %d: %d lines, want %d", i, got, want)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := p.Publish(ctx, alerts("d")); !errors.Is(err, publish.ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}

	b, _ := os.ReadFile(path)
	for i, l := range lines(t, b) {
		want, _ := alert.MarshalJSON(alerts(string(rune('a' + i)))[0])
		if l != string(want) {
			t.Errorf("line %d = %s, want %s", i, l, want)
		}
	}

	// Reopening appends.
	p2, err := New(publish.JSONL{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := p2.Publish(ctx, alerts("e")); err != nil {
		t.Fatal(err)
	}
	if err := p2.Close(); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(path)
	if n := len(lines(t, b)); n != 4 {
		t.Errorf("%d lines after reopening, want 4", n)
	}
}

func TestPublishEncodeError(t *testing.T) {
	var buf bytes.Buffer
	p, err := New(publish.JSONL{Writer: &buf})
	if err != nil {
		t.Fatal(err)
	}
	batch := alerts("a", "b", "c")
	batch[1].Summary = "bad \xff utf-8"
	err = p.Publish(context.Background(), batch)
	if !errors.Is(err, publish.ErrEncode) {
		t.Fatalf("Publish error %v, want ErrEncode", err)
	}
	if got := lines(t, buf.Bytes()); len(got) != 2 || !strings.Contains(got[1], `"id":"c"`) {
		t.Errorf("lines %q", got)
	}
	if pub, drop := p.Counts(); pub != 2 || drop != 1 {
		t.Errorf("counts published=%d dropped=%d", pub, drop)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(b []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(b), nil
}

func TestPublishWriteError(t *testing.T) {
	tests := []struct {
		name        string
		bufferBytes int
		wantDropped uint64
	}{
		{"fails at flush", 0, 3},
		{"fails mid-batch", 16, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := New(publish.JSONL{Writer: &failWriter{}, BufferBytes: tt.bufferBytes})
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Publish(context.Background(), alerts("a", "b", "c")); err == nil {
				t.Fatal("want a write error")
			}
			if pub, drop := p.Counts(); pub != 0 || drop != tt.wantDropped {
				t.Errorf("counts published=%d dropped=%d", pub, drop)
			}
			if err := p.Close(); err == nil {
				t.Error("Close hid the write error")
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	tests := []publish.JSONL{
		{Path: filepath.Join(t.TempDir(), "missing", "alerts.jsonl")},
		{Path: "-", BufferBytes: -1},
	}
	for _, cfg := range tests {
		if p, err := New(cfg); err == nil {
			p.Close()
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func TestStdout(t *testing.T) {
	for _, path := range []string{"", "-"} {
		p, err := New(publish.JSONL{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		if p.closer != nil {
			t.Errorf("path %q: stdout would be closed", path)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func BenchmarkPublish(b *testing.B) {
	batch := make([]*alert.Alert, 64)
	for i := range batch {
		batch[i] = &alert.Alert{
			Id: alert.ID(strconv.Itoa(i)), Detector: "injection", RuleId: "sqli", Category: "sql-injection",
			Owasp: []string{"A03:2021"}, Severity: alert.Severity_SEVERITY_HIGH, Summary: "SQL injection in query parameter id",
			Flow:     &alert.Flow{SrcIp: "10.0.0.1", SrcPort: 51000, DestIp: "10.0.0.2", DestPort: 80, Proto: "TCP", AppProto: "http"},
			Http:     &alert.Http{Method: "GET", Host: "api.example", Url: "/items?id=1", Status: 200},
			Evidence: []*alert.Evidence{{Location: "query", Name: "id", Value: "1' OR '1'='1", Matched: "libinjection fingerprint s&sos"}},
		}
	}
	var cw countWriter
	p, err := New(publish.JSONL{Writer: &cw})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	_ = p.Publish(ctx, batch[:1])
	b.ReportAllocs()
	b.SetBytes(cw.n * int64(len(batch)))
	for b.Loop() {
		if err := p.Publish(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "alerts/s")
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(b []byte) (int, error) { w.n += int64(len(b)); return len(b), nil }
