package decoders

import "time"

// TLSInfo is what a passive observer reads in a TLS ClientHello. The lists
// keep the client's order and its GREASE values; JA4 is computed from them
// (decoders/tls).
type TLSInfo struct {
	// Time is the capture time of the record that completed the hello;
	// Frames the capture frames that carried it (at most MaxFrames).
	Time   time.Time
	Frames []uint64
	// LegacyVersion is the ClientHello's version field; Version the highest
	// version offered (supported_versions when present, GREASE ignored).
	LegacyVersion, Version uint16
	// SNI is the server_name (host_name) requested; empty without one.
	SNI string
	// ALPN lists the protocols offered, in order.
	ALPN []string
	// Ciphers, Extensions, SignatureAlgorithms, SupportedVersions and
	// Groups are the code points as sent.
	Ciphers             []uint16
	Extensions          []uint16
	SignatureAlgorithms []uint16
	SupportedVersions   []uint16
	Groups              []uint16
	// JA4 is the FoxIO JA4 fingerprint of the hello.
	JA4 string
}
