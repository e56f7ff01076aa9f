package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/apisensor/sensor/pipeline"
	"github.com/apisensor/sensor/pipeline/cfgload"
	"github.com/apisensor/sensor/pipeline/ops"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
	"github.com/apisensor/sensor/sensor/live"
)

// fileConfig is the schema of the configuration file (--config), one
// document with the pipeline's settings at the top level and a section per
// concern. cmd/sensor/deploy/sensor.example.yaml shows every key with its
// default. Values come from, in increasing precedence: the defaults, the
// file, SENSOR_* environment variables (the env tags), then the flags given
// on the command line.
type fileConfig struct {
	Pipeline pipeline.Config `yaml:",inline"`
	Capture  live.Config     `yaml:"capture"`
	Kafka    kafkaFileConfig `yaml:"kafka"`
	Metrics  ops.Config      `yaml:"metrics"`
	Log      ops.LogConfig   `yaml:"log"`
}

// kafkaFileConfig is the kafka: section. It is flat, as the --kafka-* flags
// are: the client's and the producer's settings sit beside the topics.
// Kafka is on when brokers are given.
type kafkaFileConfig struct {
	kafka.ClientConfig   `yaml:",inline"`
	kafka.ProducerConfig `yaml:",inline"`
	// Topic receives the alerts.
	Topic string `yaml:"topic" env:"SENSOR_KAFKA_TOPIC"`
	// EventsTopic receives one record per exchange; empty: off.
	EventsTopic string `yaml:"events_topic" env:"SENSOR_KAFKA_EVENTS_TOPIC"`
	// StatsTopic receives the run report every stats_interval; empty: off.
	StatsTopic string `yaml:"stats_topic" env:"SENSOR_KAFKA_STATS_TOPIC"`
	// Encoding of records: protobuf or json.
	Encoding string `yaml:"encoding" env:"SENSOR_KAFKA_ENCODING"`
	// CloseTimeout bounds the flush at shutdown; the rest stays spooled.
	CloseTimeout time.Duration `yaml:"close_timeout" env:"SENSOR_KAFKA_CLOSE_TIMEOUT"`
}

// defaultFileConfig returns every section's defaults.
func defaultFileConfig() fileConfig {
	k := kafka.DefaultConfig()
	return fileConfig{
		Pipeline: pipeline.DefaultConfig(),
		Capture:  live.DefaultConfig(),
		Kafka: kafkaFileConfig{
			ClientConfig:   k.Client,
			ProducerConfig: k.Producer,
			Topic:          k.Topic,
			Encoding:       k.Encoding,
			CloseTimeout:   k.CloseTimeout,
		},
		Metrics: ops.DefaultConfig(),
		Log:     ops.DefaultLogConfig(),
	}
}

// loadConfig returns the defaults overridden by the file at path (none when
// path is empty) and then by the SENSOR_* variables of environ. It does not
// validate: flags come next, then validate.
func loadConfig(path string, environ []string) (*fileConfig, error) {
	c := defaultFileConfig()
	var err error
	if path == "" {
		err = cfgload.Load(&c, nil, environ)
	} else {
		err = cfgload.LoadFile(&c, path, environ)
	}
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// unknownEnv returns the SENSOR_* variables of environ that no setting
// reads: most likely typos, worth a warning.
func unknownEnv(environ []string) []string {
	c := defaultFileConfig()
	return cfgload.Unknown(&c, environ, "SENSOR_")
}

// validate checks every section; the pipeline's Validate also fills
// Workers when 0.
func (c *fileConfig) validate() error {
	errs := []error{c.Pipeline.Validate(), c.Metrics.Validate(), c.Log.Validate()}
	if c.Capture.Enabled() {
		errs = append(errs, c.Capture.Validate())
	}
	if c.Kafka.enabled() {
		kc := c.Kafka.config(c.Pipeline.SensorID, nil)
		errs = append(errs, kc.Validate())
	}
	return errors.Join(errs...)
}

// enabled reports whether alerts go to Kafka.
func (k *kafkaFileConfig) enabled() bool { return len(k.Brokers) > 0 }

// config returns the publisher's configuration.
func (k *kafkaFileConfig) config(sensorID string, log *slog.Logger) kafka.Config {
	return kafka.Config{
		Client:       k.ClientConfig,
		Producer:     k.ProducerConfig,
		Topic:        k.Topic,
		EventsTopic:  k.EventsTopic,
		StatsTopic:   k.StatsTopic,
		Encoding:     k.Encoding,
		SensorID:     sensorID,
		CloseTimeout: k.CloseTimeout,
		Logger:       log,
	}
}

// overlayFlags applies to target the flags that were set on the command line
// of parsed, by name, so that flags win over the file and the environment
// while unset flags leave them alone. The two sets are built by the same
// function, parsed bound to a scratch configuration (to read --config
// first) and target bound to the loaded one.
func overlayFlags(parsed, target *flag.FlagSet) error {
	var errs []error
	parsed.Visit(func(f *flag.Flag) {
		if target.Lookup(f.Name) == nil {
			return // a flag of the command, not of the configuration
		}
		if err := target.Set(f.Name, f.Value.String()); err != nil {
			errs = append(errs, fmt.Errorf("flag --%s: %w", f.Name, err))
		}
	})
	return errors.Join(errs...)
}
