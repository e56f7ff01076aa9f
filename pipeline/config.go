package pipeline

import (
	"os"
	"time"

	"errors"
	"fmt"
	"github.com/apisensor/sensor/pipeline/behave"
	"github.com/apisensor/sensor/pipeline/detect"
	"runtime"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// Config is the whole sensor configuration: defaults (DefaultConfig), then
// flags, then Validate. Every bound is a field with a safe non-zero default.
type Config struct {
	// Workers is the number of flow-sharded workers; 0 means GOMAXPROCS.
	Workers int `yaml:"workers" env:"SENSOR_WORKERS"`
	// QueueBatches bounds the batches waiting for each worker.
	QueueBatches int `yaml:"queue_batches" env:"SENSOR_QUEUE_BATCHES"`
	// BatchPackets is the number of packets handed to a worker at once.
	BatchPackets int `yaml:"batch_packets" env:"SENSOR_BATCH_PACKETS"`
	// OutputQueue bounds the result batches waiting for the publisher.
	OutputQueue int `yaml:"output_queue" env:"SENSOR_OUTPUT_QUEUE"`

	TCP    sensor.TrackerConfig `yaml:"tcp"`
	Decode decoders.Limits      `yaml:"decode"`

	// Detectors lists the enabled detectors by name.
	Detectors []string      `yaml:"detectors" env:"SENSOR_DETECTORS"`
	Detect    detect.Config `yaml:"detect"`

	// Behave configures the behavioural engine (pipeline/behave), run in
	// the output stage over every exchange's event.
	Behave behave.Config `yaml:"behave"`

	// ProtoDescriptors are FileDescriptorSet files (protoc
	// --descriptor_set_out --include_imports): gRPC messages of the services
	// they describe are decoded with field names; others schema-less.
	ProtoDescriptors []string `yaml:"proto_descriptors" env:"SENSOR_PROTO_DESCRIPTORS"`

	// SensorID names this sensor in alerts and on Kafka records.
	SensorID string `yaml:"sensor_id" env:"SENSOR_ID"`
	// StatsInterval is how often, in wall time, a run report goes to the
	// stats output while a replay runs (one more goes at the end).
	StatsInterval time.Duration `yaml:"stats_interval" env:"SENSOR_STATS_INTERVAL"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Workers:       runtime.GOMAXPROCS(0),
		QueueBatches:  8,
		BatchPackets:  256,
		OutputQueue:   64,
		TCP:           sensor.DefaultTrackerConfig(),
		Decode:        decoders.DefaultLimits(),
		Detectors:     DefaultDetectors(),
		Detect:        detect.DefaultConfig(),
		Behave:        behave.DefaultConfig(),
		SensorID:      hostname(),
		StatsInterval: 30 * time.Second,
	}
}

// DefaultDetectors lists the detectors that run unless configured
// otherwise, in the order they run: libinjection, the tier-1 families (one
// shared pass), request smuggling, the authentication checks (one shared
// pass), then CRS, which as a follow-up sees what the others raised and, in
// its default suspicious mode, runs only where they or its prefilter point.
func DefaultDetectors() []string {
	return []string{
		"injection",
		"cmdi", "traversal", "ssrf", "nosqli", "ssti", "jndi", "xxe", "crlf", "mailinj", "ldapi", "graphql", "codei", "sqlsig", "upload",
		"smuggling",
		"jwt", "credentials-in-url", "basic-cleartext", "secrets-in-response",
		"crs",
	}
}

func hostname() string {
	h, err := os.Hostname()
	if err != nil {
		return "sensor"
	}
	return h
}

// ErrConfig wraps every configuration error.
var ErrConfig = errors.New("invalid configuration")

// Validate checks the configuration; it fills Workers when 0.
func (c *Config) Validate() error {
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if err := sensor.CheckBounds("sensor",
		sensor.Bound{Name: "workers", Value: int64(c.Workers)},
		sensor.Bound{Name: "queue_batches", Value: int64(c.QueueBatches)},
		sensor.Bound{Name: "batch_packets", Value: int64(c.BatchPackets)},
		sensor.Bound{Name: "output_queue", Value: int64(c.OutputQueue)},
		sensor.Bound{Name: "stats_interval", Value: int64(c.StatsInterval)},
	); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if c.Workers > 1024 {
		return fmt.Errorf("%w: workers = %d: at most 1024", ErrConfig, c.Workers)
	}
	if err := c.Behave.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := c.Detect.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := c.TCP.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := c.Decode.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	return nil
}
