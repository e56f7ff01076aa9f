package protobuf

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/apisensor/sensor/decoders"
)

// maxDecodeRounds matches decoders.ExtractParams: four rounds of URL-decoding
// unwrap any encoding depth seen in practice.
const maxDecodeRounds = 4

// Params returns the parameters of m (see AppendParams).
func Params(m *Message, lim Limits) []decoders.Param {
	ps, _ := AppendParams(nil, m, lim)
	return ps
}

// AppendParams appends one decoders.Param per text leaf of m to dst, with
// Loc decoders.LocProtobuf, and returns it with the number of leaves dropped
// past lim.MaxParams.
//
// Text leaves are string fields, bytes fields whose value is printable text,
// and the raw text of AlsoText messages (so text that happened to parse as a
// message is still inspected whole). Numbers are not parameters: they carry no
// injection, and a schema-less varint could be an int, a bool or an enum.
//
// Name is the field path: segments joined by '.', each the field name when
// the schema knows it, its number otherwise; a segment gets a 0-based
// "[i]" occurrence index when the field is repeated, that is, when the
// schema says so or, schema-less, when its number occurs more than once in
// the same message. So "1.3[2].1" is field 1 of the third occurrence of field
// 3 inside field 1, and with a schema "user.address.street" or
// "items[1].name" (every element of a repeated field is indexed, even a lone
// one). A message used as text has the path of the field itself.
//
// Value is cut to lim.MaxStringBytes on a UTF-8 boundary; Decoded/Decodes
// hold its repeated URL-decoding as decoders.ExtractParams does.
func AppendParams(dst []decoders.Param, m *Message, lim Limits) ([]decoders.Param, int) {
	lim = lim.withDefaults()
	w := paramWalker{out: dst, max: len(dst) + lim.MaxParams, maxBytes: lim.MaxStringBytes}
	if m != nil {
		w.walk(m, make([]byte, 0, 64))
	}
	return w.out, w.dropped
}

type paramWalker struct {
	out      []decoders.Param
	max      int
	maxBytes int
	dropped  int
	// arena holds names and values: one allocation per few parameters.
	arena strings.Builder
}

// str copies b into the arena and returns it as a string. A full arena is
// replaced, never grown in place, so nothing is copied twice; strings handed
// out earlier keep the old one alive.
func (w *paramWalker) str(b []byte) string {
	if len(b) > w.arena.Cap()-w.arena.Len() {
		if len(b) > 1024 {
			return string(b)
		}
		size := min(max(512, 2*w.arena.Cap()), 8192)
		w.arena = strings.Builder{}
		w.arena.Grow(size)
	}
	i := w.arena.Len()
	w.arena.Write(b)
	return w.arena.String()[i:]
}

func (w *paramWalker) walk(m *Message, path []byte) {
	fs := m.Fields
	// Encoders write fields in number order, so a repeated field is
	// usually one run; only an unordered message needs counting.
	sorted := true
	for i := 1; i < len(fs); i++ {
		if fs[i].Number < fs[i-1].Number {
			sorted = false
			break
		}
	}
	var counts, seen map[protowire.Number]int
	if !sorted {
		counts = make(map[protowire.Number]int)
		seen = make(map[protowire.Number]int)
		for i := range fs {
			counts[fs[i].Number]++
		}
	}
	run := 0
	for i := range fs {
		f := &fs[i]
		var idx int
		var many bool
		if sorted {
			if i == 0 || fs[i-1].Number != f.Number {
				run = i
			}
			idx = i - run
			many = idx > 0 || i+1 < len(fs) && fs[i+1].Number == f.Number
		} else {
			idx = seen[f.Number]
			seen[f.Number]++
			many = counts[f.Number] > 1
		}
		text := f.Kind == KindString || f.Kind == KindBytes && printable(f.Bytes, false) || f.AlsoText
		nested := (f.Kind == KindMessage || f.Kind == KindGroup) && f.Message != nil
		var controls []byte
		switch {
		case text || nested:
		case f.Kind == KindBytes || f.Kind == KindPacked && (f.Desc == nil || f.Desc.Kind() == protoreflect.BytesKind):
			// Text behind control bytes (NULs before an SQL string) is
			// read without them; binary data is not text either way.
			// Text parses as packed varints too (a guess keeps the
			// bytes it read).
			raw := f.Bytes
			if f.Whole != nil {
				raw = f.Whole
			}
			controls = textBehindControls(raw)
		}
		if !text && !nested && controls == nil {
			continue
		}
		p := path
		if len(p) > 0 {
			p = append(p, '.')
		}
		p = f.appendKey(p)
		if many || f.repeated() {
			p = append(p, '[')
			p = strconv.AppendInt(p, int64(idx), 10)
			p = append(p, ']')
		}
		switch {
		case controls != nil:
			for _, piece := range decoders.LongPieces(string(controls), w.maxBytes) {
				w.add(p, []byte(piece))
			}
		case text:
			w.text(p, f)
		}
		if nested {
			if f.Message.Type == structType {
				w.structFields(f.Message, p)
			} else {
				w.walk(f.Message, p)
			}
		}
	}
}

func (w *paramWalker) add(name, value []byte) {
	if len(w.out) >= w.max {
		w.dropped++
		return
	}
	v, _ := cut(value, w.maxBytes)
	var s string
	if len(v) > 0 {
		s = w.str(v)
	}
	d, n := decoders.DecodeRepeated(s, false, maxDecodeRounds)
	if n == 0 {
		d = ""
	}
	w.out = append(w.out, decoders.Param{
		Loc:     decoders.LocProtobuf,
		Name:    w.str(name),
		Value:   s,
		Decoded: d,
		Decodes: n,
	})
}

// The well-known types that carry JSON (google/protobuf/struct.proto).
const (
	structType = "google.protobuf.Struct"
	// Struct's fields (a map entry: key, value), Value's kinds and
	// ListValue's values, by field number.
	structFieldsNum = 1
	entryKeyNum     = 1
	entryValueNum   = 2
	valueNullNum    = 1
	valueNumberNum  = 2
	valueStringNum  = 3
	valueBoolNum    = 4
	valueStructNum  = 5
	valueListNum    = 6
	listValuesNum   = 1
)

// structFields adds the members of a google.protobuf.Struct under path as
// a JSON object's are named ("filter.username.$ne"), not as the map
// entries it is made of ("filter.fields[0].value.struct_value…"): an
// operator key then reads as the JSON one would, and every member is a
// parameter (null, numbers and booleans too, as ExtractParams gives a JSON
// body's).
func (w *paramWalker) structFields(m *Message, path []byte) {
	for i := range m.Fields {
		e := &m.Fields[i]
		if e.Number != structFieldsNum {
			continue
		}
		if e.Message == nil {
			// An entry past the depth bound: its bytes, under the
			// Struct's path (its key is in them).
			if len(e.Bytes) > 0 {
				w.text(path, e)
			}
			continue
		}
		var key []byte
		var value *Field
		for j := range e.Message.Fields {
			switch f := &e.Message.Fields[j]; f.Number {
			case entryKeyNum:
				key = f.Bytes
			case entryValueNum:
				value = f
			}
		}
		p := append(path[:len(path):len(path)], '.')
		p = append(p, key...)
		w.structValueField(value, p)
	}
}

// structValueField adds the google.protobuf.Value held in field f: an
// absent one is null; one left undecoded (past the depth bound) is read as
// the bytes it is, as any field past the bound is.
func (w *paramWalker) structValueField(f *Field, path []byte) {
	switch {
	case f == nil:
		w.add(path, []byte("null"))
	case f.Message != nil:
		w.structValue(f.Message, path)
	case len(f.Bytes) > 0:
		w.text(path, f)
	}
}

// structValue adds a google.protobuf.Value under path.
func (w *paramWalker) structValue(m *Message, path []byte) {
	for i := range m.Fields {
		f := &m.Fields[i]
		switch f.Number {
		case valueNullNum:
			w.add(path, []byte("null"))
		case valueNumberNum:
			w.add(path, strconv.AppendFloat(nil, math.Float64frombits(f.Uint), 'g', -1, 64))
		case valueStringNum:
			w.text(path, f)
		case valueBoolNum:
			w.add(path, strconv.AppendBool(nil, f.Uint != 0))
		case valueStructNum:
			if f.Message != nil {
				w.structFields(f.Message, path)
			} else if len(f.Bytes) > 0 {
				w.text(path, f)
			}
		case valueListNum:
			if f.Message == nil {
				if len(f.Bytes) > 0 {
					w.text(path, f)
				}
				continue
			}
			n := 0
			for j := range f.Message.Fields {
				if v := &f.Message.Fields[j]; v.Number == listValuesNum {
					p := append(path[:len(path):len(path)], '[')
					p = strconv.AppendInt(p, int64(n), 10)
					p = append(p, ']')
					w.structValueField(v, p)
					n++
				}
			}
		}
	}
}

// text adds a text leaf: its value, or a long one's pieces.
func (w *paramWalker) text(path []byte, f *Field) {
	if f.Whole == nil {
		w.add(path, f.Bytes)
		return
	}
	for _, piece := range decoders.LongPieces(string(f.Whole), w.maxBytes) {
		w.add(path, []byte(piece))
	}
}

// minControlText is the shortest text textBehindControls keeps.
const minControlText = 8

// textBehindControls returns b, valid UTF-8 that printable refused, without
// its C0 control bytes when what is left is printable text of at least
// minControlText bytes; nil otherwise. Random binary is seldom valid
// UTF-8, and seldom text once its controls are gone.
func textBehindControls(b []byte) []byte {
	if !utf8.Valid(b) {
		return nil
	}
	out := make([]byte, 0, len(b))
	for _, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' || c == 0x7f {
			continue
		}
		out = append(out, c)
	}
	if len(out) < minControlText || len(out) == len(b) || !printable(out, false) {
		return nil
	}
	return out
}
