package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func runSensor(t *testing.T, stdin []byte, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, bytes.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestReplayAlertsOnStdout(t *testing.T) {
	code, out, errs := runSensor(t, nil, "replay", "../../testdata/http-curl.pcap")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 6 {
		t.Fatalf("got %d alert lines, want 6:\n%s", len(lines), out)
	}
	rules := map[string]int{}
	for _, l := range lines {
		var a struct {
			RuleID string `json:"rule_id"`
			Flow   struct {
				CommunityID string `json:"community_id"`
			}
			Source struct{ File string }
		}
		if err := json.Unmarshal([]byte(l), &a); err != nil {
			t.Fatalf("alert is not JSON: %v: %s", err, l)
		}
		if a.Flow.CommunityID == "" || a.Source.File == "" {
			t.Errorf("alert lacks community_id or source file: %s", l)
		}
		rules[a.RuleID]++
	}
	if rules["sqli"] != 4 || rules["xss"] != 2 {
		t.Errorf("rules = %v, want 4 sqli and 2 xss", rules)
	}
	if !strings.Contains(errs, "23 exchanges, 6 alerts") {
		t.Errorf("run report missing or wrong:\n%s", errs)
	}
}

func TestReplayExchangesFromStdin(t *testing.T) {
	pcap, err := os.ReadFile("../../testdata/http-hey.pcapng")
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := runSensor(t, pcap, "replay", "--quiet", "--exchanges", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if n := strings.Count(out, "\n"); n != 220 {
		t.Errorf("got %d exchanges, want 220", n)
	}
	if errs != "" {
		t.Errorf("--quiet printed: %s", errs)
	}
}

func TestReplayDamagedFile(t *testing.T) {
	stats := filepath.Join(t.TempDir(), "stats.json")
	code, out, errs := runSensor(t, nil, "replay", "--stats-json", stats, "../../testdata/corrupt.pcap", "../../testdata/http-curl.pcap")
	if code != 1 {
		t.Errorf("exit %d, want 1 for a corrupt file", code)
	}
	if !strings.Contains(errs, "error: ../../testdata/corrupt.pcap: at byte offset 1311 (after frame 8)") {
		t.Errorf("stderr does not name the damaged file and offset:\n%s", errs)
	}
	// One alert from before the damage, six from the next file.
	if n := strings.Count(out, "\n"); n != 7 {
		t.Errorf("got %d alerts, want 7:\n%s", n, out)
	}
	b, err := os.ReadFile(stats)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Files  int
		Errors []string
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Files != 2 || len(rep.Errors) != 1 {
		t.Errorf("stats: %s", b)
	}
}

func TestReplayTruncatedFileWarns(t *testing.T) {
	code, out, errs := runSensor(t, nil, "replay", "../../testdata/truncated.pcap")
	if code != 0 {
		t.Errorf("exit %d, want 0: a truncated last record is a warning", code)
	}
	if !strings.Contains(errs, "warning: ../../testdata/truncated.pcap: at byte offset 2058 (after frame 15): truncated packet record") {
		t.Errorf("no warning:\n%s", errs)
	}
	if strings.Count(out, "\n") != 1 {
		t.Errorf("want the one alert read before the cut:\n%s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{}, {"nope"}, {"replay"}, {"replay", "--workers", "-1", "x.pcap"}} {
		if code, _, _ := runSensor(t, nil, args...); code == 0 {
			t.Errorf("%v: exit 0", args)
		}
	}
}

// TestReplayGRPCInjection: an injection inside a protobuf string field of a
// gRPC call is caught like one in a query string, with the field path as the
// evidence name, or the field names when a descriptor set is given.
func TestReplayGRPCInjection(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"sqli GetUser 2", "sqli UploadUsers [1].2", "xss UploadUsers [1].4.1", "sqli Chat [1].3", "xss Chat [1].4.1"}},
		{[]string{"--proto-descriptors", "../../testdata/grpcdemo/demo.pb"},
			[]string{"sqli GetUser fields", "sqli UploadUsers [1].name", "xss UploadUsers [1].address.street", "sqli Chat [1].text", "xss Chat [1].location.street"}},
	} {
		args := append(append([]string{"replay", "--quiet"}, tc.args...), "../../testdata/grpc-injection.pcap")
		code, out, errs := runSensor(t, nil, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var a struct {
				RuleID   string `json:"rule_id"`
				Grpc     struct{ Method string }
				Evidence []struct{ Location, Name string }
			}
			if err := json.Unmarshal([]byte(l), &a); err != nil {
				t.Fatal(err)
			}
			if len(a.Evidence) == 0 || a.Evidence[0].Location != "protobuf" {
				t.Errorf("evidence not in a protobuf field: %s", l)
				continue
			}
			got = append(got, a.RuleID+" "+a.Grpc.Method+" "+a.Evidence[0].Name)
		}
		slices.Sort(got)
		slices.Sort(tc.want)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: alerts %q, want %q", tc.args, got, tc.want)
		}
	}
}
