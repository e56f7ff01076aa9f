package protobuf

import (
	"errors"
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Schemas holds the message and service types of user-supplied
// FileDescriptorSets. It is read-only once built and safe for concurrent use;
// a nil *Schemas knows no method.
type Schemas struct {
	files *protoregistry.Files
}

// LoadSchemas reads binary FileDescriptorSet files, as written by
// `protoc --descriptor_set_out=x.pb --include_imports`, and builds Schemas
// from all of them (see NewSchemas).
func LoadSchemas(paths ...string) (*Schemas, error) {
	sets := make([]*descriptorpb.FileDescriptorSet, 0, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("load descriptor set: %w", err)
		}
		set := new(descriptorpb.FileDescriptorSet)
		if err := proto.Unmarshal(b, set); err != nil {
			return nil, fmt.Errorf("load descriptor set %s: %w", p, err)
		}
		sets = append(sets, set)
	}
	return NewSchemas(sets...)
}

// NewSchemas builds Schemas from descriptor sets. A file present in several
// sets (a shared import such as google/protobuf/timestamp.proto) is taken
// once, from the first set; every import must be present in some set.
func NewSchemas(sets ...*descriptorpb.FileDescriptorSet) (*Schemas, error) {
	merged := new(descriptorpb.FileDescriptorSet)
	seen := make(map[string]bool)
	for _, set := range sets {
		for _, f := range set.GetFile() {
			if seen[f.GetName()] {
				continue
			}
			seen[f.GetName()] = true
			merged.File = append(merged.File, f)
		}
	}
	if len(merged.File) == 0 {
		return nil, errors.New("descriptor sets: no files")
	}
	files, err := protodesc.NewFiles(merged)
	if err != nil {
		return nil, fmt.Errorf("descriptor sets: %w", err)
	}
	return &Schemas{files: files}, nil
}

// Method returns the request and response types of a gRPC method, named as
// in the request path "/pkg.Service/Method": service "pkg.Service", method
// "Method".
func (s *Schemas) Method(service, method string) (in, out protoreflect.MessageDescriptor, ok bool) {
	if s == nil {
		return nil, nil, false
	}
	d, err := s.files.FindDescriptorByName(protoreflect.FullName(service))
	if err != nil {
		return nil, nil, false
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil, nil, false
	}
	md := sd.Methods().ByName(protoreflect.Name(method))
	if md == nil {
		return nil, nil, false
	}
	return md.Input(), md.Output(), true
}

// Message returns the message type of that full name ("pkg.User").
func (s *Schemas) Message(fullName string) (protoreflect.MessageDescriptor, bool) {
	if s == nil {
		return nil, false
	}
	d, err := s.files.FindDescriptorByName(protoreflect.FullName(fullName))
	if err != nil {
		return nil, false
	}
	md, ok := d.(protoreflect.MessageDescriptor)
	return md, ok
}

// DecodeWith walks b as a message of type md: fields get their names
// (Field.Name, Field.Desc), nested messages and groups their types, and
// strings, numbers, enums and packed fields are read as declared. Fields the
// schema does not know, and bytes fields (often serialized messages), are
// guessed as Decode does. With md nil it is Decode.
//
// When the bytes cannot be of that type (a wire type the field cannot have, a
// message field that does not parse), DecodeWith falls back to Decode and
// returns its tree (Type "") with an error wrapping ErrSchemaMismatch, joined
// with Decode's own error if any. Other errors are as for Decode, with the
// schema-aware tree decoded so far.
func DecodeWith(b []byte, md protoreflect.MessageDescriptor, lim Limits) (*Message, error) {
	if md == nil {
		return Decode(b, lim)
	}
	m, err := decode(b, md, lim)
	if errors.Is(err, ErrSchemaMismatch) {
		fb, ferr := Decode(b, lim)
		return fb, errors.Join(err, ferr)
	}
	if err == nil {
		m.desc, m.maxDepth = md, lim.withDefaults().MaxDepth
	}
	return m, err
}
