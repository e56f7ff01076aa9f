package pipeline

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log/slog"
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
	}
	if r1.Exchanges != r3.Exchanges || r1.Connections != r3.Connections {
		t.Errorf("1 worker: %d connections %d exchanges; 3 workers: %d, %d", r1.Connections, r1.Exchanges, r3.Connections, r3.Exchanges)
	}
}
