package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/publish"
)

// Name is the publisher's registered name.
const Name = "kafka"

func init() {
	publish.Register(Name, func(cfg publish.Config) (publish.Publisher, error) {
		switch c := cfg.Kafka.(type) {
		case Config:
			return New(c)
		case *Config:
			if c != nil {
				return New(*c)
			}
		}
		return nil, fmt.Errorf("%w: publish.Config.Kafka holds %T, want kafka.Config", ErrConfig, cfg.Kafka)
	})
}

// The alert schema as named in headers: the proto message's full name and
// the major version of its package.
const (
	SchemaName    = "sensor.alert.v1.Alert"
	SchemaVersion = "1"

	ContentTypeProtobuf = "application/x-protobuf"
	ContentTypeJSON     = "application/json"
)

// Header names set on every alert record.
const (
	HeaderContentType   = "content-type"
	HeaderSchema        = "schema"
	HeaderSchemaVersion = "schema-version"
	HeaderDetector      = "detector"
	HeaderSensorID      = "sensor-id"
)

// Config configures the "kafka" publisher.
type Config struct {
	Client   ClientConfig   `yaml:"client"`
	Producer ProducerConfig `yaml:"producer"`
	// Topic receives the alerts.
	Topic string `yaml:"topic" env:"SENSOR_KAFKA_TOPIC"`
	// Encoding of the record value: "protobuf" (proto.Marshal of
	// alert.Alert) or "json" (alert.MarshalJSON, as on stdout).
	Encoding string `yaml:"encoding" env:"SENSOR_KAFKA_ENCODING"`
	// SensorID goes into the sensor-id header; empty omits the header.
	SensorID string `yaml:"sensor_id" env:"SENSOR_ID"`
	// CloseTimeout bounds the flush at Close; what is left stays in the
	// spool.
	CloseTimeout time.Duration `yaml:"close_timeout" env:"SENSOR_KAFKA_CLOSE_TIMEOUT"`
	// Logger receives warnings (component=kafka); nil is slog.Default().
	Logger *slog.Logger `yaml:"-"`
}

// DefaultConfig returns the defaults; brokers must still be given.
func DefaultConfig() Config {
	return Config{
		Client:       DefaultClientConfig(),
		Producer:     DefaultProducerConfig(),
		Topic:        "sensor.alerts",
		Encoding:     "protobuf",
		CloseTimeout: 10 * time.Second,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	if err := c.Client.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if err := c.Producer.Validate(); err != nil {
		return err
	}
	if c.Topic == "" {
		return fmt.Errorf("%w: empty topic", ErrConfig)
	}
	if _, err := contentType(c.Encoding); err != nil {
		return err
	}
	if c.CloseTimeout <= 0 {
		return fmt.Errorf("%w: close_timeout = %v: must be positive", ErrConfig, c.CloseTimeout)
	}
	return nil
}

func contentType(encoding string) (string, error) {
	switch strings.ToLower(encoding) {
	case "protobuf", "proto":
		return ContentTypeProtobuf, nil
	case "json":
		return ContentTypeJSON, nil
	}
	return "", fmt.Errorf("%w: encoding %q (want protobuf or json)", ErrConfig, encoding)
}

// Publisher publishes alerts to a Kafka topic through a Producer.
type Publisher struct {
	cfg   Config
	p     *Producer
	ctype []byte
	json  bool
}

// New returns a publisher for cfg. It fails when the configuration is
// invalid, the spool cannot be opened, or the brokers answer but the topic
// is missing or they refuse us; unreachable brokers are not an error (see
// NewProducer).
func New(cfg Config) (*Publisher, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ctype, _ := contentType(cfg.Encoding)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.Client.DialTimeout)
	defer cancel()
	p, err := NewProducer(ctx, cfg.Client, cfg.Producer, []string{cfg.Topic}, cfg.Logger)
	if err != nil {
		return nil, err
	}
	return &Publisher{cfg: cfg, p: p, ctype: []byte(ctype), json: ctype == ContentTypeJSON}, nil
}

// keyOf is the record key: the client's identity, so that one client's
// alerts land on one partition, in order, for one consumer. When a stronger
// identity than the address (an API-key hash, a token subject) joins
// alert.Client, prefer it here.
func keyOf(a *alert.Alert) []byte {
	if ip := a.GetClient().GetIp(); ip != "" {
		return []byte(ip)
	}
	return nil
}

// Publish encodes the alerts and enqueues them; it never waits for the
// brokers. An alert that cannot be encoded is dropped and counted
// (encode_error) and the error returned wraps publish.ErrEncode; after
// Close it returns publish.ErrClosed.
func (p *Publisher) Publish(_ context.Context, batch []*alert.Alert) error {
	recs := make([]Record, 0, len(batch))
	var encErr error
	for _, a := range batch {
		var (
			v   []byte
			err error
		)
		if p.json {
			v, err = alert.MarshalJSON(a)
		} else {
			v, err = proto.Marshal(a)
		}
		if err != nil {
			p.p.countDrop(DropEncode, 1)
			if encErr == nil {
				encErr = fmt.Errorf("kafka: %w: %w", publish.ErrEncode, err)
			}
			continue
		}
		hs := make([]Header, 0, 5)
		hs = append(hs,
			Header{Key: HeaderContentType, Value: p.ctype},
			Header{Key: HeaderSchema, Value: []byte(SchemaName)},
			Header{Key: HeaderSchemaVersion, Value: []byte(SchemaVersion)},
			Header{Key: HeaderDetector, Value: []byte(a.GetDetector())},
		)
		if p.cfg.SensorID != "" {
			hs = append(hs, Header{Key: HeaderSensorID, Value: []byte(p.cfg.SensorID)})
		}
		recs = append(recs, Record{Topic: p.cfg.Topic, Key: keyOf(a), Value: v, Headers: hs})
	}
	if err := p.p.Enqueue(recs...); errors.Is(err, ErrClosed) {
		return errors.Join(encErr, fmt.Errorf("kafka: %w", publish.ErrClosed))
	}
	return encErr
}

// Close flushes the queue and the spool within cfg.CloseTimeout.
func (p *Publisher) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.CloseTimeout)
	defer cancel()
	return p.CloseContext(ctx)
}

// CloseContext is Close with the caller's deadline.
func (p *Publisher) CloseContext(ctx context.Context) error {
	return p.p.Close(ctx)
}

// Stats returns the producer's counters.
func (p *Publisher) Stats() Stats { return p.p.Stats() }
