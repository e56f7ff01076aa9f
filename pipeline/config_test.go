package pipeline

import (
	"errors"
	"testing"

	"github.com/apisensor/sensor/sensor"
)

func TestConfigValidate(t *testing.T) {
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, mutate := range map[string]func(*Config){
		"queue":       func(c *Config) { c.QueueBatches = 0 },
		"connections": func(c *Config) { c.TCP.MaxConns = 0 },
		"idle":        func(c *Config) { c.TCP.IdleTimeout = -1 },
		"body":        func(c *Config) { c.Decode.MaxBodyBytes = 0 },
		"workers":     func(c *Config) { c.Workers = -2 },
	} {
		c := DefaultConfig()
		mutate(&c)
		err := c.Validate()
		if !errors.Is(err, ErrConfig) || !errors.Is(err, sensor.ErrBound) {
			t.Errorf("%s: %v, want ErrConfig and sensor.ErrBound", name, err)
		}
	}
}
