package protobuf

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/apisensor/sensor/decoders"
)

// testFile is, as a descriptor:
//
//	syntax = "proto3";
//	package test.v1;
//	enum Color { COLOR_UNSPECIFIED = 0; RED = 1; }
//	message Address { string street = 1; }
//	message User {
//	  string name = 1; Address address = 2; sint32 delta = 3; Color color = 4;
//	  repeated string tags = 5; repeated int32 ids = 6; bytes blob = 7;
//	  repeated double scores = 8;
//	}
//	message Item { string name = 1; }
//	message CreateRequest {
//	  User user = 1; repeated Item items = 2; map<string, string> labels = 3;
//	}
//	message CreateResponse { int64 id = 1; }
//	service Users { rpc Create(CreateRequest) returns (CreateResponse); }
func testFile() *descriptorpb.FileDescriptorProto {
	s := proto.String
	field := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, label descriptorpb.FieldDescriptorProto_Label, typeName string) *descriptorpb.FieldDescriptorProto {
		f := &descriptorpb.FieldDescriptorProto{Name: s(name), Number: proto.Int32(num), Type: typ.Enum(), Label: label.Enum(), JsonName: s(name)}
		if typeName != "" {
			f.TypeName = s(typeName)
		}
		return f
	}
	const (
		opt = descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		rep = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		tS  = descriptorpb.FieldDescriptorProto_TYPE_STRING
		tM  = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
	)
	return &descriptorpb.FileDescriptorProto{
		Name:    s("test/v1/users.proto"),
		Package: s("test.v1"),
		Syntax:  s("proto3"),
		EnumType: []*descriptorpb.EnumDescriptorProto{{
			Name: s("Color"),
			Value: []*descriptorpb.EnumValueDescriptorProto{
				{Name: s("COLOR_UNSPECIFIED"), Number: proto.Int32(0)},
				{Name: s("RED"), Number: proto.Int32(1)},
			},
		}},
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: s("Address"), Field: []*descriptorpb.FieldDescriptorProto{field("street", 1, tS, opt, "")}},
			{Name: s("User"), Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, tS, opt, ""),
				field("address", 2, tM, opt, ".test.v1.Address"),
				field("delta", 3, descriptorpb.FieldDescriptorProto_TYPE_SINT32, opt, ""),
				field("color", 4, descriptorpb.FieldDescriptorProto_TYPE_ENUM, opt, ".test.v1.Color"),
				field("tags", 5, tS, rep, ""),
				field("ids", 6, descriptorpb.FieldDescriptorProto_TYPE_INT32, rep, ""),
				field("blob", 7, descriptorpb.FieldDescriptorProto_TYPE_BYTES, opt, ""),
				field("scores", 8, descriptorpb.FieldDescriptorProto_TYPE_DOUBLE, rep, ""),
			}},
			{Name: s("Item"), Field: []*descriptorpb.FieldDescriptorProto{field("name", 1, tS, opt, "")}},
			{
				Name: s("CreateRequest"),
				Field: []*descriptorpb.FieldDescriptorProto{
					field("user", 1, tM, opt, ".test.v1.User"),
					field("items", 2, tM, rep, ".test.v1.Item"),
					field("labels", 3, tM, rep, ".test.v1.CreateRequest.LabelsEntry"),
				},
				NestedType: []*descriptorpb.DescriptorProto{{
					Name:    s("LabelsEntry"),
					Field:   []*descriptorpb.FieldDescriptorProto{field("key", 1, tS, opt, ""), field("value", 2, tS, opt, "")},
					Options: &descriptorpb.MessageOptions{MapEntry: proto.Bool(true)},
				}},
			},
			{Name: s("CreateResponse"), Field: []*descriptorpb.FieldDescriptorProto{field("id", 1, descriptorpb.FieldDescriptorProto_TYPE_INT64, opt, "")}},
		},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: s("Users"),
			Method: []*descriptorpb.MethodDescriptorProto{{
				Name: s("Create"), InputType: s(".test.v1.CreateRequest"), OutputType: s(".test.v1.CreateResponse"),
			}},
		}},
	}
}

func testSchemas(t testing.TB) *Schemas {
	t.Helper()
	s, err := NewSchemas(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{testFile()}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func createRequest(t testing.TB) protoreflect.MessageDescriptor {
	t.Helper()
	in, _, ok := testSchemas(t).Method("test.v1.Users", "Create")
	if !ok {
		t.Fatal("method test.v1.Users/Create not found")
	}
	return in
}

const inj = "' OR 1=1--"

// createBytes is a CreateRequest with an injection in user.name.
func createBytes() []byte {
	var scores []byte
	scores = protowire.AppendFixed64(scores, 0x3ff8000000000000) // 1.5
	user := cat(
		str(1, inj),
		lenf(2, str(1, "1 Main St")),
		varint(3, protowire.EncodeZigZag(-3)),
		varint(4, 1),
		str(5, "admin"),
		packedVarints(6, 7, 8),
		lenf(7, str(1, "<script>alert(1)</script>")),
		lenf(8, scores),
	)
	return cat(
		lenf(1, user),
		lenf(2, str(1, "book")),
		lenf(2, str(1, "pen")),
		lenf(3, cat(str(1, "env"), str(2, "prod"))),
		str(99, "unknown field"),
	)
}

func TestSchemasMethod(t *testing.T) {
	s := testSchemas(t)
	in, out, ok := s.Method("test.v1.Users", "Create")
	if !ok || in.FullName() != "test.v1.CreateRequest" || out.FullName() != "test.v1.CreateResponse" {
		t.Fatalf("Method: %v %v %v", in, out, ok)
	}
	for _, tt := range [][2]string{{"test.v1.Users", "Delete"}, {"test.v1.Nope", "Create"}, {"test.v1.User", "Create"}, {"", ""}} {
		if _, _, ok := s.Method(tt[0], tt[1]); ok {
			t.Errorf("Method(%q, %q) found", tt[0], tt[1])
		}
	}
	var none *Schemas
	if _, _, ok := none.Method("test.v1.Users", "Create"); ok {
		t.Error("nil Schemas found a method")
	}
	if md, ok := s.Message("test.v1.User"); !ok || md.Name() != "User" {
		t.Error("Message(test.v1.User)")
	}
}

func TestDecodeWith(t *testing.T) {
	m, err := DecodeWith(createBytes(), createRequest(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Type != "test.v1.CreateRequest" {
		t.Errorf("type %q", m.Type)
	}
	want := `{user:{name:"' OR 1=1--" address:{street:"1 Main St"} delta:5 color:1 tags:"admin" ids:[7 8] blob:{1:"<script>alert(1)</script>"} scores:[4609434218613702656]} items:{name:"book"} items:{name:"pen"} labels:{key:"env" value:"prod"} 99:"unknown field"}`
	if got := dump(m); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	var got []string
	for _, p := range Params(m, Limits{}) {
		got = append(got, p.Name+"="+p.Value)
	}
	wantParams := []string{
		"user.name=" + inj, "user.address.street=1 Main St", "user.tags[0]=admin",
		"user.blob.1=<script>alert(1)</script>", "items[0].name=book", "items[1].name=pen",
		"labels[0].key=env", "labels[0].value=prod", "99=unknown field",
	}
	if strings.Join(got, "\n") != strings.Join(wantParams, "\n") {
		t.Errorf("params\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantParams, "\n"))
	}

	js := JSON(m)
	var v map[string]any
	if err := json.Unmarshal([]byte(js), &v); err != nil {
		t.Fatalf("JSON %s: %v", js, err)
	}
	for _, sub := range []string{`"name":"' OR 1=1--"`, `"color":"RED"`, `"delta":-3`, `"ids":[7,8]`, `"scores":[1.5]`, `"labels":{"env":"prod"}`} {
		if !strings.Contains(js, sub) {
			t.Errorf("JSON lacks %s: %s", sub, js)
		}
	}
}

func TestDecodeWithMismatch(t *testing.T) {
	md := createRequest(t)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		// user as a varint, not a message.
		{"wire type", varint(1, 5), "{1:5}"},
		// user's bytes do not parse as a message.
		{"not a message", str(1, "' OR 1=1--"), `{1:"' OR 1=1--"}`},
		// a string in a packed int32 field that does not parse.
		{"packed", lenf(1, lenf(6, []byte{0xff})), "{1:{6:0xff}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodeWith(tt.in, md, Limits{})
			if !errors.Is(err, ErrSchemaMismatch) || AnomalyKind(err) != "protobuf.schema_mismatch" {
				t.Fatalf("err %v", err)
			}
			if m.Type != "" {
				t.Errorf("type %q after fallback", m.Type)
			}
			if got := dump(m); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestDecodeWithTypedJSONFallback(t *testing.T) {
	// Cut short: the schema tree is kept, JSON falls back to the tree.
	b := createBytes()
	m, err := DecodeWith(b, createRequest(t), Limits{MaxBytes: len(b) - 3})
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v", err)
	}
	js := JSON(m)
	if !json.Valid([]byte(js)) || !strings.Contains(js, `"color":"RED"`) || !strings.Contains(js, `"delta":-3`) || !strings.Contains(js, `"scores":[1.5]`) {
		t.Errorf("JSON %s", js)
	}
}

func TestLoadSchemas(t *testing.T) {
	dir := t.TempDir()
	b, err := proto.Marshal(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{testFile()}})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "users.pb")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	// The same file twice, as two sets sharing an import would hold it.
	s, err := LoadSchemas(p, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := s.Method("test.v1.Users", "Create"); !ok {
		t.Error("method not found")
	}
	bad := filepath.Join(dir, "bad.pb")
	if err := os.WriteFile(bad, []byte{0xff}, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, paths := range [][]string{{bad}, {filepath.Join(dir, "missing.pb")}, {}} {
		if _, err := LoadSchemas(paths...); err == nil {
			t.Errorf("LoadSchemas(%q) succeeded", paths)
		}
	}
	// A file whose import is missing.
	f := testFile()
	f.Dependency = []string{"google/protobuf/timestamp.proto"}
	if _, err := NewSchemas(&descriptorpb.FileDescriptorSet{File: []*descriptorpb.FileDescriptorProto{f}}); err == nil {
		t.Error("NewSchemas with a missing import succeeded")
	}
}

// TestStructParams: a google.protobuf.Struct's members are named as a JSON
// object's (an operator key reads as in JSON), every kind of value a
// parameter.
func TestStructParams(t *testing.T) {
	v, err := structpb.NewValue(map[string]any{
		"username": map[string]any{"$ne": nil},
		"age":      map[string]any{"$gt": 30},
		"tags":     []any{"a", map[string]any{"$where": "sleep(5000)"}},
		"admin":    true,
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := proto.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeWith(b, v.ProtoReflect().Descriptor(), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Params(m, Limits{}) {
		got = append(got, p.Name+"="+p.Value)
	}
	slices.Sort(got)
	want := []string{"struct_value.admin=true", "struct_value.age.$gt=30", "struct_value.tags[0]=a",
		"struct_value.tags[1].$where=sleep(5000)", "struct_value.username.$ne=null"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

// TestStructPastDepth: a Struct nested past the depth bound keeps its
// undecoded member as bytes to read, not a made-up null.
func TestStructPastDepth(t *testing.T) {
	for _, wrap := range []func(any) any{
		func(v any) any { return map[string]any{"a": v} },
		// A list between: the bound falls on a map entry, not a value.
		func(v any) any { return map[string]any{"a": []any{v}} },
	} {
		structPastDepth(t, wrap)
	}
}

func structPastDepth(t *testing.T, wrap func(any) any) {
	t.Helper()
	var v any = map[string]any{"$where": "sleep(5000) || ' OR 1=1 --"}
	for range 12 {
		v = wrap(v)
	}
	sv, err := structpb.NewValue(v)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := proto.Marshal(sv)
	m, err := DecodeWith(b, sv.ProtoReflect().Descriptor(), Limits{MaxDepth: 8})
	if err != nil && !errors.Is(err, ErrTooDeep) {
		t.Fatal(err)
	}
	found := false
	for _, p := range Params(m, Limits{}) {
		found = found || strings.Contains(p.Value, "' OR 1=1 --")
		if p.Value == "null" {
			t.Errorf("a null made up at %s", p.Name)
		}
	}
	if !found {
		t.Errorf("the payload past the depth bound is in no parameter: %v", Params(m, Limits{}))
	}
}

// TestBytesBehindControls: a declared bytes field whose text behind NULs
// parses as packed varints is read as that text, as without a schema.
func TestBytesBehindControls(t *testing.T) {
	b := lenf(1, lenf(7, []byte(strings.Repeat("\x00", 8)+"' OR 1=1 --")))
	m, err := DecodeWith(b, createRequest(t), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	ps := Params(m, Limits{})
	if !slices.ContainsFunc(ps, func(p decoders.Param) bool { return p.Value == "' OR 1=1 --" }) {
		t.Errorf("params %v", ps)
	}
}
