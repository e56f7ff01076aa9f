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
	SchemaEvent   = "sensor.alert.v1.Event"
	SchemaStats   = "sensor.stats.v1"
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
	// EventsTopic receives one record per exchange (alert.Event, same
	// encoding as alerts); empty turns events off, the default.
	EventsTopic string `yaml:"events_topic" env:"SENSOR_KAFKA_EVENTS_TOPIC"`
	// StatsTopic receives the run report as JSON; empty turns it off.
	StatsTopic string `yaml:"stats_topic" env:"SENSOR_KAFKA_STATS_TOPIC"`
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
	topics := []string{cfg.Topic}
	for _, t := range []string{cfg.EventsTopic, cfg.StatsTopic} {
		if t != "" {
			topics = append(topics, t)
		}
	}
	p, err := NewProducer(ctx, cfg.Client, cfg.Producer, topics, cfg.Logger)
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
		hs := p.headers(p.ctype, SchemaName, Header{Key: HeaderDetector, Value: []byte(a.GetDetector())})
		recs = append(recs, Record{Topic: p.cfg.Topic, Key: keyOf(a), Value: v, Headers: hs})
	}
	if err := p.p.Enqueue(recs...); errors.Is(err, ErrClosed) {
		return errors.Join(encErr, fmt.Errorf("kafka: %w", publish.ErrClosed))
	}
	return encErr
}

// headers returns the headers of one record: content type, schema and its
// version, the sensor id when set, then extra.
func (p *Publisher) headers(ctype []byte, schema string, extra ...Header) []Header {
	hs := make([]Header, 0, 4+len(extra))
	hs = append(hs,
		Header{Key: HeaderContentType, Value: ctype},
		Header{Key: HeaderSchema, Value: []byte(schema)},
		Header{Key: HeaderSchemaVersion, Value: []byte(SchemaVersion)},
	)
	hs = append(hs, extra...)
	if p.cfg.SensorID != "" {
		hs = append(hs, Header{Key: HeaderSensorID, Value: []byte(p.cfg.SensorID)})
	}
	return hs
}

// PublishEvents encodes exchange events like alerts and enqueues them on the
// events topic, keyed by client. It does nothing when the topic is off.
func (p *Publisher) PublishEvents(_ context.Context, batch []*alert.Event) error {
	if p.cfg.EventsTopic == "" {
		return nil
	}
	recs := make([]Record, 0, len(batch))
	var encErr error
	for _, e := range batch {
		var (
			v   []byte
			err error
		)
		if p.json {
			v, err = alert.MarshalEventJSON(e)
		} else {
			v, err = proto.Marshal(e)
		}
		if err != nil {
			p.p.countDrop(DropEncode, 1)
			if encErr == nil {
				encErr = fmt.Errorf("kafka: %w: %w", publish.ErrEncode, err)
			}
			continue
		}
		var key []byte
		if ip := e.GetClient().GetIp(); ip != "" {
			key = []byte(ip)
		}
		recs = append(recs, Record{Topic: p.cfg.EventsTopic, Key: key, Value: v, Headers: p.headers(p.ctype, SchemaEvent)})
	}
	if err := p.p.Enqueue(recs...); errors.Is(err, ErrClosed) {
		return errors.Join(encErr, fmt.Errorf("kafka: %w", publish.ErrClosed))
	}
	return encErr
}

// PublishStats enqueues a JSON run report on the stats topic, keyed by the
// sensor id. It does nothing when the topic is off.
func (p *Publisher) PublishStats(_ context.Context, report []byte) error {
	if p.cfg.StatsTopic == "" {
		return nil
	}
	rec := Record{Topic: p.cfg.StatsTopic, Key: []byte(p.cfg.SensorID), Value: report,
		Headers: p.headers([]byte(ContentTypeJSON), SchemaStats)}
	if err := p.p.Enqueue(rec); errors.Is(err, ErrClosed) {
		return fmt.Errorf("kafka: %w", publish.ErrClosed)
	}
	return nil
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
