package protobuf

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/dynamicpb"
)

// JSON renders m for the exchange log (decoders.GRPCMessage.JSON).
//
// A message decoded with a schema that fit it is rendered by protojson with
// the .proto field names (enum names, well-known types, 64-bit integers as
// strings), compacted. Otherwise the tree is rendered: an object keyed by
// field name or number, in number order; a field seen more than once (or
// repeated in the schema) becomes an array; nested messages and groups are
// objects, strings strings, bytes base64, packed fields arrays, and numbers
// are raw unsigned values schema-less (no zigzag or sign guessed), typed
// values with a schema. It returns "" for nil.
func JSON(m *Message) string {
	if m == nil {
		return ""
	}
	if m.desc != nil {
		if s, ok := protoJSON(m.desc, m.raw, m.maxDepth); ok {
			return s
		}
	}
	return string(appendMessage(make([]byte, 0, 2*len(m.raw)+16), m))
}

func protoJSON(md protoreflect.MessageDescriptor, raw []byte, maxDepth int) (string, bool) {
	msg := dynamicpb.NewMessage(md)
	if err := (proto.UnmarshalOptions{AllowPartial: true, RecursionLimit: maxDepth + 1}).Unmarshal(raw, msg); err != nil {
		return "", false
	}
	out, err := protojson.MarshalOptions{UseProtoNames: true, AllowPartial: true}.Marshal(msg)
	if err != nil {
		return "", false
	}
	// protojson varies its spacing on purpose; compact it so that logs
	// and tests are stable.
	var buf bytes.Buffer
	if json.Compact(&buf, out) != nil {
		return string(out), true
	}
	return buf.String(), true
}

func appendMessage(b []byte, m *Message) []byte {
	fs := m.Fields
	order := make([]int, len(fs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return int(fs[i].Number) - int(fs[j].Number) })
	b = append(b, '{')
	for k := 0; k < len(order); {
		end := k + 1
		for end < len(order) && fs[order[end]].Number == fs[order[k]].Number {
			end++
		}
		f := &fs[order[k]]
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = f.appendKey(b)
		b = append(b, '"', ':')
		if end-k > 1 || f.repeated() {
			b = append(b, '[')
			first := true
			for i := k; i < end; i++ {
				e := &fs[order[i]]
				// A repeated field may come packed, unpacked or both:
				// one flat array either way.
				if e.Kind == KindPacked {
					for _, v := range e.Packed {
						if !first {
							b = append(b, ',')
						}
						first = false
						b = appendScalar(b, e.Desc, v, e.Elem)
					}
					continue
				}
				if !first {
					b = append(b, ',')
				}
				first = false
				b = appendValue(b, e)
			}
			b = append(b, ']')
		} else {
			b = appendValue(b, f)
		}
		k = end
	}
	return append(b, '}')
}

func appendValue(b []byte, f *Field) []byte {
	switch f.Kind {
	case KindMessage, KindGroup:
		if f.Message == nil {
			return append(b, "{}"...)
		}
		return appendMessage(b, f.Message)
	case KindString:
		return appendString(b, f.Bytes)
	case KindBytes:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, f.Bytes)
		return append(b, '"')
	case KindPacked:
		b = append(b, '[')
		for i, v := range f.Packed {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendScalar(b, f.Desc, v, f.Elem)
		}
		return append(b, ']')
	default:
		return appendScalar(b, f.Desc, f.Uint, f.Kind)
	}
}

// appendScalar renders a raw number as the schema types it, or as an
// unsigned integer.
func appendScalar(b []byte, fd protoreflect.FieldDescriptor, v uint64, k Kind) []byte {
	if fd == nil {
		return strconv.AppendUint(b, v, 10)
	}
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v != 0)
	case protoreflect.Int32Kind, protoreflect.Sfixed32Kind:
		return strconv.AppendInt(b, int64(int32(v)), 10)
	case protoreflect.Int64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(b, int64(v), 10)
	case protoreflect.Sint32Kind:
		return strconv.AppendInt(b, int64(int32(protowire.DecodeZigZag(v&math.MaxUint32))), 10)
	case protoreflect.Sint64Kind:
		return strconv.AppendInt(b, protowire.DecodeZigZag(v), 10)
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(protoreflect.EnumNumber(int32(v))); ev != nil {
			return appendString(b, []byte(ev.Name()))
		}
		return strconv.AppendInt(b, int64(int32(v)), 10)
	case protoreflect.FloatKind:
		if k == KindFixed32 {
			return appendFloat(b, float64(math.Float32frombits(uint32(v))), 32)
		}
	case protoreflect.DoubleKind:
		if k == KindFixed64 {
			return appendFloat(b, math.Float64frombits(v), 64)
		}
	}
	return strconv.AppendUint(b, v, 10)
}

func appendFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendString(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
