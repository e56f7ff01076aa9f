// Package alerttest holds what tests that run captures through the
// pipeline share: a publisher that keeps the alerts it is given.
package alerttest

import (
	"context"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/apisensor/sensor/pipeline/alert"
)

// Collector is a publisher (pipeline.Outputs.Alerts) that keeps a copy of
// each alert Keep accepts (every one when Keep is nil): the pipeline may
// publish an alert again as it is revised, so each version is kept as it
// was. Safe for the workers' concurrent calls.
type Collector struct {
	Keep func(*alert.Alert) bool

	mu     sync.Mutex
	alerts []*alert.Alert
}

// Publish implements the pipeline's publisher.
func (c *Collector) Publish(_ context.Context, batch []*alert.Alert) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range batch {
		if c.Keep == nil || c.Keep(a) {
			c.alerts = append(c.alerts, proto.CloneOf(a))
		}
	}
	return nil
}

// Close implements the pipeline's publisher.
func (c *Collector) Close() error { return nil }

// Alerts returns what was kept, in the order it was published.
func (c *Collector) Alerts() []*alert.Alert {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.alerts
}
