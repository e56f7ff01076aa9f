package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
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

// configArg returns the value of --config in args. It is read before the
// flags are parsed, so that the file's values (and the environment's)
// become the flags' defaults and a flag given on the command line wins.
func configArg(args []string) string {
	for i, a := range args {
		if a == "--" {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "config" {
			continue
		}
		if hasValue {
			return value
		}
		if i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// pipelineFlagSet reads --config and the SENSOR_* variables, then makes
// cmd's flag set with the shared flags and --config bound, the file's values
// as their defaults. The flags fill cfg, a copy of the file's pipeline
// settings. On error it has printed the problem: the exit code is 2.
func pipelineFlagSet(cmd, usage string, args []string, stderr io.Writer) (fc *fileConfig, cfg *pipeline.Config, fs *flag.FlagSet, pf *pipelineFlags, ok bool) {
	fc, err := loadConfig(configArg(args), os.Environ())
	if err != nil {
		fmt.Fprintf(stderr, "sensor %s: %v\n", cmd, err)
		return nil, nil, nil, nil, false
	}
	cfg = new(pipeline.Config)
	*cfg = fc.Pipeline
	fs = flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	pf = bindPipelineFlags(fs, cfg)
	pf.useFile(fc)
	fs.String("config", "", "YAML configuration file (cmd/sensor/deploy/sensor.example.yaml); SENSOR_* variables override it, flags override both")
	return fc, cfg, fs, pf, true
}

// useFile makes the file's Kafka and log settings the defaults of the
// shared flags; call it after bindPipelineFlags and before parsing. The
// flags were bound to fields of f.kcfg, which is overwritten in place.
func (f *pipelineFlags) useFile(fc *fileConfig) {
	f.kcfg = fc.Kafka.config("", nil)
	*f.brokers = strings.Join(fc.Kafka.Brokers, ",")
	*f.level, *f.format = fc.Log.Level, fc.Log.Format
}

// startOps serves metrics, health and pprof (fc.Metrics) while the pipeline
// runs, and makes out.Live feed the metrics. The returned stop ends the
// server and returns its error. It also warns about SENSOR_* variables that
// no setting reads.
func startOps(ctx context.Context, fc *fileConfig, out *pipeline.Outputs, kpub *kafka.Publisher, log *slog.Logger) (stop func() error, err error) {
	for _, name := range unknownEnv(os.Environ()) {
		log.Warn("environment variable not used by any setting", "name", name)
	}
	if err := fc.Metrics.Validate(); err != nil {
		return nil, err
	}
	live := &pipeline.Live{}
	out.Live = live
	var ready func() error
	if kpub != nil {
		live.AddCounters(func() map[string]uint64 { return kpub.Stats().Counters() })
		ready = kafkaReady(kpub, fc.Kafka.SpoolMaxBytes, fc.Kafka.SpoolDir != "")
	}
	ctx, cancel := context.WithCancel(ctx)
	if fc.Metrics.Listen == "" {
		return func() error { cancel(); return nil }, nil
	}
	// Listen now, so that a port in use is a startup error.
	ln, err := ops.Listen(ctx, fc.Metrics)
	if err != nil {
		cancel()
		return nil, err
	}
	reg := ops.NewRegistry(live.Snapshot, version)
	done := make(chan error, 1)
	go func() {
		done <- ops.ServeListener(ctx, ln, fc.Metrics, reg, ready, log.With("component", "metrics"))
	}()
	return func() error { cancel(); return <-done }, nil
}

// kafkaReady reports the sensor not ready while its alerts cannot reach
// Kafka for long: the spool is more than 90% full, or, without a spool,
// records were dropped since the last check.
func kafkaReady(kpub *kafka.Publisher, spoolMax int64, spooling bool) func() error {
	var lastDropped atomic.Uint64
	return func() error {
		st := kpub.Stats()
		var dropped uint64
		for _, n := range st.Dropped {
			dropped += n
		}
		prev := lastDropped.Swap(dropped)
		switch {
		case spooling && spoolMax > 0 && st.SpoolBytes > spoolMax/10*9:
			return fmt.Errorf("kafka unreachable or slow: spool %d of %d bytes", st.SpoolBytes, spoolMax)
		case dropped > prev:
			return fmt.Errorf("kafka unreachable or slow: %d records dropped since the last check", dropped-prev)
		}
		return nil
	}
}
