package tier1

import (
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/detect"
)

// worstUnits are repeated to fill a value: runs of the bytes the scanners
// restart from (parentheses, quotes, separators, expansions) and which
// would make a rescan from each of them quadratic.
var worstUnits = []string{
	"(", "'", "$", "a(b(", "](", "${", "a${", "{,{", "&&", "\n", ";ls", "$(ls", "../", "php://", "((select", "[$", "\\'", "#{", "{{", "x http://127.0.0.1 ",
}

// BenchmarkTier1WorstCase runs every family on one value of 64 KB (8 times
// the default scan_bytes) made of one of worstUnits: a value costs its
// length, not its square.
func BenchmarkTier1WorstCase(b *testing.B) {
	cfg := detect.DefaultConfig()
	cfg.ScanBytes = 64 << 10
	ds, err := detect.New(Names(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	for _, u := range worstUnits {
		v := strings.Repeat(u, cfg.ScanBytes/len(u))
		x := exchange(decoders.Param{Loc: decoders.LocQuery, Name: "q", Value: v})
		b.Run(strings.ReplaceAll(u, "\n", "LF"), func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			b.ReportAllocs()
			for b.Loop() {
				inspectAll(ds, x)
			}
		})
	}
}
