package protobuf

import (
	"fmt"
	"testing"
)

// benchMessage is a ~1 KiB CreateRequest: a user with strings, numbers and a
// nested address, 28 items and a few labels.
func benchMessage() []byte {
	b := createBytes()
	for i := range 28 {
		b = append(b, lenf(2, cat(str(1, fmt.Sprintf("item name number %02d", i)), varint(2, uint64(i*1000))))...)
	}
	for i := range 4 {
		b = append(b, lenf(3, cat(str(1, fmt.Sprintf("label-%d", i)), str(2, "some label value")))...)
	}
	return b
}

func BenchmarkDecodeParams(b *testing.B) {
	in := benchMessage()
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Decode(in, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if len(Params(m, Limits{})) == 0 {
			b.Fatal("no params")
		}
	}
}

func BenchmarkDecodeWithParams(b *testing.B) {
	in := benchMessage()
	md := createRequest(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := DecodeWith(in, md, Limits{})
		if err != nil {
			b.Fatal(err)
		}
		if len(Params(m, Limits{})) == 0 {
			b.Fatal("no params")
		}
	}
}

func BenchmarkJSON(b *testing.B) {
	in := benchMessage()
	m, err := Decode(in, Limits{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		_ = JSON(m)
	}
}
