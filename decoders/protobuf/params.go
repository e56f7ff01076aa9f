package protobuf

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

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
		if !text && !nested {
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
		if text {
			w.add(p, f.Bytes)
		}
		if nested {
			w.walk(f.Message, p)
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
