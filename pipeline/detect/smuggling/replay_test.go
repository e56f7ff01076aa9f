package smuggling_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders/http1"
	"github.com/apisensor/sensor/pipeline"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/alert/alerttest"
	"github.com/apisensor/sensor/pipeline/detect/smuggling"
)

// replayOnly replays file with this detector alone, one worker, and
// returns what it raised (other stages, behaviour, raise their own
// whatever the detector list).
func replayOnly(t *testing.T, file string) []*alert.Alert {
	t.Helper()
	cfg := pipeline.DefaultConfig()
	cfg.Workers = 1
	cfg.Detectors = []string{smuggling.Name}
	c := alerttest.Collector{Keep: func(a *alert.Alert) bool { return a.Detector == smuggling.Name }}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := pipeline.Replay(context.Background(), cfg, []string{file}, nil, pipeline.Outputs{Alerts: &c}, log, nil); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return c.Alerts()
}

// TestReplayGoNet replays the generated capture with a CL.TE request, its
// smuggled "GGET", a request with two Content-Length values and one with
// bare LF line endings (testdata/README.md, http-gonet.pcap.gz), with only
// this detector on.
func TestReplayGoNet(t *testing.T) {
	as := replayOnly(t, "../../../testdata/http-gonet.pcap.gz")
	type want struct {
		method, first string
		sev           alert.Severity
		outcome       alert.Outcome
	}
	wants := map[string]want{
		"POST /api/echo 200":    {"POST", "http1.content_length_with_transfer_encoding", alert.Severity_SEVERITY_HIGH, alert.Outcome_OUTCOME_ATTEMPTED},
		"GGET /api/users/1 405": {"GGET", smuggling.KindPrefixedMethod, alert.Severity_SEVERITY_MEDIUM, alert.Outcome_OUTCOME_ATTEMPTED},
		"POST /api/echo 400":    {"POST", "http1.conflicting_content_length", alert.Severity_SEVERITY_HIGH, alert.Outcome_OUTCOME_BLOCKED},
		"GET /api/users/4 200":  {"GET", "http1.bare_lf", alert.Severity_SEVERITY_LOW, alert.Outcome_OUTCOME_ATTEMPTED},
		"GET /api/users/3 200":  {"GET", "http1.obs_fold", alert.Severity_SEVERITY_LOW, alert.Outcome_OUTCOME_ATTEMPTED},
	}
	var got []string
	for _, a := range as {
		key := a.Http.Method + " " + a.Http.Url + " " + strconv.FormatUint(uint64(a.Http.Status), 10)
		got = append(got, key)
		w, ok := wants[key]
		if !ok {
			t.Errorf("unexpected alert on %s: %s", key, a.Summary)
			continue
		}
		if a.Evidence[0].Rule != w.first || a.Severity != w.sev || a.Outcome != w.outcome || a.Category != "http-request-smuggling" {
			t.Errorf("%s: evidence %v severity %v outcome %v", key, a.Evidence, a.Severity, a.Outcome)
		}
	}
	for k := range wants {
		if !slices.Contains(got, k) {
			t.Errorf("no alert on %s (got %v)", k, got)
		}
	}
}

// TestReplaySmuggling replays testdata/smuggling.pcap (testdata/gencaps):
// a CL.0 desync (a POST whose body is a whole request, answered twice), a
// request after a refused WebSocket upgrade, two Host lines and an
// absolute-form target naming another host. The POST raises the request in
// its body, the second response the desync itself, shown to have happened.
func TestReplaySmuggling(t *testing.T) {
	as := replayOnly(t, "../../../testdata/smuggling.pcap")
	type want struct {
		rule    string // the first evidence's
		sev     alert.Severity
		outcome alert.Outcome
	}
	wants := map[string]want{
		"POST /static/app.css 200":            {smuggling.KindRequestInBody, alert.Severity_SEVERITY_HIGH, alert.Outcome_OUTCOME_ATTEMPTED},
		" 200":                                {"http-response-without-request", alert.Severity_SEVERITY_CRITICAL, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL},
		"GET /actuator/env 200":               {http1.KindRequestAfterRefusedUpgrade, alert.Severity_SEVERITY_MEDIUM, alert.Outcome_OUTCOME_ATTEMPTED},
		"GET /account 200":                    {http1.KindDuplicateHost, alert.Severity_SEVERITY_MEDIUM, alert.Outcome_OUTCOME_ATTEMPTED},
		"GET http://admin.internal/users 200": {smuggling.KindAbsoluteHost, alert.Severity_SEVERITY_MEDIUM, alert.Outcome_OUTCOME_ATTEMPTED},
	}
	var got []string
	for _, a := range as {
		key := a.Http.GetMethod() + " " + a.Http.GetUrl() + " " + strconv.FormatUint(uint64(a.Http.GetStatus()), 10)
		if a.Http.GetMethod() == "" {
			key = " " + strconv.FormatUint(uint64(a.Http.GetStatus()), 10)
		}
		got = append(got, key)
		w, ok := wants[key]
		if !ok {
			t.Errorf("unexpected alert on %s: %s", key, a.Summary)
			continue
		}
		if a.Evidence[0].Rule != w.rule || a.Severity != w.sev || a.Outcome != w.outcome || a.Flow.GetAppProto() != "http" {
			t.Errorf("%s: evidence %v severity %v outcome %v app %q", key, a.Evidence, a.Severity, a.Outcome, a.Flow.GetAppProto())
		}
	}
	for k := range wants {
		if !slices.Contains(got, k) {
			t.Errorf("no alert on %q (got %q)", k, got)
		}
	}
}

// TestReplayOtherCaptures replays every other shared capture (ordinary
// HTTP/1, HTTP/2, h2c upgrades, gRPC, tunnels, damaged files): none holds
// a smuggling attempt, so none raises an alert, but overlap-diff.pcap, whose
// client retransmits bytes with different data: one TCP desync alert.
func TestReplayOtherCaptures(t *testing.T) {
	var files []string
	for _, pat := range []string{"*.pcap", "*.pcapng", "*.pcap.gz"} {
		m, err := filepath.Glob(filepath.Join("..", "..", "..", "testdata", pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("only %d captures in testdata", len(files))
	}
	for _, f := range files {
		if strings.HasSuffix(f, "http-gonet.pcap.gz") || strings.HasSuffix(f, "smuggling.pcap") {
			continue
		}
		as := replayOnly(t, f)
		if filepath.Base(f) == "overlap-diff.pcap" {
			if len(as) != 1 || as[0].RuleId != "tcp-overlap-different-data" {
				t.Errorf("overlap-diff.pcap: %d alerts, want the TCP desync", len(as))
			}
			continue
		}
		for _, a := range as {
			t.Errorf("%s: %s %v", filepath.Base(f), a.Summary, a.Evidence)
		}
	}
}
