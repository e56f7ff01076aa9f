package pipeline

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/alert/alerttest"
	"github.com/apisensor/sensor/pipeline/behave"
)

// replayBehave replays a capture with only the behavioural engine and
// returns its alerts (every revision) and the report.
func replayBehave(t *testing.T, workers int, file string) ([]*alert.Alert, *Report) {
	t.Helper()
	cfg := testConfig(workers)
	cfg.Detectors = nil
	var c alerttest.Collector
	rep, err := Replay(context.Background(), cfg, []string{file}, nil, Outputs{Alerts: &c}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
	if err != nil {
		t.Fatal(err)
	}
	return c.Alerts(), rep
}

// finalRevisions keeps the last revision of each alert id.
func finalRevisions(as []*alert.Alert) map[string]*alert.Alert {
	m := map[string]*alert.Alert{}
	for _, a := range as {
		if old := m[a.Id]; old == nil || a.GetBehavior().GetRevision() > old.GetBehavior().GetRevision() {
			m[a.Id] = a
		}
	}
	return m
}

// TestBehaveCaptures replays the scenario captures made by real clients
// (testdata/make-bot-captures.sh): each abuse scenario raises its rule, the
// benign ones (a monitor, a partner integration, people logging in and
// browsing) raise nothing, and one worker or three give the same alerts.
func TestBehaveCaptures(t *testing.T) {
	tests := []struct {
		file string
		want []string // rule ids that must be raised; nil: no alert at all
	}{
		{"bots-stuffing.pcap", []string{"credential-stuffing"}},
		{"bots-distributed.pcap", []string{"distributed-credential-stuffing"}},
		{"bots-brute.pcap", []string{"brute-force"}},
		{"bots-enumeration.pcap", []string{"enumeration"}},
		{"bots-scanner.pcap", []string{"scanner"}},
		{"bots-monitor.pcap", nil},
		{"bots-partner.pcap", nil},
		{"bots-users.pcap", nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			one, rep := replayBehave(t, 1, "../testdata/"+tt.file)
			if rep.Exchanges == 0 {
				t.Fatal("no exchanges")
			}
			var rules []string
			for _, a := range one {
				if a.Detector != behave.Detector {
					t.Errorf("detector %q", a.Detector)
				}
				rules = append(rules, a.RuleId)
			}
			if tt.want == nil && len(one) > 0 {
				for _, a := range one {
					t.Log(a.RuleId, a.Summary)
				}
				t.Fatalf("benign traffic raised %v", rules)
			}
			for _, r := range tt.want {
				if !slices.Contains(rules, r) {
					t.Errorf("no %s alert; got %v", r, rules)
				}
			}
			if got := rep.AlertsByDetector[behave.Detector]; got != uint64(len(one)) {
				t.Errorf("report counts %d behave alerts, %d published", got, len(one))
			}

			three, _ := replayBehave(t, 3, "../testdata/"+tt.file)
			f1, f3 := finalRevisions(one), finalRevisions(three)
			if len(one) != len(three) || len(f1) != len(f3) {
				t.Fatalf("1 worker: %d revisions of %d alerts; 3 workers: %d of %d", len(one), len(f1), len(three), len(f3))
			}
			for id, a := range f1 {
				b := f3[id]
				// Flow ids number connections per worker: compare
				// the rest.
				if b != nil {
					b = proto.CloneOf(b)
					b.Flow.FlowId = a.GetFlow().GetFlowId()
				}
				if !proto.Equal(a, b) {
					t.Errorf("%s differs:\n1 worker:  %v\n3 workers: %v", a.RuleId, a, b)
				}
			}
		})
	}
}

// TestBehaveDisabled: with the engine off no events are built for it and
// no behavioural alert is raised.
func TestBehaveDisabled(t *testing.T) {
	cfg := testConfig(1)
	cfg.Detectors = nil
	cfg.Behave.Enabled = false
	var c alerttest.Collector
	if _, err := Replay(context.Background(), cfg, []string{"../testdata/bots-stuffing.pcap"}, nil, Outputs{Alerts: &c}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil); err != nil {
		t.Fatal(err)
	}
	if len(c.Alerts()) != 0 {
		t.Fatalf("%d alerts with behave off", len(c.Alerts()))
	}
}
