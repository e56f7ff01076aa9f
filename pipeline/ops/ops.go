// Package ops makes the sensor operable as a daemon: the process logger
// (log/slog, text or JSON), Prometheus metrics built from the sensor's named
// counters, and one HTTP listener serving /metrics, /healthz, /readyz and,
// when asked for, /debug/pprof/.
//
// Input: a Snapshot function (the pipeline's latest totals, see
// pipeline.Live) and a readiness function. Output: the HTTP endpoints. The
// package knows counter names only as strings, so it imports nothing of the
// pipeline.
package ops

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Config is the metrics and health listener. Listen is loopback by default:
// the endpoints are unauthenticated, and pprof can leak request data, so
// exposing them is a deliberate choice (e.g. "0.0.0.0:9090" in a container
// whose port is published only to the monitoring network).
type Config struct {
	// Listen is the host:port of the HTTP listener; empty turns it off.
	Listen string `yaml:"listen" env:"SENSOR_METRICS_LISTEN"`
	// Pprof serves /debug/pprof/ on the same listener. Off by default.
	Pprof bool `yaml:"pprof" env:"SENSOR_METRICS_PPROF"`
	// ReadHeaderTimeout bounds reading a request's headers (slowloris).
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout" env:"SENSOR_METRICS_READ_HEADER_TIMEOUT"`
	// IdleTimeout closes idle keep-alive connections.
	IdleTimeout time.Duration `yaml:"idle_timeout" env:"SENSOR_METRICS_IDLE_TIMEOUT"`
	// ShutdownTimeout bounds the wait for requests in flight at shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" env:"SENSOR_METRICS_SHUTDOWN_TIMEOUT"`
	// MaxRequestsInFlight bounds concurrent /metrics scrapes; more get 503.
	MaxRequestsInFlight int `yaml:"max_requests_in_flight" env:"SENSOR_METRICS_MAX_REQUESTS_IN_FLIGHT"`
}

// DefaultConfig returns the defaults: loopback port 9090, no pprof.
func DefaultConfig() Config {
	return Config{
		Listen:              "127.0.0.1:9090",
		ReadHeaderTimeout:   5 * time.Second,
		IdleTimeout:         60 * time.Second,
		ShutdownTimeout:     5 * time.Second,
		MaxRequestsInFlight: 4,
	}
}

// ErrConfig wraps every configuration error of the package.
var ErrConfig = errors.New("invalid ops configuration")

// Validate checks the configuration without binding anything.
func (c *Config) Validate() error {
	if c.Listen != "" {
		if _, _, err := net.SplitHostPort(c.Listen); err != nil {
			return fmt.Errorf("%w: metrics.listen %q: %w", ErrConfig, c.Listen, err)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"read_header_timeout", c.ReadHeaderTimeout},
		{"idle_timeout", c.IdleTimeout},
		{"shutdown_timeout", c.ShutdownTimeout},
	} {
		if d.v <= 0 {
			return fmt.Errorf("%w: metrics.%s = %s: must be positive", ErrConfig, d.name, d.v)
		}
	}
	if c.MaxRequestsInFlight <= 0 {
		return fmt.Errorf("%w: metrics.max_requests_in_flight = %d: must be positive", ErrConfig, c.MaxRequestsInFlight)
	}
	return nil
}

// LogConfig is the process logger.
type LogConfig struct {
	// Format is "text" (logfmt-like, for a person) or "json" (one object
	// per line, for a log pipeline).
	Format string `yaml:"format" env:"SENSOR_LOG_FORMAT"`
	// Level is "debug", "info", "warn" or "error".
	Level string `yaml:"level" env:"SENSOR_LOG_LEVEL"`
}

// DefaultLogConfig returns the defaults: text at info, as the CLI flags.
func DefaultLogConfig() LogConfig { return LogConfig{Format: "text", Level: "info"} }

// Validate checks the format and level.
func (c *LogConfig) Validate() error {
	_, err := c.parse()
	return err
}

func (c *LogConfig) parse() (slog.Level, error) {
	var lv slog.Level
	switch strings.ToLower(c.Level) {
	case "debug", "info", "warn", "error":
	default:
		return 0, fmt.Errorf("%w: log.level %q: want debug, info, warn or error", ErrConfig, c.Level)
	}
	if err := lv.UnmarshalText([]byte(c.Level)); err != nil {
		return 0, fmt.Errorf("%w: log.level %q: %w", ErrConfig, c.Level, err)
	}
	switch c.Format {
	case "text", "json":
	default:
		return 0, fmt.Errorf("%w: log.format %q: want text or json", ErrConfig, c.Format)
	}
	return lv, nil
}

// NewLogger returns the process logger writing to w (stderr, normally: the
// service manager or container runtime collects it).
func NewLogger(c LogConfig, w io.Writer) (*slog.Logger, error) {
	lv, err := c.parse()
	if err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: lv}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
