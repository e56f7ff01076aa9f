// Package publish defines the publisher contract and the registry that
// publishers join from init.
//
// Input: batches of alerts from the pipeline's output stage (built by the
// detectors in pipeline/detect). Output: wherever the publisher delivers
// them — JSON lines on stdout or a file (jsonl), Kafka, … Publishers live
// in sub-packages; which one runs is configuration.
package publish

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/apisensor/sensor/pipeline/alert"
)

// Publisher delivers alerts.
//
// Call order: Publish 0..n times, then Close exactly once. Publish is called
// from one goroutine, the pipeline's output stage; the batch and its alerts
// are not modified during or after the call, and the publisher must not
// modify them either. When Publish returns, the batch has been delivered,
// spooled, or counted as dropped: a publisher never loses an alert
// silently. Close flushes what is buffered and releases resources.
type Publisher interface {
	Publish(ctx context.Context, batch []*alert.Alert) error
	Close() error
}

// EventPublisher delivers exchange events (the sensor.events topic). It has
// the call rules of Publisher.Publish.
type EventPublisher interface {
	PublishEvents(ctx context.Context, batch []*alert.Event) error
}

// StatsPublisher delivers run reports (the sensor.stats topic), already
// encoded as JSON.
type StatsPublisher interface {
	PublishStats(ctx context.Context, report []byte) error
}

// Config holds every publisher's settings, one section per publisher.
type Config struct {
	JSONL JSONL `yaml:"jsonl"`
	// Kafka configures the "kafka" publisher: a kafka.Config (or a pointer
	// to one) from package pipeline/publish/kafka, which owns the type
	// because it imports this package to register and so cannot be
	// imported by it. Whoever loads the configuration decodes the kafka
	// section into a kafka.Config (start from kafka.DefaultConfig) and
	// sets it here.
	Kafka any `yaml:"-"`
}

// JSONL configures the "jsonl" publisher: one JSON alert per line.
type JSONL struct {
	// Path is the file alerts are appended to; "" or "-" means stdout.
	Path string `yaml:"path" env:"SENSOR_JSONL_PATH"`
	// BufferBytes sizes the write buffer; it is flushed after every batch.
	// Zero takes the default (64 KiB).
	BufferBytes int `yaml:"buffer_bytes" env:"SENSOR_JSONL_BUFFER_BYTES"`
	// Writer, when set, receives the lines instead of Path (embedding and
	// tests). The publisher does not close it.
	Writer io.Writer `yaml:"-"`
}

// NewFunc builds a publisher from its settings.
type NewFunc func(cfg Config) (Publisher, error)

// Errors shared by publishers.
var (
	// ErrUnknown is returned by New for a name no publisher registered.
	ErrUnknown = errors.New("unknown publisher")
	// ErrClosed is returned by Publish after Close.
	ErrClosed = errors.New("publisher closed")
	// ErrEncode marks alerts that could not be encoded and were dropped.
	ErrEncode = errors.New("alert not encodable")
)

var (
	regMu    sync.RWMutex
	registry = map[string]NewFunc{}
)

// Register makes a publisher available by name. It is meant to be called
// from init; a duplicate name panics.
func Register(name string, newFn NewFunc) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("publish: publisher %q registered twice", name))
	}
	registry[name] = newFn
}

// New builds the publisher registered as name.
func New(name string, cfg Config) (Publisher, error) {
	regMu.RLock()
	newFn, ok := registry[name]
	regMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("publisher %q: %w (have %v)", name, ErrUnknown, Names())
	}
	p, err := newFn(cfg)
	if err != nil {
		return nil, fmt.Errorf("publisher %q: %w", name, err)
	}
	return p, nil
}

// Names returns the registered publisher names, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}
