package decoders

import (
	"errors"
	"fmt"
)

// Limits bounds what decoders keep. Every field has a safe non-zero default
// (DefaultLimits); Validate rejects zero and negative values, so there is no
// "unlimited".
type Limits struct {
	// SniffBytes is how many bytes per direction are buffered while the
	// protocol is being recognised.
	SniffBytes int `yaml:"sniff_bytes" env:"SENSOR_DECODE_SNIFF_BYTES"`
	// MaxLineBytes bounds a request or status line.
	MaxLineBytes int `yaml:"max_line_bytes" env:"SENSOR_DECODE_MAX_LINE_BYTES"`
	// MaxHeaderBytes bounds the whole header block of one message.
	MaxHeaderBytes int `yaml:"max_header_bytes" env:"SENSOR_DECODE_MAX_HEADER_BYTES"`
	// MaxHeaders bounds the number of header fields of one message.
	MaxHeaders int `yaml:"max_headers" env:"SENSOR_DECODE_MAX_HEADERS"`
	// MaxBodyBytes is how many decoded body bytes are kept per message.
	MaxBodyBytes int `yaml:"max_body_bytes" env:"SENSOR_DECODE_MAX_BODY_BYTES"`
	// MaxDecompressedBytes bounds the output of gzip/deflate per message
	// (decompression-bomb limit); past it the body is truncated and flagged.
	MaxDecompressedBytes int `yaml:"max_decompressed_bytes" env:"SENSOR_DECODE_MAX_DECOMPRESSED_BYTES"`
	// MaxPending bounds requests waiting for their responses on one
	// connection (pipelining).
	MaxPending int `yaml:"max_pending" env:"SENSOR_DECODE_MAX_PENDING"`
	// MaxParams bounds the parameters extracted from one request.
	MaxParams int `yaml:"max_params" env:"SENSOR_DECODE_MAX_PARAMS"`
	// MaxParamBytes bounds one parameter value; longer ones are cut.
	MaxParamBytes int `yaml:"max_param_bytes" env:"SENSOR_DECODE_MAX_PARAM_BYTES"`
	// MaxNesting bounds JSON/XML nesting depth walked for parameters.
	MaxNesting int `yaml:"max_nesting" env:"SENSOR_DECODE_MAX_NESTING"`
}

// DefaultLimits returns the defaults, close to Suricata's shipped ones where
// they overlap (FIELD-NOTES.md).
func DefaultLimits() Limits {
	return Limits{
		SniffBytes:           4096,
		MaxLineBytes:         8192,
		MaxHeaderBytes:       64 << 10,
		MaxHeaders:           256,
		MaxBodyBytes:         64 << 10,
		MaxDecompressedBytes: 1 << 20,
		MaxPending:           512,
		MaxParams:            1024,
		MaxParamBytes:        8192,
		MaxNesting:           64,
	}
}

// ErrLimit is returned by Validate for a bound that is not positive.
var ErrLimit = errors.New("limit must be positive")

// Validate checks that every bound is set.
func (l *Limits) Validate() error {
	for _, f := range []struct {
		name string
		v    int
	}{
		{"sniff_bytes", l.SniffBytes},
		{"max_line_bytes", l.MaxLineBytes},
		{"max_header_bytes", l.MaxHeaderBytes},
		{"max_headers", l.MaxHeaders},
		{"max_body_bytes", l.MaxBodyBytes},
		{"max_decompressed_bytes", l.MaxDecompressedBytes},
		{"max_pending", l.MaxPending},
		{"max_params", l.MaxParams},
		{"max_param_bytes", l.MaxParamBytes},
		{"max_nesting", l.MaxNesting},
	} {
		if f.v <= 0 {
			return fmt.Errorf("decode.%s = %d: %w", f.name, f.v, ErrLimit)
		}
	}
	return nil
}
