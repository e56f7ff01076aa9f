package tier1_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/tier1"
	"github.com/apisensor/sensor/testdata/eval/evalkit"
)

// TestEvalCorpus runs the default tier-1 detectors (and injection) on the
// evaluation corpus (testdata/eval/corpus.jsonl) without traffic: each entry
// is built into the request of a placement with evalkit.NewRequest, its
// parameters extracted as the decoders do, and the detectors run on it. It
// is a tuning aid, skipped unless TIER1_EVAL is set (to an output file for
// the misses and false positives, or to 1); the figures of record come from
// testdata/eval/run.sh on real traffic. TIER1_EVAL_PLACEMENTS picks
// placements (default query,path,json,header,cookie); TIER1_EVAL_BENIGN adds
// a file of benign values, one per line, counted apart as FP-extra;
// TIER1_EVAL_CORPUS replaces the corpus (testdata/eval/extra-attacks.sh).
// Attacks are also counted per source without its last field
// ("source/sqlmap:time:none").
func TestEvalCorpus(t *testing.T) {
	out := os.Getenv("TIER1_EVAL")
	if out == "" {
		t.Skip("TIER1_EVAL not set")
	}
	corpus := "../../../testdata/eval/corpus.jsonl"
	if c := os.Getenv("TIER1_EVAL_CORPUS"); c != "" {
		corpus = c
	}
	entries, err := evalkit.ReadCorpusFile(corpus)
	if err != nil {
		t.Fatal(err)
	}
	extra, err := extraBenign(os.Getenv("TIER1_EVAL_BENIGN"), len(entries))
	if err != nil {
		t.Fatal(err)
	}
	entries = append(entries, extra...)
	names := append([]string{"injection"}, tier1.Names()...)
	ds, err := detect.New(names, detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	pls := "query,path,json,header,cookie"
	if s := os.Getenv("TIER1_EVAL_PLACEMENTS"); s != "" {
		pls = s
	}
	placements, err := evalkit.ParsePlacements(pls)
	if err != nil {
		t.Fatal(err)
	}
	type cell struct{ hit, n int }
	cells := map[string]*cell{}
	bump := func(k string, hit bool) {
		c := cells[k]
		if c == nil {
			c = &cell{}
			cells[k] = c
		}
		c.n++
		if hit {
			c.hit++
		}
	}
	var log strings.Builder
	missBySrc := map[string]int{}
	for _, pl := range placements {
		for _, e := range entries {
			if !evalkit.Applicable(pl, e.Payload) {
				continue
			}
			x, err := evalExchange(pl, e.ID, e.Payload)
			if err != nil {
				t.Fatal(err)
			}
			var as []*alert.Alert
			for _, d := range ds {
				as = d.Inspect(x, as)
			}
			hit := len(as) > 0
			bump(e.Class+"/"+string(pl), hit)
			bump(e.Class+"/all", hit)
			if e.Attack() {
				// The source without its last field: "crs:942100/3"
				// counts under "crs", "sqlmap:time:none:55/5" under
				// "sqlmap:time:none".
				g, _, _ := strings.Cut(e.Source, ":")
				if i := strings.LastIndexByte(e.Source, ':'); i > len(g) {
					g = e.Source[:i]
				}
				bump("source/"+g, hit)
			}
			if !e.Attack() {
				if e.Source == "extra" {
					bump("FP-extra/"+string(pl), hit)
				} else {
					bump("FP/"+string(pl), hit)
				}
			}
			if e.Attack() && !hit {
				src, _, _ := strings.Cut(e.Source, "/")
				missBySrc[src]++
				fmt.Fprintf(&log, "MISS %s %s %s %q\n", pl, e.Class, e.Source, trunc(e.Payload))
			}
			if !e.Attack() && hit {
				var rules []string
				for _, a := range as {
					rules = append(rules, a.Detector+"/"+a.Evidence[0].Rule+" "+a.Evidence[0].Matched)
				}
				fmt.Fprintf(&log, "FP %s %s %q %v\n", pl, e.Source, trunc(e.Payload), rules)
			}
		}
	}
	keys := make([]string, 0, len(cells))
	for k := range cells {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sum strings.Builder
	for _, k := range keys {
		c := cells[k]
		fmt.Fprintf(&sum, "%-22s %6.1f%% (%d/%d)\n", k, 100*float64(c.hit)/float64(c.n), c.hit, c.n)
	}
	srcs := make([]string, 0, len(missBySrc))
	for s := range missBySrc {
		srcs = append(srcs, s)
	}
	sort.Slice(srcs, func(i, j int) bool { return missBySrc[srcs[i]] > missBySrc[srcs[j]] })
	for i, s := range srcs {
		if i == 40 {
			break
		}
		fmt.Fprintf(&sum, "miss %s %d\n", s, missBySrc[s])
	}
	t.Log("\n" + sum.String())
	if out != "1" {
		if err := os.WriteFile(out, []byte(sum.String()+log.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// extraBenign reads the benign values of TIER1_EVAL_BENIGN (a file, one
// value per line; unset: none), a second opinion on false positives from text
// the corpus was not tuned on, such as documentation prose quoting code.
func extraBenign(path string, firstID int) ([]evalkit.Entry, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var es []evalkit.Entry
	for i, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		es = append(es, evalkit.Entry{ID: firstID + 1 + i, Class: "benign-extra", Label: "benign", Source: "extra", Payload: line})
	}
	return es, nil
}

func trunc(s string) string {
	if len(s) > 160 {
		return s[:160]
	}
	return s
}

// evalExchange builds the exchange of payload in placement pl, with its
// parameters extracted as the pipeline does.
func evalExchange(pl evalkit.Placement, id int, payload string) (*decoders.Exchange, error) {
	x := &decoders.Exchange{Proto: "http/1.1"}
	if pl == evalkit.Protobuf {
		x.Request = &decoders.Message{Method: "POST", Path: "/eval.v1.Search/Query", URI: "/eval.v1.Search/Query"}
		x.Params = []decoders.Param{{Loc: decoders.LocProtobuf, Name: "1", Value: payload}}
		return x, nil
	}
	if pl == evalkit.WebSocket {
		// As decoders/websocket gives a client message.
		x.Proto = "websocket"
		x.Request = &decoders.Message{Method: "WEBSOCKET", URI: evalkit.WebSocketPath, Version: "websocket",
			Headers: []decoders.Header{{Name: "Host", Value: "127.0.0.1"}}, Body: evalkit.WebSocketMessage(id, payload)}
		decoders.ExtractParams(x, nil)
		return x, nil
	}
	req, err := evalkit.NewRequest(context.Background(), pl, "http://127.0.0.1:1", id, payload)
	if err != nil {
		return nil, err
	}
	m := &decoders.Message{Method: req.Method, URI: req.URL.RequestURI(), Path: req.URL.EscapedPath(), Query: req.URL.RawQuery, Version: "HTTP/1.1"}
	m.Headers = append(m.Headers, decoders.Header{Name: "Host", Value: "127.0.0.1"})
	for k, vs := range req.Header {
		for _, v := range vs {
			m.Headers = append(m.Headers, decoders.Header{Name: http.CanonicalHeaderKey(k), Value: v})
		}
	}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		m.Body = b
	}
	x.Request = m
	decoders.ExtractParams(x, nil)
	return x, nil
}
