package tier1

import (
	"slices"
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
	"/..", "://", "%2e%2e/", ".%%32%65/", "/.env", ":/\\",
	// This round's: separator runs (shellSimplify), dashes (argument
	// injection's hint), quotes after a token (quoteComment), closing
	// parentheses (LDAP), look-alike dots, data: URLs, "<!DOCTYPE".
	"|", "&", ";(", "-x", "a'", ")(", "．", "data:image/svg+xml;base64,", "<!doctype a system \"",
}

// BenchmarkTier1WorstCase runs every family on one value of 64 KB (8 times
// the default scan_bytes) made of one of worstUnits, sent as a query
// parameter and as the request path (the whole-path checks): a value costs
// its length, not its square.
func BenchmarkTier1WorstCase(b *testing.B) {
	cfg := detect.DefaultConfig()
	cfg.ScanBytes = 64 << 10
	ds, err := detect.New(Names(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	values := map[string]string{}
	for _, u := range worstUnits {
		values[strings.ReplaceAll(u, "\n", "LF")] = strings.Repeat(u, cfg.ScanBytes/len(u))
	}
	// One line break first, then comment starts with no line end after
	// them (sqlCanon).
	for _, u := range []string{"#", "--"} {
		values["LF"+u] = "\n" + strings.Repeat(u, cfg.ScanBytes/len(u))
	}
	// Slashes before one ".sock" (ssrfPath tries the slashes before it),
	// many ".sock", and odd segments (wholePath's ends).
	values["slashes.sock"] = strings.Repeat("/a", cfg.ScanBytes/2) + ".sock"
	values["unix.sock"] = strings.Repeat("/unix:", cfg.ScanBytes/6) + ".sock"
	values["many.sock"] = strings.Repeat("/a.sock", cfg.ScanBytes/7)
	values["odd segments"] = strings.Repeat("/a%20", cfg.ScanBytes/5)
	for _, u := range []string{"{", "{ ...F ", "fragment F on T { ...F } ", "@a", "a: b ", "{ ... on T "} {
		values["graphql "+u] = u
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		v := values[name]
		x := exchange(decoders.Param{Loc: decoders.LocQuery, Name: "q", Value: v})
		x.Request.Path = v
		if gql, ok := strings.CutPrefix(name, "graphql "); ok {
			// A GraphQL document (graphqlShape): nesting, spreads,
			// fragments that spread themselves, directives.
			v = strings.Repeat(gql, cfg.ScanBytes/len(gql))
			x = exchange(decoders.Param{Loc: decoders.LocJSON, Name: "query", Value: "query " + v})
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(v)))
			b.ReportAllocs()
			for b.Loop() {
				inspectAll(ds, x)
			}
		})
	}
}
