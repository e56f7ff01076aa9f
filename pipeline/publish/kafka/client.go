// Package kafka publishes alerts, exchange events and run reports to Kafka
// with segmentio/kafka-go, never blocking capture and never losing an alert
// silently: a bounded memory queue in front of the producer, a disk spool
// when the brokers are away, counted drops only when the spool is full.
//
// Input: batches from the pipeline's output stage (publish.Publisher).
// Output: Kafka topics. ClientConfig is shared with the consumer side
// (sensor alerts).
package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// ClientConfig says how to reach the brokers: addresses, TLS and SASL. It is
// the part of the configuration shared by producers and consumers.
type ClientConfig struct {
	// Brokers are host:port seed addresses.
	Brokers []string `yaml:"brokers" env:"SENSOR_KAFKA_BROKERS"`
	// ClientID names the sensor to the brokers.
	ClientID string `yaml:"client_id" env:"SENSOR_KAFKA_CLIENT_ID"`
	// DialTimeout bounds connecting to one broker.
	DialTimeout time.Duration `yaml:"dial_timeout" env:"SENSOR_KAFKA_DIAL_TIMEOUT"`
	TLS         TLSConfig     `yaml:"tls"`
	SASL        SASLConfig    `yaml:"sasl"`
}

// TLSConfig enables TLS to the brokers when Enable is set.
type TLSConfig struct {
	Enable bool `yaml:"enable" env:"SENSOR_KAFKA_TLS"`
	// CAFile is a PEM bundle of the CAs that sign the brokers'
	// certificates; empty means the system roots.
	CAFile string `yaml:"ca_file" env:"SENSOR_KAFKA_TLS_CA_FILE"`
	// CertFile and KeyFile are the client certificate and key (PEM), for
	// brokers that require client authentication.
	CertFile string `yaml:"cert_file" env:"SENSOR_KAFKA_TLS_CERT_FILE"`
	KeyFile  string `yaml:"key_file" env:"SENSOR_KAFKA_TLS_KEY_FILE"`
	// ServerName overrides the name checked in the brokers' certificates.
	ServerName string `yaml:"server_name" env:"SENSOR_KAFKA_TLS_SERVER_NAME"`
	// InsecureSkipVerify turns certificate checks off: for tests only.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify" env:"SENSOR_KAFKA_TLS_INSECURE_SKIP_VERIFY"`
}

// SASLConfig enables SASL authentication when Mechanism is set.
type SASLConfig struct {
	// Mechanism is "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512".
	Mechanism string `yaml:"mechanism" env:"SENSOR_KAFKA_SASL_MECHANISM"`
	Username  string `yaml:"username" env:"SENSOR_KAFKA_SASL_USERNAME"`
	// Password is read from PasswordFile when that is set, so that it need
	// not sit in a config file or the environment.
	Password     string `yaml:"password" env:"SENSOR_KAFKA_SASL_PASSWORD"`
	PasswordFile string `yaml:"password_file" env:"SENSOR_KAFKA_SASL_PASSWORD_FILE"`
}

// Errors of the client configuration.
var (
	ErrNoBrokers     = errors.New("no kafka brokers configured")
	ErrSASLMechanism = errors.New("unknown SASL mechanism (want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
)

// DefaultClientConfig returns the defaults: no brokers (they must be given).
func DefaultClientConfig() ClientConfig {
	return ClientConfig{ClientID: "sensor", DialTimeout: 10 * time.Second}
}

// Validate checks the configuration without touching the network or files.
func (c *ClientConfig) Validate() error {
	if len(c.Brokers) == 0 {
		return ErrNoBrokers
	}
	for _, b := range c.Brokers {
		if _, _, err := net.SplitHostPort(b); err != nil {
			return fmt.Errorf("kafka broker %q: %w", b, err)
		}
	}
	if c.DialTimeout <= 0 {
		return fmt.Errorf("kafka dial_timeout = %v: must be positive", c.DialTimeout)
	}
	switch strings.ToUpper(c.SASL.Mechanism) {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		return fmt.Errorf("%q: %w", c.SASL.Mechanism, ErrSASLMechanism)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return errors.New("kafka tls: cert_file and key_file go together")
	}
	return nil
}

// TLSClientConfig builds the crypto/tls configuration, or nil when TLS is off.
func (c *ClientConfig) TLSClientConfig() (*tls.Config, error) {
	t := c.TLS
	if !t.Enable {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("kafka tls ca %s: no PEM certificate found", t.CAFile)
		}
		cfg.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("kafka tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Mechanism builds the SASL mechanism, or nil when SASL is off.
func (c *ClientConfig) Mechanism() (sasl.Mechanism, error) {
	s := c.SASL
	pass := s.Password
	if s.PasswordFile != "" {
		b, err := os.ReadFile(s.PasswordFile)
		if err != nil {
			return nil, fmt.Errorf("kafka sasl password file: %w", err)
		}
		pass = strings.TrimRight(string(b), "\r\n")
	}
	switch strings.ToUpper(s.Mechanism) {
	case "":
		return nil, nil
	case "PLAIN":
		return plain.Mechanism{Username: s.Username, Password: pass}, nil
	case "SCRAM-SHA-256":
		return scram.Mechanism(scram.SHA256, s.Username, pass)
	case "SCRAM-SHA-512":
		return scram.Mechanism(scram.SHA512, s.Username, pass)
	}
	return nil, fmt.Errorf("%q: %w", s.Mechanism, ErrSASLMechanism)
}

// security builds the TLS configuration and the SASL mechanism, either nil
// when off.
func (c *ClientConfig) security() (*tls.Config, sasl.Mechanism, error) {
	tlsCfg, err := c.TLSClientConfig()
	if err != nil {
		return nil, nil, err
	}
	mech, err := c.Mechanism()
	if err != nil {
		return nil, nil, err
	}
	return tlsCfg, mech, nil
}

// Transport returns a kafka-go transport for writers and admin calls.
func (c *ClientConfig) Transport() (*kafkago.Transport, error) {
	tlsCfg, mech, err := c.security()
	if err != nil {
		return nil, err
	}
	return &kafkago.Transport{
		DialTimeout: c.DialTimeout,
		ClientID:    c.ClientID,
		TLS:         tlsCfg,
		SASL:        mech,
		MetadataTTL: 30 * time.Second,
	}, nil
}

// Dialer returns a kafka-go dialer for readers (consumers).
func (c *ClientConfig) Dialer() (*kafkago.Dialer, error) {
	tlsCfg, mech, err := c.security()
	if err != nil {
		return nil, err
	}
	return &kafkago.Dialer{
		Timeout:       c.DialTimeout,
		ClientID:      c.ClientID,
		TLS:           tlsCfg,
		SASLMechanism: mech,
		DualStack:     true,
	}, nil
}
