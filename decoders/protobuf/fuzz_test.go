package protobuf

import (
	"encoding/json"
	"fmt"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/apisensor/sensor/decoders"
)

// FuzzDecode feeds arbitrary bytes to Decode and DecodeWith and checks the
// bounds: no panic, a tree within the limits, valid JSON, params within the
// limits. Re-encoding is not checked: guessing is lossy by design.
// Seeds: f.Add below and testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add(createBytes())
	f.Add(nest(40, str(1, inj)))
	f.Add(group(1, group(2, varint(3, 1)), str(4, "x")))
	f.Add(str(1, "hi"))
	f.Add(packedVarints(4, 1, 300, 5))
	f.Add([]byte{0x0b, 0x0b, 0x0b, 0x0c})
	md := createRequest(f)
	lim := Limits{MaxDepth: 8, MaxFields: 64, MaxStringBytes: 16, MaxParams: 8, MaxBytes: 4096}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, d := range []protoreflect.MessageDescriptor{nil, md} {
			m, err := DecodeWith(b, d, lim)
			if m == nil {
				t.Fatalf("nil message, err %v", err)
			}
			if err != nil && AnomalyKind(err) == "" {
				t.Fatalf("error without kind: %v", err)
			}
			if n := count(t, m, 0, lim); n > lim.MaxFields {
				t.Fatalf("%d fields", n)
			}
			if js := JSON(m); !json.Valid([]byte(js)) {
				t.Fatalf("invalid JSON %q", js)
			}
			ps, _ := AppendParams(nil, m, lim)
			if len(ps) > lim.MaxParams {
				t.Fatalf("%d params", len(ps))
			}
			for _, p := range ps {
				if err := checkParam(p, lim); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

// count checks the tree's depth and leaves, and counts its fields.
func count(t *testing.T, m *Message, depth int, lim Limits) int {
	if depth > lim.MaxDepth {
		t.Fatalf("depth %d", depth)
	}
	n := 0
	for i := range m.Fields {
		f := &m.Fields[i]
		n++
		if len(f.Bytes) > lim.MaxStringBytes {
			t.Fatalf("field %d keeps %d bytes", f.Number, len(f.Bytes))
		}
		switch f.Kind {
		case KindMessage, KindGroup:
			n += count(t, f.Message, depth+1, lim)
		case KindPacked:
			n += len(f.Packed)
		case 0:
			t.Fatalf("field %d without kind", f.Number)
		}
	}
	return n
}

func checkParam(p decoders.Param, lim Limits) error {
	switch {
	case p.Loc != decoders.LocProtobuf:
		return fmt.Errorf("param %q: loc %q", p.Name, p.Loc)
	case len(p.Value) > lim.MaxStringBytes:
		return fmt.Errorf("param %q: %d bytes", p.Name, len(p.Value))
	case p.Name == "":
		return fmt.Errorf("param without name")
	}
	return nil
}
