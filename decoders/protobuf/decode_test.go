package protobuf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/apisensor/sensor/decoders"
)

// Wire builders for test messages.

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func varint(n protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(protowire.AppendTag(nil, n, protowire.VarintType), v)
}

func lenf(n protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, n, protowire.BytesType), v)
}

func str(n protowire.Number, s string) []byte { return lenf(n, []byte(s)) }

func fixed32(n protowire.Number, v uint32) []byte {
	return protowire.AppendFixed32(protowire.AppendTag(nil, n, protowire.Fixed32Type), v)
}

func fixed64(n protowire.Number, v uint64) []byte {
	return protowire.AppendFixed64(protowire.AppendTag(nil, n, protowire.Fixed64Type), v)
}

func group(n protowire.Number, body ...[]byte) []byte {
	b := protowire.AppendTag(nil, n, protowire.StartGroupType)
	b = append(b, cat(body...)...)
	return protowire.AppendTag(b, n, protowire.EndGroupType)
}

func tag(n protowire.Number, t protowire.Type) []byte { return protowire.AppendTag(nil, n, t) }

func packedVarints(n protowire.Number, vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = protowire.AppendVarint(b, v)
	}
	return lenf(n, b)
}

// nest wraps inner in depth levels of field 1.
func nest(depth int, inner []byte) []byte {
	for range depth {
		inner = lenf(1, inner)
	}
	return inner
}

// dump renders a tree compactly: 1:"s" 2:5 3:5i32 4:5i64 5:0xff 6:[1 2]
// 7:{...} (message), 7:~{...} (message that is also text), 8:!{...} (group).
func dump(m *Message) string {
	var b strings.Builder
	dumpTo(&b, m)
	return b.String()
}

func dumpTo(b *strings.Builder, m *Message) {
	b.WriteByte('{')
	for i, f := range m.Fields {
		if i > 0 {
			b.WriteByte(' ')
		}
		if f.Name != "" {
			b.WriteString(f.Name)
		} else {
			b.WriteString(strconv.Itoa(int(f.Number)))
		}
		b.WriteByte(':')
		switch f.Kind {
		case KindVarint:
			fmt.Fprint(b, f.Uint)
		case KindFixed32:
			fmt.Fprintf(b, "%di32", f.Uint)
		case KindFixed64:
			fmt.Fprintf(b, "%di64", f.Uint)
		case KindString:
			b.WriteString(strconv.Quote(string(f.Bytes)))
		case KindBytes:
			fmt.Fprintf(b, "0x%x", f.Bytes)
		case KindPacked:
			fmt.Fprint(b, f.Packed)
		case KindMessage:
			if f.AlsoText {
				b.WriteByte('~')
			}
			dumpTo(b, f.Message)
		case KindGroup:
			b.WriteByte('!')
			dumpTo(b, f.Message)
		}
		if f.Truncated {
			b.WriteString("…")
		}
	}
	b.WriteByte('}')
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "{}"},
		{"scalars", cat(varint(1, 150), fixed32(2, 7), fixed64(3, 9)), "{1:150 2:7i32 3:9i64}"},
		{"string", str(2, "hello"), `{2:"hello"}`},
		{"injection", str(1, "' OR 1=1--"), `{1:"' OR 1=1--"}`},
		{"utf8 string", str(1, "héllo wörld ✓"), `{1:"héllo wörld ✓"}`},
		{"string with few controls", str(1, "abc\x00defghij"), `{1:"abc\x00defghij"}`},
		{"nested", str(1, ""), "{1:{}}"},
		{"nested message", lenf(1, cat(varint(1, 5), str(2, "alpha"))), `{1:{1:5 2:"alpha"}}`},
		{"deeply nested", lenf(1, lenf(2, str(1, "' OR 1=1--"))), `{1:{2:{1:"' OR 1=1--"}}}`},
		{"repeated", cat(str(1, "alpha"), str(1, "bravo"), varint(2, 1)), `{1:"alpha" 1:"bravo" 2:1}`},
		{"packed varints", packedVarints(4, 1, 300, 5), "{4:[1 300 5]}"},
		{"packed single", packedVarints(4, 5), "{4:[5]}"},
		{"bytes", lenf(5, []byte{0xff, 0xfe, 0x80}), "{5:0xfffe80}"},
		{"non-minimal varints are bytes", lenf(5, []byte{0x80, 0x00}), "{5:0x8000}"},
		{"text that parses as a message", str(1, "hi"), "{1:~{13:105}}"},
		{"group", group(1, varint(2, 5), str(3, "x")), `{1:!{2:5 3:"x"}}`},
		{"nested groups", group(1, group(2, varint(3, 1))), "{1:!{2:!{3:1}}}"},
		{"group in nested message", lenf(1, group(2, varint(3, 1))), "{1:{2:!{3:1}}}"},
		{"mismatched group is not a message", lenf(1, cat(tag(2, protowire.StartGroupType), tag(3, protowire.EndGroupType))), "{1:[19 28]}"},
		{"reserved number is not a message", lenf(1, cat(varint(19000, 1), []byte{0xff})), "{1:0xc0a30901ff}"},
		{"field 0 is not a message", lenf(1, []byte{0x00, 0x01, 0xff}), "{1:0x0001ff}"},
		{"wire type 7 is not a message", lenf(1, []byte{0x0f, 0xff}), "{1:0x0fff}"},
		{"long length is not a message", lenf(1, []byte{0x0a, 0x05, 0x01, 0xff}), "{1:0x0a0501ff}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.in, Limits{})
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if got := dump(m); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestDecodeCutNested: a message cut inside a nested string keeps the
// captured part of that string, so an injection in it is still a parameter.
func TestDecodeCutNested(t *testing.T) {
	full := cat(varint(1, 7), lenf(4, cat(str(1, "<script>alert(1)</script>"), str(2, "Springfield"))))
	cut := full[:len(full)-20]
	m, err := Decode(cut, Limits{})
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("err = %v, want ErrMalformed", err)
	}
	var found bool
	for _, p := range Params(m, Limits{}) {
		found = found || p.Name == "4.1" && strings.HasPrefix(p.Value, "<script>al")
	}
	if !found {
		t.Errorf("params %+v, want the cut 4.1 string", Params(m, Limits{}))
	}
}

func TestDecodeErrors(t *testing.T) {
	deepGroups := func(n int) []byte {
		b := varint(1, 1)
		for range n {
			b = group(1, b)
		}
		return b
	}
	many := bytes.Repeat(varint(1, 1), 20000)
	var manyPacked []byte
	for range 5000 {
		manyPacked = protowire.AppendVarint(manyPacked, 1)
	}
	tests := []struct {
		name    string
		in      []byte
		lim     Limits
		err     error
		kind    string
		want    string // dump; "" to skip
		nfields int    // top-level fields, when want is ""
	}{
		{name: "truncated varint", in: cat(varint(1, 5), []byte{0x10, 0xff}), err: ErrMalformed, kind: "protobuf.malformed", want: "{1:5}"},
		{name: "truncated tag", in: cat(varint(1, 5), []byte{0xff}), err: ErrMalformed, want: "{1:5}"},
		{name: "length past end", in: cat(varint(1, 5), tag(2, protowire.BytesType), []byte{10}, []byte("abc")), err: ErrMalformed, want: `{1:5 2:"abc"…}`}, // the captured part is kept, truncated
		{name: "truncated fixed64", in: cat(varint(1, 5), tag(2, protowire.Fixed64Type), []byte{1, 2}), err: ErrMalformed, want: "{1:5}"},
		{name: "wire type 6", in: cat(varint(1, 5), []byte{0x0e, 0x00}), err: ErrMalformed, want: "{1:5}"},
		{name: "wire type 7", in: []byte{0x0f}, err: ErrMalformed, want: "{}"},
		{name: "field number 0", in: []byte{0x00, 0x00}, err: ErrMalformed, want: "{}"},
		{name: "field number too big", in: protowire.AppendVarint(nil, uint64(protowire.MaxValidNumber+1)<<3), err: ErrMalformed, want: "{}"},
		{name: "end group without start", in: cat(varint(1, 5), tag(1, protowire.EndGroupType)), err: ErrMalformed, want: "{1:5}"},
		{name: "unterminated group", in: cat(tag(1, protowire.StartGroupType), varint(2, 5)), err: ErrMalformed, want: "{1:!{2:5}}"},
		{name: "wrong group end", in: cat(tag(1, protowire.StartGroupType), varint(2, 5), tag(3, protowire.EndGroupType)), err: ErrMalformed, want: "{1:!{2:5}}"},
		{name: "too deep", in: nest(40, str(1, "' OR 1=1--")), err: ErrTooDeep, kind: "protobuf.too_deep", nfields: 1},
		{name: "too deep groups", in: deepGroups(40), err: ErrTooDeep, nfields: 1},
		{name: "too deep, small limit", in: nest(3, varint(1, 1)), lim: Limits{MaxDepth: 2}, err: ErrTooDeep, want: "{1:{1:{1:[8 1]}}}"},
		{name: "too many fields", in: many, err: ErrTooManyFields, kind: "protobuf.too_many_fields", nfields: 10000},
		{name: "too many packed is bytes", in: lenf(1, manyPacked), lim: Limits{MaxFields: 100}, want: "{1:0x" + strings.Repeat("01", 5000) + "}"},
		{name: "text that would be too many fields is text", in: cat(str(1, strings.Repeat("x", 300)), str(2, inj)), lim: Limits{MaxFields: 100},
			want: `{1:"` + strings.Repeat("x", 300) + `" 2:"' OR 1=1--"}`},
		{name: "too large", in: cat(varint(1, 5), str(2, "abcdefghijkl")), lim: Limits{MaxBytes: 6}, err: ErrTooLarge, kind: "protobuf.too_large", want: `{1:5 2:"ab"…}`},
		{name: "string cut", in: str(1, strings.Repeat("é", 10)), lim: Limits{MaxStringBytes: 5}, want: `{1:"éé"…}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.in, tt.lim)
			if m == nil {
				t.Fatal("nil message")
			}
			if !errors.Is(err, tt.err) || (tt.err == nil) != (err == nil) {
				t.Fatalf("err %v, want %v", err, tt.err)
			}
			if tt.kind != "" && AnomalyKind(err) != tt.kind {
				t.Errorf("kind %q, want %q", AnomalyKind(err), tt.kind)
			}
			if tt.want != "" {
				if got := dump(m); got != tt.want {
					t.Errorf("got  %s\nwant %s", got, tt.want)
				}
			} else if len(m.Fields) != tt.nfields {
				t.Errorf("%d fields, want %d", len(m.Fields), tt.nfields)
			}
			if !json.Valid([]byte(JSON(m))) {
				t.Errorf("invalid JSON %s", JSON(m))
			}
		})
	}
}

func TestParams(t *testing.T) {
	inj := "' OR 1=1--"
	tests := []struct {
		name string
		in   []byte
		lim  Limits
		want []string // name=value
		drop int
	}{
		{"nested", lenf(1, lenf(2, str(1, inj))), Limits{}, []string{"1.2.1=" + inj}, 0},
		{"repeated", lenf(1, cat(varint(2, 1), lenf(3, str(1, "alpha")), lenf(3, str(1, "bravo")), lenf(3, str(1, inj)))),
			Limits{}, []string{"1.3[0].1=alpha", "1.3[1].1=bravo", "1.3[2].1=" + inj}, 0},
		{"unordered repeated", cat(str(2, "xray"), str(1, "yankee"), str(2, "zulu")), Limits{}, []string{"2[0]=xray", "1=yankee", "2[1]=zulu"}, 0},
		{"numbers and bytes are not params", cat(varint(1, 1), fixed32(2, 3), packedVarints(3, 1, 2), lenf(4, []byte{0xff})), Limits{}, nil, 0},
		{"text that parses as a message", str(7, "hi"), Limits{}, []string{"7=hi"}, 0},
		{"group", group(3, str(1, inj)), Limits{}, []string{"3.1=" + inj}, 0},
		// A long value is read at both ends, as ExtractParams reads one.
		{"cut", str(1, "abcdef"), Limits{MaxStringBytes: 3}, []string{"1=abc", "1=def"}, 0},
		{"cut and squeezed", str(1, "ab      ;id"), Limits{MaxStringBytes: 4}, []string{"1=ab  ", "1= ;id", "1=ab ;", "1= ;id"}, 0},
		// Zero-width spaces are text; NULs before text are dropped.
		{"format characters", str(1, strings.Repeat("\u200b", 8)+"' OR '1'='1' --"), Limits{}, []string{"1=" + strings.Repeat("\u200b", 8) + "' OR '1'='1' --"}, 0},
		{"controls before text", str(1, strings.Repeat("\x00", 8)+"' OR '1'='1"), Limits{}, []string{"1=' OR '1'='1"}, 0},
		{"binary", str(1, "\x00\x01\x02\x03\xff\xfe"), Limits{}, nil, 0},
		// Text behind NULs that parses as varints but for one of two
		// bytes (é), and NUL padding past the bound.
		{"controls before non-ASCII text", str(1, strings.Repeat("\x00", 8)+"' OR 'é'='é' --"), Limits{}, []string{"1=' OR 'é'='é' --"}, 0},
		{"controls past the bound", str(1, strings.Repeat("\x00", 20)+"' OR 1=1 --é"), Limits{MaxStringBytes: 8}, []string{"1=' OR 1=1", "1=1=1 --é"}, 0},
		// A payload between two runs of zero-width spaces past the bound:
		// the squeezed copy has it.
		{"zero-width padding", str(1, strings.Repeat("\u200b", 10)+";id"+strings.Repeat("\u200b", 10)), Limits{MaxStringBytes: 12}, []string{"1=" + strings.Repeat("\u200b", 4), "1=" + strings.Repeat("\u200b", 4), "1= ;id "}, 0},
		{"max params", cat(str(1, "alpha"), str(2, "bravo"), str(3, "charlie")), Limits{MaxParams: 2}, []string{"1=alpha", "2=bravo"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode(tt.in, tt.lim)
			if err != nil {
				t.Fatal(err)
			}
			ps, drop := AppendParams(nil, m, tt.lim)
			var got []string
			for _, p := range ps {
				if p.Loc != decoders.LocProtobuf {
					t.Errorf("loc %q", p.Loc)
				}
				got = append(got, p.Name+"="+p.Value)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) || drop != tt.drop {
				t.Errorf("got %q dropped %d\nwant %q dropped %d", got, drop, tt.want, tt.drop)
			}
		})
	}
}

func TestParamsDecoded(t *testing.T) {
	m, _ := Decode(str(1, "%2527%20OR%201=1"), Limits{})
	ps := Params(m, Limits{})
	if len(ps) != 1 || ps[0].Decoded != "' OR 1=1" || ps[0].Decodes != 2 || ps[0].Best() != "' OR 1=1" {
		t.Fatalf("got %+v", ps)
	}
}

func TestJSON(t *testing.T) {
	in := cat(varint(1, 150), str(2, "a\"b"), str(2, "charlie"), lenf(3, cat(str(1, "alpha"), fixed64(2, 7))),
		packedVarints(4, 1, 2), lenf(5, []byte{0xff, 0xfe}), group(6, fixed32(1, 3)))
	m, err := Decode(in, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"1":150,"2":["a\"b","charlie"],"3":{"1":"alpha","2":7},"4":[1,2],"5":"//4=","6":{"1":3}}`
	if got := JSON(m); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if JSON(nil) != "" {
		t.Error("JSON(nil) not empty")
	}
	if got := JSON(&Message{Fields: []Field{{Number: 1, Kind: KindString, Bytes: []byte{'a', 0xff}}}}); got != `{"1":"a\ufffd"}` {
		t.Errorf("invalid UTF-8: %s", got)
	}
}
