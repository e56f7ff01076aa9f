package pipeline

import (
	"context"
	"fmt"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/behave"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/sensor"
)

// behaveStage runs the behavioural engine in the output stage: every event
// the workers built goes through it, and its alerts go to Outputs.Alerts
// like the per-exchange detectors' alerts. It runs on the output
// goroutine only. A nil *behaveStage is the disabled stage (a bypass).
type behaveStage struct {
	engine *behave.Engine
	// detect holds the operator's exceptions, applied to what the
	// engine raises (detect.Config.ExceptBehaviour).
	detect   *detect.Config
	alerts   []*alert.Alert // reused between batches
	raised   uint64
	excepted uint64
}

// newBehaveStage builds the stage, or returns nil when it is disabled.
func newBehaveStage(cfg *Config) (*behaveStage, error) {
	if !cfg.Behave.Enabled {
		return nil, nil
	}
	e, err := behave.New(cfg.Behave)
	if err != nil {
		return nil, fmt.Errorf("behave: %w", err)
	}
	return &behaveStage{engine: e, detect: &cfg.Detect}, nil
}

// observe feeds a batch of events and publishes what it raised. Events are
// read, never modified: the events output may still hold them.
func (s *behaveStage) observe(ctx context.Context, events []*alert.Event, out Outputs, report *Report) error {
	if s == nil || len(events) == 0 {
		return nil
	}
	s.alerts = s.alerts[:0]
	for _, e := range events {
		s.alerts = s.engine.Observe(e, s.alerts)
	}
	return s.publish(ctx, out, report)
}

// flush closes every window at the end of the input and publishes the
// final revisions.
func (s *behaveStage) flush(ctx context.Context, out Outputs, report *Report) error {
	if s == nil {
		return nil
	}
	s.alerts = s.engine.Flush(s.alerts[:0])
	return s.publish(ctx, out, report)
}

func (s *behaveStage) publish(ctx context.Context, out Outputs, report *Report) error {
	s.alerts = s.detect.ExceptBehaviour(s.alerts, func(*alert.Alert) { s.excepted++ })
	if len(s.alerts) == 0 {
		return nil
	}
	s.raised += uint64(len(s.alerts))
	if out.Alerts == nil {
		return nil
	}
	// The publisher may keep the batch: hand it a copy of the slice.
	batch := append([]*alert.Alert(nil), s.alerts...)
	if err := out.Alerts.Publish(ctx, batch); err != nil {
		report.PublishErrors++
		return fmt.Errorf("publish: %w", err)
	}
	return nil
}

// tally returns the stage's counters in the workers' form, so that the run
// report adds them up: alerts under detector "behave", and what the bounds
// shed as drops.
func (s *behaveStage) tally() tally {
	t := tally{counts: sensor.Counts{}, alerts: map[string]uint64{}}
	if s == nil {
		return t
	}
	t.alerts[behave.Detector] = s.raised
	if s.excepted > 0 {
		t.counts.Add(CountExcepted+"."+behave.Detector, s.excepted)
	}
	st := s.engine.Stats()
	for name, drop := range map[string]string{
		behave.CountEvicted:    "drop.behave_evicted",
		behave.CountWinDropped: "drop.behave_window",
		behave.CountLate:       "drop.behave_late",
	} {
		if v := st[name]; v > 0 {
			t.counts.Add(drop, v)
		}
	}
	return t
}
