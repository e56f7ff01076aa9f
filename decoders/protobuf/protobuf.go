// Package protobuf turns protobuf wire bytes into a field tree whose string
// leaves become request parameters, so that detectors see a payload hidden in
// a protobuf field exactly like one in a query string.
//
// Input is one serialized message, as the gRPC layer (decoders/grpc) cuts it
// out of a length-prefixed frame and decompresses it. Decode walks it without
// a schema, guessing what each length-delimited field holds; DecodeWith walks
// it with a message descriptor from user-supplied FileDescriptorSets
// (LoadSchemas, looked up by gRPC service and method). Output goes back to the
// caller: Params flattens the tree into decoders.Param values (location
// "protobuf") and JSON renders it for the exchange log.
//
// Nothing here panics or grows without bound on hostile input: every walk is
// capped by Limits, and a limit hit or malformed input yields the tree decoded
// so far together with an error the caller counts (AnomalyKind).
package protobuf

import (
	"errors"
	"strconv"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/apisensor/sensor/decoders"
)

// Errors returned by Decode and DecodeWith, wrapped with the field and offset
// where they happened. Whatever the error, the returned tree holds every field
// decoded before it and is safe to use.
var (
	// ErrMalformed: the bytes are not a valid protobuf message (truncated
	// varint, length past the end, invalid wire type or field number,
	// unbalanced group).
	ErrMalformed = errors.New("malformed protobuf")
	// ErrTooLarge: the input was longer than Limits.MaxBytes; only its
	// prefix was walked.
	ErrTooLarge = errors.New("protobuf message too large")
	// ErrTooDeep: nesting went past Limits.MaxDepth. Length-delimited
	// fields that would nest deeper are kept as strings or bytes; a group
	// that would nest deeper stops the walk.
	ErrTooDeep = errors.New("protobuf nesting too deep")
	// ErrTooManyFields: the tree reached Limits.MaxFields; the walk stopped.
	ErrTooManyFields = errors.New("too many protobuf fields")
	// ErrSchemaMismatch: the bytes do not fit the schema given to
	// DecodeWith (a wire type the field cannot have, a message field that
	// does not parse); DecodeWith fell back to schema-less decoding.
	ErrSchemaMismatch = errors.New("protobuf does not match schema")
)

// AnomalyKind names the anomaly counter for an error of Decode or DecodeWith
// ("protobuf.malformed", …), or "" for nil. An error joining several kinds
// (a schema mismatch whose fallback was also cut short) gets the first one.
func AnomalyKind(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrSchemaMismatch):
		return "protobuf.schema_mismatch"
	case errors.Is(err, ErrTooLarge):
		return "protobuf.too_large"
	case errors.Is(err, ErrTooDeep):
		return "protobuf.too_deep"
	case errors.Is(err, ErrTooManyFields):
		return "protobuf.too_many_fields"
	default:
		return "protobuf.malformed"
	}
}

// Limits bounds one decode. A zero or negative field means its default, so
// there is no "unlimited".
type Limits struct {
	// MaxBytes bounds the input walked; a longer input is walked up to
	// MaxBytes and reported as ErrTooLarge.
	MaxBytes int
	// MaxDepth bounds message nesting (the top-level message is depth 0).
	MaxDepth int
	// MaxFields bounds the fields of the whole tree; each element of a
	// packed field counts as one.
	MaxFields int
	// MaxStringBytes bounds the bytes kept per string or bytes leaf, and
	// so each parameter value.
	MaxStringBytes int
	// MaxParams bounds the parameters Params returns.
	MaxParams int
}

// DefaultLimits returns the defaults: 4 MiB (gRPC's default maximum message
// size), depth 32, 10,000 fields, 8 KiB per string, 1024 parameters.
func DefaultLimits() Limits {
	return Limits{
		MaxBytes:       4 << 20,
		MaxDepth:       32,
		MaxFields:      10000,
		MaxStringBytes: 8192,
		MaxParams:      1024,
	}
}

// LimitsFrom derives protobuf limits from the decoder limits, so one
// configuration bounds both: MaxDecompressedBytes bounds the input (a gRPC
// message is at most that once decompressed), MaxNesting the depth,
// MaxParamBytes each string and MaxParams the parameters.
func LimitsFrom(l decoders.Limits) Limits {
	return Limits{
		MaxBytes:       l.MaxDecompressedBytes,
		MaxDepth:       l.MaxNesting,
		MaxStringBytes: l.MaxParamBytes,
		MaxParams:      l.MaxParams,
	}.withDefaults()
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxBytes <= 0 {
		l.MaxBytes = d.MaxBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxFields <= 0 {
		l.MaxFields = d.MaxFields
	}
	if l.MaxStringBytes <= 0 {
		l.MaxStringBytes = d.MaxStringBytes
	}
	if l.MaxParams <= 0 {
		l.MaxParams = d.MaxParams
	}
	return l
}

// Kind says how a field's value was read.
type Kind uint8

const (
	KindVarint  Kind = iota + 1 // wire type 0; Uint
	KindFixed32                 // wire type 5; Uint
	KindFixed64                 // wire type 1; Uint
	KindBytes                   // length-delimited, not text: Bytes
	KindString                  // length-delimited text: Bytes
	KindMessage                 // length-delimited nested message: Message
	KindPacked                  // length-delimited run of scalars: Packed, Elem
	KindGroup                   // wire types 3..4: Message
)

var kindNames = [...]string{"invalid", "varint", "fixed32", "fixed64", "bytes", "string", "message", "packed", "group"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "invalid"
}

// Message is a decoded message: its fields in wire order.
//
// A Message aliases the bytes it was decoded from (Field.Bytes): keep those
// bytes unchanged while the Message is in use.
type Message struct {
	Fields []Field
	// Type is the full name of the message type when it was decoded with a
	// schema; "" schema-less.
	Type string

	// Set on the top-level message of DecodeWith, for JSON.
	desc     protoreflect.MessageDescriptor
	maxDepth int
	raw      []byte
}

// Field is one field occurrence on the wire.
type Field struct {
	Number   protowire.Number
	WireType protowire.Type
	Kind     Kind
	// Elem is the element kind of a packed field: KindVarint, KindFixed32
	// or KindFixed64.
	Elem Kind
	// Truncated is set when Bytes was cut.
	Truncated bool
	// AlsoText marks a guessed nested message whose bytes are also
	// printable UTF-8 text and whose leaves are not all strings: the guess
	// could be wrong (text can parse as a message: "hi" is field 13 = 105),
	// so Params emits the text too and no payload hides behind the guess.
	AlsoText bool
	// Len is the length on the wire of a length-delimited field.
	Len int
	// Uint is a varint, fixed32 or fixed64 value as on the wire: no
	// zigzag, no sign (Desc says how to read it).
	Uint uint64

	// Name is the field name from the schema; "" schema-less, and for
	// fields the schema does not know.
	Name string
	// Desc is the field's descriptor when the schema knows it.
	Desc protoreflect.FieldDescriptor

	// Packed holds the raw elements of a packed field.
	Packed []uint64
	// Bytes is a string or bytes value, the raw text of an AlsoText
	// message, or the bytes a guess of packed varints was read from (text
	// parses so), cut to Limits.MaxStringBytes (Truncated set when cut).
	Bytes []byte
	// Whole is the value Bytes was cut from, when it was (the input's
	// bytes, not a copy): Params reads a long value at both ends, as
	// decoders.ExtractParams reads any, so that padding past the bound
	// hides no payload.
	Whole []byte
	// Message holds a nested message or a group.
	Message *Message
}

// appendKey appends the field's path segment or JSON key: its name, or its
// number.
func (f *Field) appendKey(buf []byte) []byte {
	if f.Name != "" {
		return append(buf, f.Name...)
	}
	return strconv.AppendInt(buf, int64(f.Number), 10)
}

// repeated reports whether the schema says the field is repeated (maps
// included: their entries are repeated messages).
func (f *Field) repeated() bool {
	return f.Desc != nil && f.Desc.Cardinality() == protoreflect.Repeated
}
