package crs_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/alert/alerttest"
	"github.com/apisensor/sensor/pipeline/detect"
)

// TestReplay runs a capture through the pipeline with the default
// detectors, crs last: it finds the capture's attacks in either mode.
func TestReplay(t *testing.T) {
	for _, mode := range []string{detect.CRSSuspicious, detect.CRSAll} {
		t.Run(mode, func(t *testing.T) {
			cfg := pipeline.DefaultConfig()
			cfg.Workers = 2
			cfg.Detect.CRS.Mode = mode
			var c alerttest.Collector
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			if _, err := pipeline.Replay(context.Background(), cfg, []string{"../../../testdata/http-curl.pcap"}, nil,
				pipeline.Outputs{Alerts: &c}, log, nil); err != nil {
				t.Fatal(err)
			}
			// Where tier 1 alerted too, the crs alert is folded into tier 1's
			// (detect.Combine): its findings are the evidence tagged crs/.
			cats := map[string]int{}
			for _, a := range c.Alerts() {
				if a.Detector == "crs" || slices.ContainsFunc(a.Evidence, func(e *alert.Evidence) bool { return strings.HasPrefix(e.Rule, "crs/") }) {
					cats[a.Category]++
				}
			}
			if cats["sql-injection"] < 3 || cats["xss"] < 2 {
				t.Errorf("crs alerts by category: %v", cats)
			}
			t.Logf("crs alerts by category: %v", cats)
		})
	}
}
