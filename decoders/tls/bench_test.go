package tls

import "testing"

// BenchmarkClientHello measures parsing a Chrome ClientHello and computing
// its JA4.
func BenchmarkClientHello(b *testing.B) {
	msg := chrome().handshake()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseClientHello(msg); err != nil {
			b.Fatal(err)
		}
	}
}
