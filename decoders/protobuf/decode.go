package protobuf

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Decode walks b, one serialized message, without a schema.
//
// A length-delimited field is read as the first of these that fits, the order
// protoscope uses:
//
//  1. a nested message: its bytes parse as fields to the last byte, with
//     field numbers in 1..2^29-1 outside the reserved 19000..19999, wire
//     types 0, 1, 2, 5 and balanced groups (3/4 with matching numbers);
//     empty bytes are an empty message. When these bytes are also printable
//     text and some of them were read as numbers, Field.AlsoText is set;
//  2. a string: valid UTF-8 with at most 30% of its runes unprintable
//     (tab, CR and LF count as printable);
//  3. packed varints: a run of minimally encoded varints to the last byte;
//  4. bytes.
//
// Packed fixed32/fixed64 runs are not guessed: any blob whose length is a
// multiple of 4 would qualify, so they stay bytes (a schema tells them apart).
//
// On error (see the Err variables) the returned Message holds what was decoded
// before it; it is never nil.
func Decode(b []byte, lim Limits) (*Message, error) {
	return decode(b, nil, lim)
}

func decode(b []byte, md protoreflect.MessageDescriptor, lim Limits) (*Message, error) {
	d := decoder{lim: lim.withDefaults()}
	var tooLarge error
	if len(b) > d.lim.MaxBytes {
		tooLarge = fmt.Errorf("%d bytes, walked %d: %w", len(b), d.lim.MaxBytes, ErrTooLarge)
		b = b[:d.lim.MaxBytes]
	}
	hint, _ := scan(b, 0, d.lim.MaxDepth)
	m := &Message{raw: b}
	if md != nil {
		m.Type = string(md.FullName())
	}
	var err error
	m.Fields, _, err = d.message(b, md, 0, 0, hint)
	switch {
	case tooLarge != nil:
		// The cut usually leaves a malformed last field: report the cause.
		return m, tooLarge
	case err != nil:
		return m, err
	case d.tooDeep:
		return m, fmt.Errorf("past depth %d: %w", d.lim.MaxDepth, ErrTooDeep)
	}
	return m, nil
}

type decoder struct {
	lim     Limits
	fields  int  // fields kept so far, against MaxFields
	tooDeep bool // a nested message was kept as bytes because of MaxDepth
	// Slabs that the tree's field slices and messages are carved from:
	// a few allocations per decode instead of two per message.
	fieldSlab []Field
	msgSlab   []Message
}

// newFields returns an empty slice with room for n fields.
func (d *decoder) newFields(n int) []Field {
	if n > cap(d.fieldSlab)-len(d.fieldSlab) {
		// Start small and double, so that a small message costs little
		// and a large one few allocations.
		size := min(max(32, 2*cap(d.fieldSlab)), 1024)
		if n > size/2 {
			return make([]Field, 0, n)
		}
		d.fieldSlab = make([]Field, 0, size)
	}
	i := len(d.fieldSlab)
	d.fieldSlab = d.fieldSlab[:i+n]
	// The cap stops an append past n from writing into the slab.
	return d.fieldSlab[i : i : i+n]
}

func (d *decoder) newMessage() *Message {
	if len(d.msgSlab) == cap(d.msgSlab) {
		d.msgSlab = make([]Message, 0, min(max(8, 2*cap(d.msgSlab)), 256))
	}
	d.msgSlab = d.msgSlab[:len(d.msgSlab)+1]
	return &d.msgSlab[len(d.msgSlab)-1]
}

// message decodes the fields of b at nesting depth depth, to the end of b or,
// inside a group, to the end-group tag of number group, returning what
// follows it. hint sizes the field slice.
func (d *decoder) message(b []byte, md protoreflect.MessageDescriptor, depth int, group protowire.Number, hint int) ([]Field, []byte, error) {
	fs := d.newFields(min(hint, d.lim.MaxFields-d.fields))
	start := len(b)
	for len(b) > 0 {
		off := start - len(b)
		num, wt, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fs, b, fmt.Errorf("tag at offset %d: %w: %w", off, protowire.ParseError(n), ErrMalformed)
		}
		b = b[n:]
		if wt == protowire.EndGroupType {
			if num != group {
				return fs, b, fmt.Errorf("end of group %d at offset %d, in group %d: %w", num, off, group, ErrMalformed)
			}
			return fs, b, nil
		}
		if !num.IsValid() {
			return fs, b, fmt.Errorf("field number %d at offset %d: %w", num, off, ErrMalformed)
		}
		if d.fields >= d.lim.MaxFields {
			return fs, b, fmt.Errorf("field %d at offset %d: %d fields: %w", num, off, d.lim.MaxFields, ErrTooManyFields)
		}
		d.fields++
		f := Field{Number: num, WireType: wt}
		var fd protoreflect.FieldDescriptor
		if md != nil {
			if fd = md.Fields().ByNumber(num); fd != nil {
				f.Desc, f.Name = fd, string(fd.Name())
			}
		}
		var err error
		switch wt {
		case protowire.VarintType:
			f.Kind = KindVarint
			f.Uint, n = protowire.ConsumeVarint(b)
			if fd != nil && !wireFits(fd.Kind(), wt) {
				err = mismatch(fd, wt)
			}
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.Kind, f.Uint = KindFixed32, uint64(v)
			if fd != nil && !wireFits(fd.Kind(), wt) {
				err = mismatch(fd, wt)
			}
		case protowire.Fixed64Type:
			f.Kind = KindFixed64
			f.Uint, n = protowire.ConsumeFixed64(b)
			if fd != nil && !wireFits(fd.Kind(), wt) {
				err = mismatch(fd, wt)
			}
		case protowire.BytesType:
			var v []byte
			if v, n = protowire.ConsumeBytes(b); n >= 0 {
				err = d.bytes(&f, v, fd, depth)
			} else if l, ln := protowire.ConsumeVarint(b); ln > 0 && l > uint64(len(b)-ln) {
				// The value runs past the end: most often a message cut
				// by the capture's body bound. Keep the part that is
				// there, so that a payload in it is still seen.
				d.partial(&f, b[ln:], fd, depth)
				fs = append(fs, f)
				return fs, nil, fmt.Errorf("field %d at offset %d: length %d past the end: %w", num, off, l, ErrMalformed)
			}
		case protowire.StartGroupType:
			var sub protoreflect.MessageDescriptor
			if fd != nil {
				if fd.Kind() != protoreflect.GroupKind {
					err = mismatch(fd, wt)
					break
				}
				sub = fd.Message()
			}
			if depth >= d.lim.MaxDepth {
				err = fmt.Errorf("group %d: %w", num, ErrTooDeep)
				break
			}
			hint, _ := scan(b, num, d.lim.MaxDepth-depth)
			f.Kind = KindGroup
			f.Message = d.newMessage()
			if sub != nil {
				f.Message.Type = string(sub.FullName())
			}
			var rest []byte
			f.Message.Fields, rest, err = d.message(b, sub, depth+1, num, hint)
			n = len(b) - len(rest)
		default:
			err = fmt.Errorf("wire type %d of field %d at offset %d: %w", wt, num, off, ErrMalformed)
		}
		if n < 0 {
			return fs, b, fmt.Errorf("field %d at offset %d: %w: %w", num, off, protowire.ParseError(n), ErrMalformed)
		}
		if f.Kind != 0 {
			fs = append(fs, f)
		}
		if err != nil {
			return fs, b, err
		}
		b = b[n:]
	}
	if group != 0 {
		return fs, nil, fmt.Errorf("group %d not ended: %w", group, ErrMalformed)
	}
	return fs, nil, nil
}

func mismatch(fd protoreflect.FieldDescriptor, wt protowire.Type) error {
	return fmt.Errorf("field %s (%s) with wire type %d: %w", fd.FullName(), fd.Kind(), wt, ErrSchemaMismatch)
}

// bytes reads a length-delimited value into f: with the schema when fd says
// what it is, by guessing otherwise (and for bytes fields, which often carry
// serialized messages).
func (d *decoder) bytes(f *Field, v []byte, fd protoreflect.FieldDescriptor, depth int) error {
	f.Len = len(v)
	if fd != nil {
		switch k := fd.Kind(); {
		case k == protoreflect.MessageKind:
			if depth >= d.lim.MaxDepth {
				d.tooDeep = true
				d.leaf(f, KindBytes, v)
				return nil
			}
			n, ok := scan(v, 0, d.lim.MaxDepth-depth)
			if !ok {
				return fmt.Errorf("field %s: not a %s message: %w", fd.FullName(), fd.Message().FullName(), ErrSchemaMismatch)
			}
			return d.nested(f, v, fd.Message(), depth, n)
		case k == protoreflect.StringKind:
			d.leaf(f, KindString, v)
			return nil
		case k == protoreflect.BytesKind:
			// Guess below.
		case fd.IsList() && packable(k):
			elem := KindVarint
			switch {
			case wireFits(k, protowire.Fixed32Type):
				elem = KindFixed32
			case wireFits(k, protowire.Fixed64Type):
				elem = KindFixed64
			}
			if !d.packed(f, v, elem, false) {
				return fmt.Errorf("field %s: packed %s: %w", fd.FullName(), k, ErrSchemaMismatch)
			}
			return d.packedLimit(f)
		default:
			return mismatch(fd, protowire.BytesType)
		}
	}
	// A guess that would not fit the field budget is not taken: text such
	// as "xxxx…" parses as thousands of fields, and taking it would end the
	// walk with ErrTooManyFields, hiding every field after it.
	if n, ok := scan(v, 0, d.lim.MaxDepth-depth); ok && n <= d.lim.MaxFields-d.fields {
		if depth < d.lim.MaxDepth {
			err := d.nested(f, v, nil, depth, n)
			// Text read as a message hides nothing when all its bytes
			// land in string leaves; when some were read as numbers it
			// may be text after all ("hi" parses as field 13 = 105).
			if err == nil && len(v) > 0 && numeric(f.Message) && printable(v, true) {
				f.AlsoText = true
				f.Bytes, f.Truncated = cut(v, d.lim.MaxStringBytes)
				if f.Truncated {
					f.Whole = v
				}
			}
			return err
		}
		d.tooDeep = true
	}
	switch {
	case printable(v, false):
		d.leaf(f, KindString, v)
	case d.packed(f, v, KindVarint, true):
		// A guess: the bytes are kept too, as text may parse so (ASCII
		// is varints of one byte each).
		f.Bytes, f.Truncated = cut(v, d.lim.MaxStringBytes)
		if f.Truncated {
			f.Whole = v
		}
		return d.packedLimit(f)
	default:
		d.leaf(f, KindBytes, v)
	}
	return nil
}

// numeric reports whether m holds a leaf that is not a string.
func numeric(m *Message) bool {
	for i := range m.Fields {
		f := &m.Fields[i]
		switch f.Kind {
		case KindString:
		case KindMessage, KindGroup:
			if numeric(f.Message) {
				return true
			}
		default:
			return true
		}
	}
	return false
}

func (d *decoder) nested(f *Field, v []byte, md protoreflect.MessageDescriptor, depth, hint int) error {
	f.Kind = KindMessage
	f.Message = d.newMessage()
	if md != nil {
		f.Message.Type = string(md.FullName())
	}
	var err error
	f.Message.Fields, _, err = d.message(v, md, depth+1, 0, hint)
	return err
}

// partial decodes v, the captured start of a length-delimited value whose
// end is missing, into a leaf or message marked Truncated: text as a string,
// else as much of a nested message as parses.
func (d *decoder) partial(f *Field, v []byte, fd protoreflect.FieldDescriptor, depth int) {
	f.Len = len(v)
	defer func() { f.Truncated = true }()
	var md protoreflect.MessageDescriptor
	if fd != nil {
		switch fd.Kind() {
		case protoreflect.StringKind:
			d.leaf(f, KindString, v)
			return
		case protoreflect.MessageKind, protoreflect.GroupKind:
			md = fd.Message()
		default:
			d.leaf(f, KindBytes, v)
			return
		}
	}
	// Without the end, "a message that consumes every byte" cannot be
	// checked: take what parses as a message and, when the bytes are text
	// too, keep the text as well (as for AlsoText above).
	if depth < d.lim.MaxDepth && d.fields < d.lim.MaxFields {
		m := d.newMessage()
		if md != nil {
			m.Type = string(md.FullName())
		}
		m.Fields, _, _ = d.message(v, md, depth+1, 0, 0)
		if len(m.Fields) > 0 {
			f.Kind, f.Message = KindMessage, m
			if md == nil && printable(v, false) {
				f.AlsoText = true
				f.Bytes, _ = cut(v, d.lim.MaxStringBytes)
			}
			return
		}
	}
	if md == nil && printable(v, false) {
		d.leaf(f, KindString, v)
		return
	}
	d.leaf(f, KindBytes, v)
}

func (d *decoder) leaf(f *Field, k Kind, v []byte) {
	f.Kind = k
	f.Bytes, f.Truncated = cut(v, d.lim.MaxStringBytes)
	if f.Truncated {
		f.Whole = v
	}
}

// packed reads v as a run of elem values into f. With strict set (guessing),
// every varint must be minimally encoded: random bytes rarely are, real
// encoders always are.
func (d *decoder) packed(f *Field, v []byte, elem Kind, strict bool) bool {
	var count int
	switch elem {
	case KindFixed32:
		if len(v)%4 != 0 {
			return false
		}
		count = len(v) / 4
	case KindFixed64:
		if len(v)%8 != 0 {
			return false
		}
		count = len(v) / 8
	default:
		if len(v) == 0 {
			return !strict
		}
		for b := v; len(b) > 0; count++ {
			_, n := protowire.ConsumeVarint(b)
			if n < 0 || strict && n > 1 && b[n-1] == 0 {
				return false
			}
			b = b[n:]
		}
	}
	if count > d.lim.MaxFields-d.fields {
		if strict {
			return false // a guess past the budget is not taken
		}
		// Past the field budget keep nothing: packedLimit reports it.
		f.Kind, f.Elem = KindPacked, elem
		f.Packed = nil
		f.Len = len(v)
		return true
	}
	f.Kind, f.Elem = KindPacked, elem
	f.Packed = make([]uint64, 0, count)
	for b := v; len(b) > 0; {
		var x uint64
		var n int
		switch elem {
		case KindFixed32:
			var x32 uint32
			x32, n = protowire.ConsumeFixed32(b)
			x = uint64(x32)
		case KindFixed64:
			x, n = protowire.ConsumeFixed64(b)
		default:
			x, n = protowire.ConsumeVarint(b)
		}
		f.Packed = append(f.Packed, x)
		b = b[n:]
	}
	return true
}

// packedLimit charges the elements of a packed field to the field budget.
func (d *decoder) packedLimit(f *Field) error {
	if f.Packed == nil && f.Len > 0 {
		return fmt.Errorf("packed field %d: %d fields: %w", f.Number, d.lim.MaxFields, ErrTooManyFields)
	}
	d.fields += len(f.Packed)
	return nil
}

// scan checks that b parses as a message to its last byte, or inside group
// number group to that group's end, with at most maxGroups nested groups, and
// counts its top-level fields. Field numbers in the range protobuf reserves
// for itself (19000..19999) fail it too: bytes can parse as fields with them,
// but no encoder writes them. It allocates nothing for common nesting, so
// guessing costs no garbage.
func scan(b []byte, group protowire.Number, maxGroups int) (n int, ok bool) {
	var stackBuf [8]protowire.Number
	stack := stackBuf[:0]
	for len(b) > 0 {
		num, wt, m := protowire.ConsumeTag(b)
		if m < 0 || !num.IsValid() || num >= protowire.FirstReservedNumber && num <= protowire.LastReservedNumber {
			return n, false
		}
		b = b[m:]
		switch wt {
		case protowire.StartGroupType:
			if len(stack) >= maxGroups {
				return n, false
			}
			stack = append(stack, num)
			continue
		case protowire.EndGroupType:
			if len(stack) == 0 {
				return n, num == group && group != 0
			}
			if stack[len(stack)-1] != num {
				return n, false
			}
			stack = stack[:len(stack)-1]
			m = 0
		default:
			if m = protowire.ConsumeFieldValue(num, wt, b); m < 0 {
				return n, false
			}
		}
		b = b[m:]
		if len(stack) == 0 {
			n++
		}
	}
	return n, len(stack) == 0 && group == 0
}

// printable reports whether b is valid UTF-8 text: with strict set, every
// rune printable; otherwise at most 30% unprintable (protoscope's bound).
// Tab, CR and LF count as printable.
func printable(b []byte, strict bool) bool {
	runes, bad := 0, 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			runes++
			if (c < 0x20 || c == 0x7f) && c != '\t' && c != '\n' && c != '\r' {
				bad++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		runes++
		// Format characters (zero-width spaces and joiners, the soft
		// hyphen, direction marks, a byte order mark) are text: eight
		// zero-width spaces must not make a payload after them bytes.
		if !unicode.IsGraphic(r) && !unicode.Is(unicode.Cf, r) {
			bad++
		}
		i += size
	}
	if strict {
		return bad == 0
	}
	return bad*10 <= runes*3
}

// cut shortens b to at most max bytes without splitting a UTF-8 sequence
// (when b is UTF-8 there).
func cut(b []byte, max int) ([]byte, bool) {
	if len(b) <= max {
		return b, false
	}
	i := max
	for j := 0; j < utf8.UTFMax-1 && i > 0 && !utf8.RuneStart(b[i]); j++ {
		i--
	}
	return b[:i], true
}

// wireFits reports whether a field of kind k can be sent with wire type wt
// (unpacked).
func wireFits(k protoreflect.Kind, wt protowire.Type) bool {
	switch k {
	case protoreflect.BoolKind, protoreflect.EnumKind,
		protoreflect.Int32Kind, protoreflect.Int64Kind,
		protoreflect.Uint32Kind, protoreflect.Uint64Kind,
		protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return wt == protowire.VarintType
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		return wt == protowire.Fixed32Type
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		return wt == protowire.Fixed64Type
	case protoreflect.GroupKind:
		return wt == protowire.StartGroupType
	default:
		return wt == protowire.BytesType
	}
}

func packable(k protoreflect.Kind) bool {
	return wireFits(k, protowire.VarintType) || wireFits(k, protowire.Fixed32Type) || wireFits(k, protowire.Fixed64Type)
}
