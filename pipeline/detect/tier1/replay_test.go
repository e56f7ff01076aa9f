package tier1_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/apisensor/sensor/pipeline"
	"github.com/apisensor/sensor/pipeline/alert"
)

// graphqlAlerts is a publisher that keeps the GraphQL family's alerts.
type graphqlAlerts struct {
	mu     sync.Mutex
	alerts []*alert.Alert
}

func (c *graphqlAlerts) Publish(_ context.Context, batch []*alert.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range batch {
		if strings.HasPrefix(a.RuleId, "graphql-") {
			c.alerts = append(c.alerts, a)
		}
	}
	return nil
}

func (c *graphqlAlerts) Close() error { return nil }

// TestReplayGraphQL replays testdata/graphql.pcap (testdata/gencaps) with
// the default detectors: a CSRF mutation in a form POST with another site's
// Origin, answered with its data, and a Clairvoyance bucket answered with
// an error and a suggestion for each guessed field each raise their alert,
// likely successful by the answer; an Apollo client's mutation with a
// bearer token raises nothing.
func TestReplayGraphQL(t *testing.T) {
	cfg := pipeline.DefaultConfig()
	cfg.Workers = 1
	var c graphqlAlerts
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := pipeline.Replay(context.Background(), cfg, []string{"../../../testdata/graphql.pcap"}, nil, pipeline.Outputs{Alerts: &c}, log, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"graphql-mutation-csrf":     "from https://evil.example",
		"graphql-field-enumeration": "64 unknown-field and unknown-argument errors in the answer, with field suggestions",
	}
	if len(c.alerts) != len(want) {
		t.Errorf("%d GraphQL alerts, want %d", len(c.alerts), len(want))
	}
	for _, a := range c.alerts {
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
