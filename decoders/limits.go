package decoders

import "github.com/apisensor/sensor/sensor"

// Limits bounds what decoders keep. Every field has a safe non-zero default
// (DefaultLimits); Validate rejects zero and negative values, so there is no
// "unlimited".
type Limits struct {
	// SniffBytes is how many bytes per direction are buffered while the
	// protocol is being recognised.
	SniffBytes int `yaml:"sniff_bytes" env:"SENSOR_DECODE_SNIFF_BYTES"`
	// MaxLineBytes bounds a request or status line. A longer one is not
	// lost: its first MaxLineBytes are kept and parsed (the request-target
	// or reason cut there, the version read from the line's end), the rest
	// is skipped unbuffered, and the message is flagged
	// (http1.request_line_too_long, http1.status_line_too_long). It is also
	// what is kept of a header line over MaxHeaderBytes, and of an HTTP/2
	// header field alone over MaxHeaderBytes. The 8 KiB default is what
	// nginx and Apache accept (414 past it); servers that accept more (IIS
	// and Node 16 KiB, Go 1 MiB) call for 16384 or more, at the cost of
	// that much buffer per connection while such a line is read.
	MaxLineBytes int `yaml:"max_line_bytes" env:"SENSOR_DECODE_MAX_LINE_BYTES"`
	// MaxHeaderBytes bounds the whole header block of one message (and one
	// HTTP/1 header line: past it the line is cut to MaxLineBytes; an
	// HTTP/2 block past it is decoded as far as it goes).
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
	// MaxStreams bounds the HTTP/2 streams tracked at once on one
	// connection; past it the oldest is handed on incomplete.
	MaxStreams int `yaml:"max_streams" env:"SENSOR_DECODE_MAX_STREAMS"`
	// MaxHeaderTableBytes bounds each HPACK dynamic table, whatever size
	// the peers negotiate.
	MaxHeaderTableBytes int `yaml:"max_header_table_bytes" env:"SENSOR_DECODE_MAX_HEADER_TABLE_BYTES"`
	// MaxContinuationFrames bounds the CONTINUATION frames of one HTTP/2
	// header block (CONTINUATION flood).
	MaxContinuationFrames int `yaml:"max_continuation_frames" env:"SENSOR_DECODE_MAX_CONTINUATION_FRAMES"`
	// MaxGRPCMessages bounds the gRPC messages kept per direction of one
	// call; the rest are counted (GRPCCall.RequestsTotal, ResponsesTotal).
	MaxGRPCMessages int `yaml:"max_grpc_messages" env:"SENSOR_DECODE_MAX_GRPC_MESSAGES"`
}

// DefaultLimits returns the defaults, close to Suricata's shipped ones where
// they overlap (FIELD-NOTES.md).
func DefaultLimits() Limits {
	return Limits{
		SniffBytes:            4096,
		MaxLineBytes:          8192,
		MaxHeaderBytes:        64 << 10,
		MaxHeaders:            256,
		MaxBodyBytes:          64 << 10,
		MaxDecompressedBytes:  1 << 20,
		MaxPending:            512,
		MaxParams:             1024,
		MaxParamBytes:         8192,
		MaxNesting:            64,
		MaxStreams:            4096,
		MaxHeaderTableBytes:   64 << 10,
		MaxContinuationFrames: 64,
		MaxGRPCMessages:       128,
	}
}

// Validate checks that every bound is set.
func (l *Limits) Validate() error {
	return sensor.CheckBounds("decode",
		sensor.Bound{Name: "sniff_bytes", Value: int64(l.SniffBytes)},
		sensor.Bound{Name: "max_line_bytes", Value: int64(l.MaxLineBytes)},
		sensor.Bound{Name: "max_header_bytes", Value: int64(l.MaxHeaderBytes)},
		sensor.Bound{Name: "max_headers", Value: int64(l.MaxHeaders)},
		sensor.Bound{Name: "max_body_bytes", Value: int64(l.MaxBodyBytes)},
		sensor.Bound{Name: "max_decompressed_bytes", Value: int64(l.MaxDecompressedBytes)},
		sensor.Bound{Name: "max_pending", Value: int64(l.MaxPending)},
		sensor.Bound{Name: "max_params", Value: int64(l.MaxParams)},
		sensor.Bound{Name: "max_param_bytes", Value: int64(l.MaxParamBytes)},
		sensor.Bound{Name: "max_nesting", Value: int64(l.MaxNesting)},
		sensor.Bound{Name: "max_streams", Value: int64(l.MaxStreams)},
		sensor.Bound{Name: "max_header_table_bytes", Value: int64(l.MaxHeaderTableBytes)},
		sensor.Bound{Name: "max_continuation_frames", Value: int64(l.MaxContinuationFrames)},
		sensor.Bound{Name: "max_grpc_messages", Value: int64(l.MaxGRPCMessages)},
	)
}
