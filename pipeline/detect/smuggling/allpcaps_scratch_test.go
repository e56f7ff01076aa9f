package smuggling_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/apisensor/sensor/pipeline"
	"github.com/apisensor/sensor/pipeline/alert"
)

type allc struct{ collector }

func (c *allc) Publish(_ context.Context, batch []*alert.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.alerts = append(c.alerts, batch...)
	return nil
}

func TestScratchAllPcaps(t *testing.T) {
	files, _ := filepath.Glob("../../../testdata/*.pcap*")
	for _, f := range files {
		cfg := pipeline.DefaultConfig()
		cfg.Workers = 1
		var c allc
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		if _, err := pipeline.Replay(context.Background(), cfg, []string{f}, nil, pipeline.Outputs{Alerts: &c}, log, nil); err != nil {
			t.Logf("%s: %v", f, err)
			continue
		}
		for _, a := range c.alerts {
			if a.RuleId == "http-response-without-request" || a.Detector == "smuggling" {
				t.Logf("%s: %s %s %v", filepath.Base(f), a.RuleId, a.Summary, a.Anomalies)
			}
		}
	}
}
