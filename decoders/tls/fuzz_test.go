package tls

import (
	"testing"

	"github.com/apisensor/sensor/sensor"
)

// FuzzClientHello feeds arbitrary bytes to the parser, and as records in
// two segments to the decoder: errors are fine, panics and unbounded
// memory are not.
func FuzzClientHello(f *testing.F) {
	f.Add(chrome().handshake(), 7)
	f.Add((&hello{version: 0x0301, ciphers: hexes("0035")}).handshake(), 0)
	f.Add((&hello{ciphers: hexes("1301"), exts: hexes("0000,0010,002b,000d,000a"), sni: "x", alpn: []string{"", "\xff"}, versions: []uint16{0x0304}, sigs: []uint16{0x0403}}).handshake(), 30)
	f.Add([]byte{1, 0, 0, 0}, 1)
	f.Fuzz(func(t *testing.T, msg []byte, cut int) {
		if info, err := ParseClientHello(msg); err == nil {
			if len(info.JA4) != 36 {
				t.Errorf("JA4 %q is not 36 characters", info.JA4)
			}
			if len(info.SNI) > maxNameLen || len(info.ALPN) > maxALPN {
				t.Errorf("unbounded: sni %d bytes, %d alpn", len(info.SNI), len(info.ALPN))
			}
		}
		rec := records(msg, 1<<14)
		if len(rec) == 0 {
			return
		}
		cut = min(max(cut, 0), len(rec))
		feed(sensor.Chunk{Dir: sensor.ClientToServer, Data: rec[:cut]}, sensor.Chunk{Dir: sensor.ClientToServer, Data: rec[cut:]})
	})
}
