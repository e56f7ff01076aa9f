package tier1_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/alert/alerttest"
)

// TestReplayGraphQL replays testdata/graphql.pcap (testdata/gencaps) with
// the default detectors: a CSRF mutation in a form POST with another site's
// Origin, answered with its data, and a Clairvoyance bucket answered with
// an error and a suggestion for each guessed field, and graphw00f's Apollo
// probe answered in Apollo's words each raise their alert, likely
// successful by the answer; an Apollo client's mutation with a bearer
// token and graphw00f's liveness check raise nothing.
func TestReplayGraphQL(t *testing.T) {
	cfg := pipeline.DefaultConfig()
	cfg.Workers = 1
	c := alerttest.Collector{Keep: func(a *alert.Alert) bool { return strings.HasPrefix(a.RuleId, "graphql-") }}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := pipeline.Replay(context.Background(), cfg, []string{"../../../testdata/graphql.pcap"}, nil, pipeline.Outputs{Alerts: &c}, log, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"graphql-mutation-csrf":     "from https://evil.example",
		"graphql-field-enumeration": "64 unknown-field and unknown-argument errors in the answer, with field suggestions",
		"graphql-fingerprint":       "engine probe query @skip {",
	}
	if len(c.Alerts()) != len(want) {
		t.Errorf("%d GraphQL alerts, want %d", len(c.Alerts()), len(want))
	}
	for _, a := range c.Alerts() {
		w, ok := want[a.RuleId]
		switch {
		case !ok:
			t.Errorf("unexpected %s: %s", a.RuleId, a.Summary)
		case a.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL || len(a.Evidence) == 0 || !strings.Contains(a.Evidence[0].Matched, w):
			t.Errorf("%s: outcome %v, evidence %v", a.RuleId, a.Outcome, a.Evidence)
		}
		delete(want, a.RuleId)
	}
	for r := range want {
		t.Errorf("no %s", r)
	}
}
