package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/apisensor/sensor/pipeline/detect"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline/publish"
	_ "github.com/apisensor/sensor/pipeline/publish/jsonl"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// captures returns the shared testdata captures; a missing directory fails.
func captures(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.pcap.gz"} {
		m, err := filepath.Glob(filepath.Join("..", "testdata", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	slices.Sort(files)
	if len(files) == 0 {
		t.Fatal("no captures in ../testdata")
	}
	return files
}

// replay runs the pipeline over files and returns the sorted alert lines,
// the sorted exchange lines and the report.
func replay(t *testing.T, cfg Config, files ...string) (alerts, exchanges []string, rep *Report) {
	t.Helper()
	var alertBuf, exBuf bytes.Buffer
	pub, err := publish.New("jsonl", publish.Config{JSONL: publish.JSONL{Writer: &alertBuf}})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rep, err = Replay(context.Background(), cfg, files, nil, Outputs{Alerts: pub, Exchanges: &exBuf}, log, nil)
	if err != nil {
		t.Fatalf("replay %v: %v", files, err)
	}
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	return sortedLines(alertBuf.String()), sortedLines(exBuf.String()), rep
}

func sortedLines(s string) []string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) == 1 && lines[0] == "" {
		return nil
	}
	slices.Sort(lines)
	return lines
}

func testConfig(workers int) Config {
	cfg := DefaultConfig()
	cfg.Workers = workers
	return cfg
}

// TestGolden replays every testdata capture and compares alerts and
// exchanges (sorted: workers interleave their output) with the golden files
// under testdata/golden, rewritten with -update.
func TestGolden(t *testing.T) {
	for _, file := range captures(t) {
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			alerts, exchanges, _ := replay(t, testConfig(2), file)
			golden(t, filepath.Join("testdata", "golden", name+".alerts.json"), alerts)
			golden(t, filepath.Join("testdata", "golden", name+".exchanges.json"), exchanges)
		})
	}
}

func golden(t *testing.T, path string, lines []string) {
	t.Helper()
	got := strings.Join(lines, "\n")
	if len(lines) > 0 {
		got += "\n"
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run go test ./pipeline -update)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\n got: %s\nwant: %s\n(run go test ./pipeline -update if the change is intended)", path, i+1, g, w)
			}
		}
	}
}

// TestWorkersAgree checks that sharding does not change the result: one
// worker and three give the same alerts, ids included.
func TestWorkersAgree(t *testing.T) {
	files := captures(t)
	one, _, r1 := replay(t, testConfig(1), files...)
	three, _, r3 := replay(t, testConfig(3), files...)
	if !slices.Equal(one, three) {
		t.Errorf("alerts differ between 1 and 3 workers: %d vs %d lines", len(one), len(three))
		for i := range min(len(one), len(three)) {
			if one[i] != three[i] {
				t.Logf("1: %s\n3: %s", one[i], three[i])
				break
			}
		}
	}
	if r1.Exchanges != r3.Exchanges || r1.Connections != r3.Connections {
		t.Errorf("1 worker: %d connections %d exchanges; 3 workers: %d, %d", r1.Connections, r1.Exchanges, r3.Connections, r3.Exchanges)
	}
}

// TestReplayVXLANTenants: two mirrored VPCs, one VNI each, reuse the same
// addresses, ports and sequence numbers (testdata/vxlan-tenants.pcap). Each
// tenant's exchange is rebuilt whole, with its own VNI, and the SQL injection
// is alerted in tenant 1001 only. With the tunnel left out of the flow key the
// two are one connection: the second tenant's bytes are taken for a
// retransmission with other data, and its request is lost.
func TestReplayVXLANTenants(t *testing.T) {
	file := filepath.Join("..", "testdata", "vxlan-tenants.pcap")
	type exchange struct {
		Flow struct {
			Tunnels []struct {
				Kind string `json:"kind"`
				ID   uint32 `json:"id"`
			} `json:"tunnels"`
			Zone string `json:"zone"`
		} `json:"flow"`
		Request struct {
			URI string `json:"uri"`
		} `json:"request"`
		Response struct {
			Status int `json:"status"`
		} `json:"response"`
	}
	uris := func(lines []string, zoned bool) map[string]uint32 {
		t.Helper()
		got := map[string]uint32{}
		for _, l := range lines {
			var x exchange
			if err := json.Unmarshal([]byte(l), &x); err != nil {
				t.Fatal(err)
			}
			if len(x.Flow.Tunnels) != 1 || x.Flow.Tunnels[0].Kind != "vxlan" || x.Response.Status != 200 ||
				zoned != (x.Flow.Zone == fmt.Sprintf("vxlan:%d", x.Flow.Tunnels[0].ID)) || !zoned && x.Flow.Zone != "" {
				t.Errorf("exchange %s", l)
				continue
			}
			got[x.Request.URI] = x.Flow.Tunnels[0].ID
		}
		return got
	}

	alerts, exchanges, rep := replay(t, testConfig(2), file)
	want := map[string]uint32{"/search?q=1%27%20OR%20%271%27%3D%271": 1001, "/api/users/42": 1002}
	if got := uris(exchanges, true); !maps.Equal(got, want) {
		t.Errorf("exchanges (URI → VNI) %v, want %v", got, want)
	}
	if len(alerts) != 1 || !strings.Contains(alerts[0], `"tunnels":[{"kind":"vxlan","id":1001}],"zone":"vxlan:1001"`) {
		t.Errorf("alerts: want one, in VNI 1001:\n%s", strings.Join(alerts, "\n"))
	}
	if n := rep.Anomalies["tcp.overlap_different_data"]; n != 0 {
		t.Errorf("tcp.overlap_different_data = %d", n)
	}

	cfg := testConfig(2)
	cfg.TCP.TunnelInFlowKey = false
	_, exchanges, rep = replay(t, cfg, file)
	if got := uris(exchanges, false); len(got) != 1 {
		t.Errorf("tunnel not in the key: exchanges %v, want one (the connections merge)", got)
	}
	if rep.Anomalies["tcp.overlap_different_data"] == 0 {
		t.Errorf("tunnel not in the key: no tcp.overlap_different_data (anomalies %v)", rep.Anomalies)
	}
}

// TestReplayExceptions: an operator's exception drops, end to end, the
// alerts of the rule it names on the endpoint and parameter it names, and
// the report counts them; the others stay.
func TestReplayExceptions(t *testing.T) {
	file := filepath.Join("..", "testdata", "http-curl.pcap")
	base, _, _ := replay(t, testConfig(2), file)
	cfg := testConfig(2)
	// Both SQL rules: the second would otherwise raise its own alert.
	cfg.Detect.Exceptions = []detect.Exception{{Rules: []string{"sqli", "sql-signature"}, Paths: []string{"/api/search"}, Params: []string{"q"}, Locations: []string{"query"}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	got, _, rep := replay(t, cfg, file)
	var want []string
	for _, l := range base {
		if !(strings.Contains(l, `"rule_id":"sqli"`) && strings.Contains(l, `"url":"/api/search?`)) {
			want = append(want, l)
		}
	}
	if len(want) == len(base) {
		t.Fatal("the capture has no SQL injection in /api/search's q to except")
	}
	if !slices.Equal(got, want) {
		t.Errorf("alerts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Each dropped attack had an injection and an sqlsig alert.
	for _, det := range []string{"injection", "sqlsig"} {
		if n := rep.Counters[CountExcepted+"."+det]; n != uint64(len(base)-len(want)) {
			t.Errorf("counted %d %s alerts excepted, want %d (counters %v)", n, det, len(base)-len(want), rep.Counters)
		}
	}
}

// TestReplayExceptionSources: an exception for a scanner's address drops
// its behavioural alert, every revision, counted under behave, and nothing
// else; one for other addresses drops nothing. (Per-exchange alerts by
// source: TestExceptSources.)
func TestReplayExceptionSources(t *testing.T) {
	file := filepath.Join("..", "testdata", "bots-scanner.pcap")
	base, _, _ := replay(t, testConfig(2), file)
	var want []string
	behave := 0
	for _, l := range base {
		if strings.Contains(l, `"detector":"behave"`) {
			behave++
		} else {
			want = append(want, l)
		}
	}
	if behave == 0 {
		t.Fatal("the capture has no behavioural alert to except")
	}
	for _, tc := range []struct {
		src     string
		want    []string
		dropped int
	}{{"10.98.0.0/28", want, behave}, {"10.98.0.16/28", base, 0}} {
		cfg := testConfig(2)
		cfg.Detect.Exceptions = []detect.Exception{{Rules: []string{"behave"}, Sources: []string{tc.src}}}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		got, _, rep := replay(t, cfg, file)
		if !slices.Equal(got, tc.want) {
			t.Errorf("sources %s: alerts:\n%s\nwant:\n%s", tc.src, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
		if c := rep.Counters[CountExcepted+".behave"]; c != uint64(tc.dropped) {
			t.Errorf("sources %s: counted %d behavioural alerts excepted, want %d", tc.src, c, tc.dropped)
		}
	}
}
