package consume

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
)

// Schema names carried in the "schema" header (or a content-type
// parameter) of the sensor's Kafka messages, and their content types: the
// publisher's, so that the two sides cannot drift apart.
const (
	SchemaAlert = kafka.SchemaName
	SchemaEvent = kafka.SchemaEvent
	SchemaStats = kafka.SchemaStats

	ContentTypeProtobuf = kafka.ContentTypeProtobuf
	ContentTypeJSON     = kafka.ContentTypeJSON
)

// Errors of decoding one message. The message is counted and skipped.
var (
	ErrSchema      = errors.New("unsupported schema")
	ErrContentType = errors.New("unsupported content type")
	ErrUndecodable = errors.New("neither a JSON nor a protobuf sensor record")
)

// Record is one decoded message: exactly one of Alert, Event and Stats is
// set.
type Record struct {
	Topic     string
	Partition int
	Offset    int64
	// Time is the message's Kafka timestamp (publish time), not the event
	// time of the alert.
	Time time.Time
	Key  []byte

	Alert *alert.Alert
	Event *alert.Event
	// Stats is a run report (pipeline.Report) as compact JSON.
	Stats json.RawMessage
}

// kind of record a message holds.
type kind int

const (
	kindUnknown kind = iota
	kindAlert
	kindEvent
	kindStats
)

// strict JSON rejects unknown fields, to tell an alert from an event when
// no header says which; lenient JSON keeps newer producers' records
// readable once the schema is known.
var (
	strictJSON  = protojson.UnmarshalOptions{}
	lenientJSON = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// Decode fills r from a message's value and headers. The content-type
// header picks the encoding (protobuf or JSON) and the schema header (or a
// "proto", "messagetype" or "schema" content-type parameter) the message
// type. Without a content type, JSON is tried, then protobuf; without a
// schema, a topic whose name contains "event" holds events, any other
// alerts.
func Decode(r *Record, topic string, headers map[string]string, value []byte) error {
	ct, params := headers["content-type"], map[string]string(nil)
	if ct != "" {
		mt, p, err := mime.ParseMediaType(ct)
		if err != nil {
			return fmt.Errorf("content-type %q: %w", ct, err)
		}
		ct, params = mt, p
	}
	schema := headers["schema"]
	for _, p := range []string{"proto", "messagetype", "schema"} {
		if schema == "" {
			schema = params[p]
		}
	}
	k := schemaKind(schema)
	if k == kindUnknown {
		return fmt.Errorf("%q: %w", schema, ErrSchema)
	}
	guessed := schema == ""
	if guessed && strings.Contains(topic, "event") {
		k = kindEvent
	}

	switch ct {
	case ContentTypeJSON, "text/json":
		return decodeJSON(r, k, guessed, value)
	case ContentTypeProtobuf, "application/protobuf", "application/vnd.google.protobuf", "application/octet-stream":
		return decodeProto(r, k, value)
	case "":
		if json.Valid(value) {
			if err := decodeJSON(r, k, guessed, value); err == nil {
				return nil
			}
		}
		if k != kindStats && decodeProto(r, k, value) == nil {
			return nil
		}
		return ErrUndecodable
	}
	return fmt.Errorf("%q: %w", ct, ErrContentType)
}

func schemaKind(s string) kind {
	switch s {
	case "", SchemaAlert, "sensor.alert.v1":
		return kindAlert
	case SchemaEvent:
		return kindEvent
	case SchemaStats, "sensor.stats.v1.Report":
		return kindStats
	}
	return kindUnknown
}

func decodeJSON(r *Record, k kind, guessed bool, value []byte) error {
	switch k {
	case kindStats:
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(value, &obj); err != nil {
			return fmt.Errorf("stats: %w", err)
		}
		r.Stats = value
		return nil
	case kindEvent:
		e := new(alert.Event)
		if err := lenientJSON.Unmarshal(value, e); err != nil {
			return fmt.Errorf("event json: %w", err)
		}
		r.Event = e
		return nil
	}
	a := new(alert.Alert)
	if guessed {
		// No schema header: a strict alert, else a strict event, else an
		// alert from a newer sensor (unknown fields dropped).
		if strictJSON.Unmarshal(value, a) == nil {
			r.Alert = a
			return nil
		}
		e := new(alert.Event)
		if strictJSON.Unmarshal(value, e) == nil {
			r.Event = e
			return nil
		}
		a.Reset()
		// Any JSON object passes a lenient decode: demand an alert's
		// identity.
		if lenientJSON.Unmarshal(value, a) != nil || a.GetId() == "" && a.GetDetector() == "" {
			return ErrUndecodable
		}
		r.Alert = a
		return nil
	}
	if err := lenientJSON.Unmarshal(value, a); err != nil {
		return fmt.Errorf("alert json: %w", err)
	}
	r.Alert = a
	return nil
}

func decodeProto(r *Record, k kind, value []byte) error {
	switch k {
	case kindEvent:
		e := new(alert.Event)
		if err := proto.Unmarshal(value, e); err != nil {
			return fmt.Errorf("event protobuf: %w", err)
		}
		r.Event = e
	case kindStats:
		return fmt.Errorf("stats as protobuf: %w", ErrContentType)
	default:
		a := new(alert.Alert)
		if err := proto.Unmarshal(value, a); err != nil {
			return fmt.Errorf("alert protobuf: %w", err)
		}
		r.Alert = a
	}
	return nil
}
