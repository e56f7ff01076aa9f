// Command score scores a detection-evaluation run (testdata/eval/run.sh): it
// joins the client's manifest (what was sent, by corpus id and placement) with
// the sensor's --exchanges output (what was rebuilt and which alerts it
// raised) and the corpus labels, and prints per class × placement × protocol
// detection and false-positive rates as markdown, with PASS/FAIL against the
// issue-5 targets. It also writes the figures as JSON and the first misses and
// false positives per placement. The exit status is non-zero only when the
// run itself is broken (unreadable input, too many requests not found in the
// capture), never because a target is missed.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/apisensor/sensor/testdata/eval/evalkit"
)

// options are the command's flags.
type options struct {
	corpus, manifest, exchanges, alerts, resultsJSON, cases string
	n                                                       int
	maxLost                                                 float64
}

func main() {
	var o options
	flag.StringVar(&o.corpus, "corpus", "testdata/eval/corpus.jsonl", "labelled corpus")
	flag.StringVar(&o.manifest, "manifest", "manifest.jsonl", "client manifest")
	flag.StringVar(&o.exchanges, "exchanges", "exchanges.jsonl", "sensor replay --exchanges output")
	flag.StringVar(&o.alerts, "alerts", "", "sensor alerts file, for evidence locations (optional)")
	flag.StringVar(&o.resultsJSON, "json", "results.json", "where the figures go as JSON")
	flag.StringVar(&o.cases, "cases", "cases.md", "where the first misses and false positives per placement go")
	flag.IntVar(&o.n, "n", 25, "misses and false positives listed per placement")
	flag.Float64Var(&o.maxLost, "max-lost", 0.01, "fraction of sent requests allowed missing from the capture before the run counts as broken")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "score:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	corpus, err := evalkit.ReadCorpusFile(o.corpus)
	if err != nil {
		return err
	}
	sent, err := readManifest(o.manifest)
	if err != nil {
		return err
	}
	f, err := os.Open(o.exchanges)
	if err != nil {
		return err
	}
	seen, st, err := evalkit.ReadExchanges(bufio.NewReaderSize(f, 1<<20))
	f.Close()
	if err != nil {
		return err
	}
	if o.alerts != "" {
		af, err := os.Open(o.alerts)
		if err != nil {
			return err
		}
		locs, err := evalkit.ReadAlertLocations(af)
		af.Close()
		if err != nil {
			return err
		}
		for k, as := range seen {
			for i := range as {
				as[i].Locations = locs[as[i].ID]
			}
			seen[k] = as
		}
	}
	res, err := evalkit.Score(corpus, sent, seen)
	if err != nil {
		return err
	}
	res.WriteMarkdown(os.Stdout)
	all := res.Sum(func(*evalkit.Cell) bool { return true })
	fmt.Printf("\nRequests: %d in the manifest, %d exchanges rebuilt (%d untagged, %d tags seen twice); scored %d, lost %d, skipped %d, failed %d.\n",
		len(sent), st.Exchanges, st.Untagged, st.Repeated, all.Total, all.Lost, all.Skipped, all.Failed)

	if o.resultsJSON != "" {
		out := struct {
			Targets  map[string]float64         `json:"targets"`
			Verdicts []evalkit.PlacementVerdict `json:"verdicts"`
			*evalkit.Result
			Exchanges evalkit.ExchangeStats `json:"exchanges"`
		}{map[string]float64{"min_detection": evalkit.MinDetection, "max_false_positive": evalkit.MaxFalsePositive}, res.Verdicts(), res, st}
		b, err := json.MarshalIndent(&out, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(o.resultsJSON, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if o.cases != "" {
		cf, err := os.Create(o.cases)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(cf)
		res.WriteCases(w, o.n)
		if err := w.Flush(); err != nil {
			cf.Close()
			return fmt.Errorf("write %s: %w", o.cases, err)
		}
		if err := cf.Close(); err != nil {
			return err
		}
	}
	attempted := all.Total + all.Lost
	if attempted == 0 {
		return fmt.Errorf("nothing scored: no request of the manifest was found among %d exchanges", st.Exchanges)
	}
	if frac := float64(all.Lost) / float64(attempted); frac > o.maxLost {
		return fmt.Errorf("%d of %d requests (%.1f%%) are missing from the capture: dropped packets or a stopped capture", all.Lost, attempted, 100*frac)
	}
	if all.Failed > 0 {
		return fmt.Errorf("%d requests could not be sent (see the client's messages)", all.Failed)
	}
	return nil
}

func readManifest(path string) ([]evalkit.Sent, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []evalkit.Sent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var s evalkit.Sent
		if err := json.Unmarshal(sc.Bytes(), &s); err != nil {
			return nil, fmt.Errorf("manifest line %d: %w", len(out)+1, err)
		}
		out = append(out, s)
	}
	return out, sc.Err()
}
