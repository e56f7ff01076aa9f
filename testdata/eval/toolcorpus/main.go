// Command toolcorpus builds the attack corpus of the second opinion on
// detection (testdata/eval/extra-attacks.sh): sqlmap's payloads in its
// boundaries, as is and through its tamper scripts, wfuzz's injection word
// lists and wapiti's attack payloads, read from the tools' data directories (their Debian packages,
// unpacked). The output has the format of corpus.jsonl, attacks only.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/apisensor/sensor/testdata/eval/evalkit"
)

func main() {
	sqlmap := flag.String("sqlmap", "", "sqlmap's data/xml directory (payloads/, boundaries.xml)")
	wfuzz := flag.String("wfuzz", "", "wfuzz's wordlist directory")
	wapiti := flag.String("wapiti", "", "wapiti's wapitiCore/data/attacks directory")
	seed := flag.Uint64("seed", 1, "seed of the boundary, placeholder and tamper draws")
	out := flag.String("out", "-", "corpus to write (- for stdout)")
	flag.Parse()
	if err := run(*sqlmap, *wfuzz, *wapiti, *seed, *out); err != nil {
		fmt.Fprintln(os.Stderr, "toolcorpus:", err)
		os.Exit(1)
	}
}

func run(sqlmapDir, wfuzzDir, wapitiDir string, seed uint64, out string) error {
	var all []evalkit.Entry
	if sqlmapDir != "" {
		es, err := evalkit.LoadSqlmap(sqlmapDir, seed)
		if err != nil {
			return err
		}
		all = append(all, es...)
	}
	if wfuzzDir != "" {
		es, err := evalkit.LoadWfuzz(wfuzzDir)
		if err != nil {
			return err
		}
		all = append(all, es...)
	}
	if wapitiDir != "" {
		es, err := evalkit.LoadWapiti(wapitiDir)
		if err != nil {
			return err
		}
		all = append(all, es...)
	}
	if len(all) == 0 {
		return fmt.Errorf("no source: give -sqlmap, -wfuzz or -wapiti")
	}
	entries, _ := evalkit.Dedupe(all)
	evalkit.Number(entries)
	counts := map[string]int{}
	for _, e := range entries {
		counts[e.Class]++
	}
	fmt.Fprintf(os.Stderr, "toolcorpus: %d entries (from %d): %v\n", len(entries), len(all), counts)
	return evalkit.WriteCorpusFile(out, entries)
}
