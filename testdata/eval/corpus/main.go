// Command corpus builds testdata/eval/corpus.jsonl, the labelled corpus of the
// detection evaluation: attack payloads from the OWASP CRS regression tests
// (rule families 930–934, 941, 942, 944, only tests that expect their rule to
// match) and from libinjection's SQLi and XSS test files, found in the Go
// module cache; benign values from testdata/eval/benign.txt and a seeded
// generator. Payloads are deduplicated; ids follow the output order, which
// is the same on every run.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/apisensor/sensor/testdata/eval/evalkit"
)

func main() {
	benign := flag.String("benign", "testdata/eval/benign.txt", "hand-written benign list")
	out := flag.String("out", "testdata/eval/corpus.jsonl", "corpus to write (- for stdout)")
	generated := flag.Int("generated", 260, "machine-made benign values to add (UUIDs, JWTs, …)")
	flag.Parse()
	if err := run(*benign, *out, *generated); err != nil {
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

// moduleDir asks the go command where a module of the main module's build
// list is, so the versions are the ones go.mod pins.
func moduleDir(path string) (string, error) {
	b, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		return "", fmt.Errorf("locate module %s (run from the repository, after go mod download): %w", path, err)
	}
	d := strings.TrimSpace(string(b))
	if d == "" {
		return "", fmt.Errorf("module %s is not downloaded: run go mod download %s", path, path)
	}
	return d, nil
}

func run(benignPath, out string, generated int) error {
	crsDir, err := moduleDir("github.com/corazawaf/coraza-coreruleset/v4")
	if err != nil {
		return err
	}
	liDir, err := moduleDir("github.com/corazawaf/libinjection-go")
	if err != nil {
		return err
	}
	crs, err := evalkit.LoadCRS(crsDir)
	if err != nil {
		return err
	}
	li, err := evalkit.LoadLibinjection(liDir)
	if err != nil {
		return err
	}
	f, err := os.Open(benignPath)
	if err != nil {
		return err
	}
	hand, err := evalkit.ParseBenign(f)
	f.Close()
	if err != nil {
		return err
	}
	all := append(append(append(crs, li...), hand...), evalkit.GenerateBenign(generated)...)
	entries, conflicts := evalkit.Dedupe(all)
	for _, c := range conflicts {
		fmt.Fprintf(os.Stderr, "corpus: benign value %q (%s) is also an attack payload: dropped\n", c.Payload, c.Source)
	}
	evalkit.Number(entries)
	counts := map[string]int{}
	for _, e := range entries {
		counts[e.Class]++
	}
	fmt.Fprintf(os.Stderr, "corpus: %d entries (from %d: CRS %d, libinjection %d, benign %d hand-written + %d generated): %v\n",
		len(entries), len(all), len(crs), len(li), len(hand), generated, counts)
	return evalkit.WriteCorpusFile(out, entries)
}
