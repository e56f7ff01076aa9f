package tls

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

// chrome is a Chrome 143 ClientHello in the order it was sent (the ja4_ro
// form published with its JA4), with GREASE added where Chrome puts it.
func chrome() *hello {
	return &hello{
		ciphers:  append([]uint16{0x1a1a}, hexes("1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035")...),
		exts:     append(append([]uint16{0xfafa}, hexes("002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b")...), 0x3a3a),
		sni:      "tls.browserleaks.com",
		alpn:     []string{"h2", "http/1.1"},
		sigs:     hexes("0403,0804,0401,0503,0805,0501,0806,0601"),
		versions: []uint16{0x7a7a, 0x0304, 0x0303},
		groups:   []uint16{0x2a2a, 0x11ec, 0x001d, 0x0017, 0x0018},
	}
}

func TestJA4Vectors(t *testing.T) {
	// The FoxIO README example, given as its JA4_r (sorted) lists.
	readme := &hello{
		ciphers:  hexes("002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"),
		exts:     hexes("0000,0010,0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"),
		sni:      "example.com",
		alpn:     []string{"h2"},
		sigs:     hexes("0403,0804,0401,0503,0805,0501,0806,0601"),
		versions: []uint16{0x0304},
	}
	noExt := &hello{version: 0x0301, ciphers: hexes("0035,002f")}
	tls12 := &hello{
		ciphers: hexes("c02f,c030"),
		exts:    hexes("000a,000d"),
		sigs:    hexes("0401"),
	}
	// supported_versions decides even when lower than the legacy field.
	lowSV := &hello{version: 0x0303, ciphers: hexes("1301"), exts: hexes("002b"), versions: []uint16{0x2a2a, 0x0302}}
	noSigs := &hello{ciphers: hexes("1301"), exts: hexes("0000,002b,0010"), sni: "a", alpn: []string{"http/1.1"}, versions: []uint16{0x0304}}
	tests := []struct {
		name string
		h    *hello
		want string
	}{
		{"chrome 143", chrome(), "t13d1516h2_8daaf6152771_d8a2da3f94cd"},
		{"foxio readme", readme, "t13d1516h2_8daaf6152771_e5627efa2ab1"},
		{"no extensions", noExt, "t10i020000_" + sha12("002f,0035") + "_000000000000"},
		{"tls 1.2 no sni no alpn", tls12, "t12i020200_" + sha12("c02f,c030") + "_" + sha12("000a,000d_0401")},
		{"supported_versions below legacy", lowSV, "t11i010100_" + sha12("1301") + "_" + sha12("002b")},
		{"no signature algorithms", noSigs, "t13d0103h1_" + sha12("1301") + "_" + sha12("002b")},
	}
	for _, tt := range tests {
		info, err := ParseClientHello(tt.h.handshake())
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if info.JA4 != tt.want {
			t.Errorf("%s: JA4 = %s, want %s", tt.name, info.JA4, tt.want)
		}
	}
}

func sha12(s string) string { return string(appendHash(nil, []byte(s), false)) }

func TestALPNCharacters(t *testing.T) {
	// Cases from the JA4 specification's ALPN section.
	tests := []struct {
		alpn []string
		want string
	}{
		{nil, "00"},
		{[]string{""}, "00"},
		{[]string{"h2"}, "h2"},
		{[]string{"http/1.1"}, "h1"},
		{[]string{"b"}, "bb"},
		{[]string{"\xab"}, "ab"},
		{[]string{"\xab\xcd"}, "ad"},
		{[]string{"\x30\xab"}, "3b"},
		{[]string{"\x30\x31\xab\xcd"}, "3d"},
	}
	for _, tt := range tests {
		if got := string(appendALPN(nil, tt.alpn)); got != tt.want {
			t.Errorf("ALPN %q = %q, want %q", tt.alpn, got, tt.want)
		}
	}
}

func TestCountsCapped(t *testing.T) {
	h := &hello{}
	for i := range 120 {
		h.ciphers = append(h.ciphers, uint16(0x0100+i))
	}
	info, err := ParseClientHello(h.handshake())
	if err != nil {
		t.Fatal(err)
	}
	if got := info.JA4[:10]; got != "t12i990000" {
		t.Errorf("JA4 prefix = %s, want t12i990000", got)
	}
}

func TestParseClientHello(t *testing.T) {
	info, err := ParseClientHello(chrome().handshake())
	if err != nil {
		t.Fatal(err)
	}
	if info.SNI != "tls.browserleaks.com" || !slices.Equal(info.ALPN, []string{"h2", "http/1.1"}) || info.Version != 0x0304 || info.LegacyVersion != 0x0303 {
		t.Errorf("got sni %q alpn %q version %#x legacy %#x", info.SNI, info.ALPN, info.Version, info.LegacyVersion)
	}
	if len(info.Ciphers) != 16 || len(info.Extensions) != 18 || len(info.Groups) != 5 {
		t.Errorf("got %d ciphers, %d extensions, %d groups", len(info.Ciphers), len(info.Extensions), len(info.Groups))
	}

	good := chrome().handshake()
	bad := []struct {
		name string
		msg  []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"server hello", append([]byte{2}, good[1:]...), ErrNotClientHello},
		{"cut", good[:len(good)-3], ErrTruncated},
		{"cut body", append(good[:4:4], good[4:40]...), ErrTruncated},
		{"odd cipher list", oddCiphers(), ErrMalformed},
	}
	for _, tt := range bad {
		if _, err := ParseClientHello(tt.msg); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func oddCiphers() []byte {
	h := &hello{ciphers: []uint16{0x1301}}
	b := h.handshake()
	// cipher list length at 4+2+32+1+32 = 71: make it 1 and pad the body
	// so the rest still parses as far as the list.
	b[72] = 1
	return b
}

func TestSniff(t *testing.T) {
	rec := records(chrome().handshake(), 1<<14)
	tests := []struct {
		name           string
		client, server []byte
		want           decoders.Verdict
	}{
		{"hello", rec, nil, decoders.Yes},
		{"hello start", rec[:6], nil, decoders.Yes},
		{"too short", rec[:3], nil, decoders.NeedMore},
		{"nothing", nil, nil, decoders.NeedMore},
		{"http", []byte("GET / HTTP/1.1\r\n"), nil, decoders.No},
		{"reversed", []byte("HTTP/1.1 200 OK\r\n"), rec, decoders.Reversed},
		{"app data", []byte{23, 3, 3, 0, 10}, nil, decoders.No},
		{"server hello first", []byte{22, 3, 3, 0, 90, 2}, nil, decoders.NeedMore},
		{"sslv2", []byte{0x80, 0x2e, 1, 3, 1}, nil, decoders.No},
	}
	for _, tt := range tests {
		if got := Sniff(tt.client, tt.server, false); got != tt.want {
			t.Errorf("%s: Sniff = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// feed runs chunks through the dispatcher with this protocol registered and
// returns the exchanges and counts.
func feed(chunks ...sensor.Chunk) ([]*decoders.Exchange, sensor.Counts) {
	counts := sensor.Counts{}
	lim := decoders.DefaultLimits()
	var out []*decoders.Exchange
	meta := &sensor.ConnMeta{}
	c := decoders.NewConn(meta, &lim, counts, func(x *decoders.Exchange) { out = append(out, x) })
	for i := range chunks {
		c.Data(&chunks[i])
	}
	c.Close(sensor.EndFIN, time.Time{})
	return out, counts
}

func TestDecoder(t *testing.T) {
	msg := chrome().handshake()
	want := "t13d1516h2_8daaf6152771_d8a2da3f94cd"
	cs, sc := sensor.ClientToServer, sensor.ServerToClient
	// One record, cut into 7-byte segments.
	var small []sensor.Chunk
	rec := records(msg, 1<<14)
	for i := 0; i < len(rec); i += 7 {
		small = append(small, sensor.Chunk{Dir: cs, Data: rec[i:min(i+7, len(rec))], Frames: []uint64{uint64(i/7 + 1)}})
	}
	tests := []struct {
		name    string
		chunks  []sensor.Chunk
		hellos  int
		anomaly string
	}{
		{"one record", []sensor.Chunk{{Dir: cs, Data: records(msg, 1<<14)}, {Dir: sc, Data: []byte{22, 3, 3, 0, 1, 2}}, {Dir: cs, Data: []byte{23, 3, 3, 0, 1, 0}}}, 1, ""},
		{"records of 100 bytes", []sensor.Chunk{{Dir: cs, Data: records(msg, 100)}}, 1, ""},
		{"7-byte segments", small, 1, ""},
		{"truncated", []sensor.Chunk{{Dir: cs, Data: records(msg, 1<<14)[:200]}}, 0, KindTruncatedHello},
		{"gap", []sensor.Chunk{{Dir: cs, Data: records(msg, 100)[:200]}, {Dir: cs, Data: []byte{1}, Gap: 10}}, 0, KindTruncatedHello},
		{"alert record inside", []sensor.Chunk{{Dir: cs, Data: append(records(msg, 50)[:55:55], 21, 3, 3, 0, 2, 2, 40)}}, 0, KindBadRecord},
		{"too large", []sensor.Chunk{{Dir: cs, Data: records(append([]byte{1, 0, 0x50, 0}, make([]byte, 0x5000)...), 1<<14)}}, 0, KindHelloTooLarge},
		{"garbage hello", []sensor.Chunk{{Dir: cs, Data: records(append([]byte{1, 0, 0, 8}, make([]byte, 8)...), 1<<14)}}, 0, KindBadHello},
	}
	for _, tt := range tests {
		xs, counts := feed(tt.chunks...)
		if len(xs) != tt.hellos {
			t.Errorf("%s: %d exchanges, want %d (counts %v)", tt.name, len(xs), tt.hellos, counts)
			continue
		}
		if tt.anomaly != "" && counts[tt.anomaly] != 1 {
			t.Errorf("%s: counts %v, want one %s", tt.name, counts, tt.anomaly)
		}
		for _, x := range xs {
			if x.Proto != ProtoName || x.Request != nil || x.TLS == nil || x.TLS.JA4 != want || x.TLS.SNI != "tls.browserleaks.com" {
				t.Errorf("%s: exchange %+v", tt.name, x)
			}
		}
	}
	xs, _ := feed(small...)
	if len(xs) == 1 && (len(xs[0].TLS.Frames) == 0 || xs[0].TLS.Frames[0] != 1) {
		t.Errorf("frames = %v", xs[0].TLS.Frames)
	}
}
