package behave

import (
	"bytes"
	"errors"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/pipeline/alert"
)

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run feeds events in order, then flushes.
func run(t testing.TB, cfg Config, evs []*alert.Event) []*alert.Alert {
	t.Helper()
	e := newEngine(t, cfg)
	var out []*alert.Alert
	for _, ev := range evs {
		out = e.Observe(ev, out)
	}
	return e.Flush(out)
}

// finals keeps the highest revision of each alert id.
func finals(as []*alert.Alert) map[string]*alert.Alert {
	m := map[string]*alert.Alert{}
	for _, a := range as {
		if old := m[a.Id]; old == nil || a.GetBehavior().GetRevision() > old.GetBehavior().GetRevision() {
			m[a.Id] = a
		}
	}
	return m
}

func ruleIDs(as []*alert.Alert) []string {
	var ids []string
	for _, a := range as {
		ids = append(ids, a.RuleId)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func TestScenarios(t *testing.T) {
	for _, sc := range append(scenarios(), extraScenarios()...) {
		t.Run(sc.name, func(t *testing.T) {
			as := run(t, DefaultConfig(), byTime(sc.events))
			if got := ruleIDs(as); !slices.Equal(got, sc.want) {
				for _, a := range as {
					t.Logf("%s rev %d: %s", a.RuleId, a.GetBehavior().GetRevision(), a.Summary)
				}
				t.Fatalf("rules %v, want %v", got, sc.want)
			}
			for _, a := range as {
				if a.Detector != Detector || a.Summary == "" || a.Behavior == nil || len(a.Owasp) == 0 || a.Id == "" {
					t.Errorf("incomplete alert: %v", a)
				}
			}
		})
	}
}

// TestExplains checks what the alerts say for the main scenarios.
func TestExplains(t *testing.T) {
	all := map[string][]*alert.Alert{}
	for _, sc := range append(scenarios(), extraScenarios()...) {
		all[sc.name] = slices.Collect(maps.Values(finals(run(t, DefaultConfig(), byTime(sc.events)))))
	}
	tests := []struct {
		scenario, rule, summary, key string
		count, distinct, rev         uint64
		owasp                        string
	}{
		{"stuffing", "credential-stuffing", "60 distinct usernames failed login at POST /api/login from 10.98.1.5 in 5m (threshold 20)", "ip:10.98.1.5", 60, 60, 2, "API2:2023"},
		{"distributed", "distributed-credential-stuffing", "80 distinct usernames failed login at POST /api/login from 10 clients in 5m", "endpoint:POST /api/login", 80, 80, 1, "API2:2023"},
		{"brute", "brute-force", "50 failed logins for one username (h:u-alice) with 50 distinct passwords from 2 clients in 10m", "user:h:u-alice", 50, 50, 2, "API2:2023"},
		{"enumeration", "enumeration", "600 distinct object ids answered 2xx at GET /api/users/{id} for subject mallory in 10m (100% of 600 requests 2xx; threshold 50 ids, 20% of them distinct), sequential walk of ids 1..600", "sub:mallory", 600, 600, 1, "API1:2023"},
		{"scanner", "scanner", "scanner at 10.98.5.5 in 5m: scanner User-Agent", "ip:10.98.5.5", 10, 10, 2, "API6:2023"},
		{"rate", "rate-abuse", "1000 requests to GET /api/search from 10.97.1.99 in 1m", "ip:10.97.1.99", 1000, 0, 1, "API4:2023"},
		{"token-sharing", "token-sharing", "one bearer token used from 6 addresses", "token:h:tok-bob", 12, 6, 2, "API2:2023"},
		{"unauth", "unauthenticated-access", "1 requests without credentials answered 2xx at GET /api/orders/{id} from 1 clients in 10m", "endpoint:GET /api/orders/{id}", 1, 1, 1, "API1:2023"},
		{"low-and-slow", "enumeration", "800 distinct object ids answered 2xx at GET /api/accounts/{id} for subject slowpoke in 24h (100% of 800 requests 2xx; threshold 500 ids, 20% of them distinct), sequential walk of ids 1..800", "sub:slowpoke", 800, 800, 1, "API1:2023"},
		{"regular", "regular-intervals", "120 requests from 10.97.3.5 at regular intervals (every 2s", "ip:10.97.3.5", 120, 6, 1, "API6:2023"},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			var a *alert.Alert
			for _, x := range all[tt.scenario] {
				if x.RuleId == tt.rule {
					a = x
				}
			}
			if a == nil {
				t.Fatalf("no %s alert", tt.rule)
			}
			b := a.Behavior
			if !strings.HasPrefix(a.Summary, tt.summary) || b.Key != tt.key || b.Count != tt.count || b.Distinct != tt.distinct ||
				uint64(b.Revision) != tt.rev || !slices.Contains(a.Owasp, tt.owasp) {
				t.Errorf("got summary %q key %q count %d distinct %d rev %d owasp %v", a.Summary, b.Key, b.Count, b.Distinct, b.Revision, a.Owasp)
			}
			if len(b.Examples) == 0 && tt.rule != "rate-abuse" {
				t.Errorf("no examples")
			}
			if b.WindowStart == nil || b.WindowEnd == nil || b.FirstSeen == nil || b.LastSeen == nil || a.Client == nil || a.Http == nil {
				t.Errorf("window or anchor facts missing: %v", b)
			}
		})
	}
}

// TestDeterministic replays every scenario at once in time order and in
// orders a multi-worker pipeline could produce (events late by up to 20 s),
// with one shard or many: the final revision of every alert, and the
// revisions raised, are the same.
func TestDeterministic(t *testing.T) {
	var evs []*alert.Event
	for _, sc := range append(scenarios(), extraScenarios()...) {
		evs = append(evs, sc.events...)
	}
	want := run(t, DefaultConfig(), byTime(evs))
	wantFinal := finals(want)
	if len(wantFinal) < 10 {
		t.Fatalf("only %d alerts", len(wantFinal))
	}
	for i, shards := range []int{1, 3, 16} {
		cfg := DefaultConfig()
		cfg.Shards = shards
		got := run(t, cfg, interleave(evs, uint64(i+10), 20*time.Second))
		if len(got) != len(want) {
			t.Errorf("shards %d: %d alerts (revisions), want %d", shards, len(got), len(want))
		}
		gotFinal := finals(got)
		for id, w := range wantFinal {
			g := gotFinal[id]
			if g == nil {
				t.Errorf("shards %d: missing %s %s", shards, w.RuleId, w.Summary)
				continue
			}
			if !proto.Equal(g, w) {
				t.Errorf("shards %d: %s differs:\n got %v\nwant %v", shards, w.RuleId, g, w)
			}
		}
		if len(gotFinal) != len(wantFinal) {
			t.Errorf("shards %d: %d alert ids, want %d", shards, len(gotFinal), len(wantFinal))
		}
	}
}

// TestRevisions checks the alert lifecycle: revision 1 at the crossing
// with the counts then, revision 2 at window close with the final counts,
// the same id for both.
func TestRevisions(t *testing.T) {
	sc := scenarios()[0] // stuffing
	e := newEngine(t, DefaultConfig())
	var early []*alert.Alert
	for _, ev := range byTime(sc.events) {
		early = e.Observe(ev, early)
	}
	if len(early) != 1 || early[0].Behavior.Revision != 1 || early[0].Behavior.Distinct != 20 {
		t.Fatalf("before the window closed: %v", early)
	}
	final := e.Flush(nil)
	if len(final) != 1 || final[0].Id != early[0].Id || final[0].Behavior.Revision != 2 || final[0].Behavior.Distinct != 60 {
		t.Fatalf("at close: %v", final)
	}
	// A later event past the window's close closes it as Flush does.
	e = newEngine(t, DefaultConfig())
	var got []*alert.Alert
	for _, ev := range byTime(sc.events) {
		got = e.Observe(ev, got)
	}
	got = e.Observe(ev(t0.Add(7*time.Minute), "10.1.1.1", "GET", "/x", 200), got)
	if len(got) != 2 || got[1].Behavior.Revision != 2 {
		t.Fatalf("after the watermark passed the close: %d alerts", len(got))
	}
	// Late events for the closed window are counted, not used.
	got = e.Observe(ev(t0.Add(time.Minute), "10.98.1.5", "POST", "/api/login", 401, login("late", "x", false)), nil)
	if len(got) != 0 || e.Stats()[CountLate] == 0 {
		t.Fatalf("late event: %d alerts, stats %v", len(got), e.Stats())
	}
}

func TestAllowLists(t *testing.T) {
	sc := scenarios()
	stuffing, scanner := sc[0], sc[4]
	tests := []struct {
		name  string
		allow Allow
		evs   []*alert.Event
	}{
		{"cidr", Allow{CIDRs: []string{"10.98.1.0/24"}}, stuffing.events},
		{"address", Allow{CIDRs: []string{"10.98.5.5"}}, scanner.events},
		{"agent", Allow{Agents: []AllowAgent{{UserAgent: "sqlmap/"}}}, scanner.events},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Allow = tt.allow
			if as := run(t, cfg, byTime(tt.evs)); len(as) != 0 {
				t.Errorf("allow-listed client raised %v", ruleIDs(as))
			}
		})
	}
	// An agent allowed only with its fingerprint is not allowed without.
	cfg := DefaultConfig()
	cfg.Allow = Allow{Agents: []AllowAgent{{UserAgent: "sqlmap/", Fingerprint: "t13d0000h2_x_y"}}}
	if as := run(t, cfg, byTime(scanner.events)); len(as) == 0 {
		t.Error("agent allowed without its fingerprint")
	}
	// An allow-listed API key: a rate burst is not judged.
	rate := extraScenarios()[0]
	var evs []*alert.Event
	for _, e := range rate.events {
		e = proto.CloneOf(e)
		if e.Client.Ip == "10.97.1.99" {
			e.Client.ApiKey = "h:batch"
		}
		evs = append(evs, e)
	}
	cfg = DefaultConfig()
	cfg.Allow = Allow{APIKeys: []string{"h:batch"}}
	if as := run(t, cfg, byTime(evs)); len(as) != 0 {
		t.Errorf("allow-listed key raised %v", ruleIDs(as))
	}
}

// TestWebSocketMessages: the rate burst's events, as messages on a
// WebSocket, are no requests: nothing is raised, and they count as skipped.
func TestWebSocketMessages(t *testing.T) {
	rate := extraScenarios()[0]
	if as := run(t, DefaultConfig(), byTime(rate.events)); len(as) == 0 {
		t.Fatal("the rate scenario raised nothing as HTTP")
	}
	var evs []*alert.Event
	for _, e := range rate.events {
		e = proto.CloneOf(e)
		if e.Flow == nil {
			e.Flow = &alert.Flow{}
		}
		e.Flow.AppProto = "websocket"
		evs = append(evs, e)
	}
	e := newEngine(t, DefaultConfig())
	var out []*alert.Alert
	for _, ev := range byTime(evs) {
		out = e.Observe(ev, out)
	}
	if out = e.Flush(out); len(out) != 0 || e.Stats()[CountSkipped] != uint64(len(evs)) {
		t.Errorf("raised %v, %d of %d skipped", ruleIDs(out), e.Stats()[CountSkipped], len(evs))
	}
}

// TestPartnerOwnBaseline: a client whose own steady rate is learned is
// judged against it, so its usual volume never alerts even on a quiet
// endpoint, and a burst of ten times its own rate does.
func TestPartnerOwnBaseline(t *testing.T) {
	var evs []*alert.Event
	// Ten windows: the partner sends 400/min, three others 3/min.
	for m := range 10 {
		n := 400
		if m == 9 {
			n = 4000 // the burst
		}
		for i := range n {
			at := t0.Add(time.Duration(m)*time.Minute + time.Duration(i)*time.Minute/time.Duration(n))
			evs = append(evs, ev(at, "10.96.0.5", "GET", "/api/sync", 200, apiKey("partner")))
		}
		for c := range 3 {
			for i := range 3 {
				at := t0.Add(time.Duration(m)*time.Minute + time.Duration(c*10+i*3)*time.Second)
				evs = append(evs, ev(at, "10.96.0."+strconv.Itoa(20+c), "GET", "/api/sync", 200))
			}
		}
	}
	as := run(t, DefaultConfig(), byTime(evs))
	var rate []*alert.Alert
	for _, a := range as {
		if a.RuleId == "rate-abuse" {
			rate = append(rate, a)
		}
	}
	// The first three windows teach the endpoint; windows 4-9 of the
	// partner are judged against its own rate (400): no alert until the
	// burst.
	if len(rate) != 1 || rate[0].Behavior.Count != 4000 || !strings.Contains(rate[0].Summary, "own baseline") {
		for _, a := range rate {
			t.Log(a.Summary)
		}
		t.Fatalf("%d rate alerts, want the burst only", len(rate))
	}
}

// TestBound feeds a million events from distinct addresses: the state
// stays within its bound, and evictions are counted.
func TestBound(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million events: run without -short and -race")
	}
	cfg := DefaultConfig()
	cfg.MaxKeys = 20_000
	e := newEngine(t, cfg)
	var out []*alert.Alert
	const n = 1_000_000
	ev := &alert.Event{Http: &alert.EventHttp{Method: "GET", PathTemplate: "/api/items/{id}", Status: 200}}
	for i := range n {
		// Fresh event and client each time: windows keep their earliest
		// event.
		x := &alert.Event{
			Id:        strconv.Itoa(i),
			Timestamp: timestamppb.New(t0.Add(time.Duration(i) * time.Millisecond)),
			Client:    &alert.Client{Ip: strconv.Itoa(i>>16&255) + "." + strconv.Itoa(i>>8&255) + "." + strconv.Itoa(i&255) + ".1"},
			Http:      ev.Http,
			ObjectIds: []string{strconv.Itoa(i % 100)},
		}
		out = e.Observe(x, out[:0])
		if i%100_000 == 0 && e.Tracked() > e.Bound() {
			t.Fatalf("after %d events: %d tracked, bound %d", i, e.Tracked(), e.Bound())
		}
	}
	st := e.Stats()
	if e.Tracked() > e.Bound() || st[CountTracked] > uint64(e.Bound()) {
		t.Fatalf("%d tracked, bound %d", e.Tracked(), e.Bound())
	}
	if st[CountEvicted] < n-uint64(e.Bound()) {
		t.Fatalf("evicted %d, want at least %d", st[CountEvicted], n-e.Bound())
	}
	e.qmu.Lock()
	q := len(e.q)
	e.qmu.Unlock()
	if q > e.Bound()*cfg.MaxWindowsPerKey {
		t.Fatalf("close queue holds %d windows", q)
	}
	t.Logf("tracked %d, evicted %d, queued %d", e.Tracked(), st[CountEvicted], q)
}

func TestConfig(t *testing.T) {
	if err := (&Config{}).Validate(); err != nil {
		t.Fatalf("zero config: %v", err)
	}
	bad := []Config{
		{MaxKeys: -1},
		{Grace: -time.Second},
		{CredentialStuffing: CredentialStuffing{Window: time.Millisecond}},
		{DistributedStuffing: DistributedStuffing{MinFailureRatio: 1.5}},
		{Allow: Allow{CIDRs: []string{"10.0.0.0/33"}}},
		{Shards: 5000},
	}
	for _, c := range bad {
		if err := c.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err %v, want ErrConfig", c, err)
		}
	}
	if _, err := New(Config{MaxKeys: -1}); err == nil {
		t.Error("New accepted a bad config")
	}
	d := Config{}.WithDefaults()
	if d.MaxKeys != DefaultConfig().MaxKeys || d.Scanner.ProbePaths == nil {
		t.Errorf("WithDefaults: %+v", d)
	}
}

func TestHelpers(t *testing.T) {
	var ex examples
	for _, v := range []string{"d", "b", "a", "c", "b", "e", "f"} {
		ex.add(v, 3)
	}
	if !slices.Equal(ex, examples{"a", "b", "c"}) {
		t.Errorf("examples %v", ex)
	}
	var tm times
	for _, v := range []int64{5, 1, 9, 3, 7} {
		tm.add(v, 3)
	}
	if !slices.Equal(tm, times{1, 3, 5}) {
		t.Errorf("times %v", tm)
	}
	var s set
	for i := range 10 {
		s.add(uint64(i%7), 5)
	}
	if s.len() != 5 {
		t.Errorf("set len %d", s.len())
	}
	if mean, cv := intervals([]int64{0, 10, 20, 30}); mean != 10 || cv != 0 {
		t.Errorf("intervals %v %v", mean, cv)
	}
	for ua, want := range map[string]string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0":                                   "firefox",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15": "safari",
		"python-requests/2.32.3": "",
		"curl/8.5.0":             "",
	} {
		if got := browserFamily(ua); got != want {
			t.Errorf("browserFamily(%q) = %q, want %q", ua, got, want)
		}
	}
	if got := scriptOf(defaultScripts(), "t13d1516h2_8daaf6152771_02713d6af862", ""); got != "" {
		t.Errorf("chrome JA4 taken for %q", got)
	}
	if len(RuleIDs()) != 10 {
		t.Errorf("RuleIDs: %v", RuleIDs())
	}
}

func BenchmarkObserve(b *testing.B) {
	var evs []*alert.Event
	for _, sc := range append(scenarios(), extraScenarios()...) {
		evs = append(evs, sc.events...)
	}
	evs = byTime(evs)
	span := (unixNano(evs[len(evs)-1])-unixNano(evs[0]))/1e9 + 3600
	e := newEngine(b, DefaultConfig())
	var out []*alert.Alert
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		out = e.Observe(evs[i], out[:0])
		if i++; i == len(evs) {
			// Move every event on by the span, so that time goes on and
			// windows close as in a long capture.
			i = 0
			for _, x := range evs {
				x.Timestamp.Seconds += span
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
}

// TestExampleYAML keeps example.yaml (the section for the sensor's
// configuration file) equal to the defaults.
func TestExampleYAML(t *testing.T) {
	raw, err := os.ReadFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Behave Config `yaml:"behave"`
	}
	doc.Behave = DefaultConfig()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	// Compared as YAML, where an empty list and no list are alike.
	got, _ := yaml.Marshal(doc.Behave)
	want, _ := yaml.Marshal(DefaultConfig())
	if !bytes.Equal(got, want) {
		t.Errorf("example.yaml differs from the defaults:\n%s\nwant\n%s", got, want)
	}
}

// TestConcurrent feeds the scenarios from several goroutines at once, as
// an aggregator with parallel consumers would, in chunks of a few events
// (so that none is later than the grace period): no race, and the final
// alerts are those of one goroutine.
func TestConcurrent(t *testing.T) {
	var evs []*alert.Event
	for _, sc := range append(scenarios(), extraScenarios()...) {
		evs = append(evs, sc.events...)
	}
	evs = byTime(evs)
	want := finals(run(t, DefaultConfig(), evs))
	e := newEngine(t, DefaultConfig())
	const n = 4
	outs := make([][]*alert.Alert, n)
	for lo := 0; lo < len(evs); lo += 2 * n {
		chunk := evs[lo:min(lo+2*n, len(evs))]
		var wg sync.WaitGroup
		for g := range n {
			wg.Go(func() {
				for i := g; i < len(chunk); i += n {
					outs[g] = e.Observe(chunk[i], outs[g])
				}
			})
		}
		wg.Wait()
	}
	all := e.Flush(nil)
	for _, o := range outs {
		all = append(all, o...)
	}
	got := finals(all)
	if len(got) != len(want) {
		t.Errorf("%d alerts, want %d", len(got), len(want))
	}
	for id, w := range want {
		if !proto.Equal(got[id], w) {
			t.Errorf("%s differs:\n got %v\nwant %v", w.RuleId, got[id], w)
		}
	}
}

// TestClientZones: with ClientZones, two tenants (two VXLAN segments)
// whose address plans both hold 10.96.9.5, each failing logins with 12
// usernames, stay under the stuffing threshold of 20 each. A global
// address, or one a trusted proxy forwarded, is one client in every
// segment; without ClientZones every address is.
func TestClientZones(t *testing.T) {
	events := func(ip, peer string, zones int) []*alert.Event {
		r := rand.New(rand.NewPCG(5, 6))
		var evs []*alert.Event
		for i := range 24 {
			at := t0.Add(jitter(r, i, 24, 3*time.Minute, 0.8))
			e := ev(at, ip, "POST", "/api/login", 401, login("tenant-user"+strconv.Itoa(i), "Spring2025", false), zone("vxlan:"+strconv.Itoa(1001+i%zones)))
			e.Client.PeerIp = peer
			evs = append(evs, e)
		}
		return evs
	}
	zoned := DefaultConfig()
	zoned.ClientZones = true
	for _, tt := range []struct {
		name     string
		cfg      Config
		ip, peer string
		want     []string
	}{
		{"private peer, zones", zoned, "10.96.9.5", "", nil},
		{"private peer, no zones", DefaultConfig(), "10.96.9.5", "", []string{"credential-stuffing"}},
		{"global address", zoned, "198.51.100.7", "", []string{"credential-stuffing"}},
		{"forwarded by a proxy", zoned, "10.96.9.5", "10.96.0.2", []string{"credential-stuffing"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			as := run(t, tt.cfg, events(tt.ip, tt.peer, 2))
			if got := ruleIDs(as); !slices.Equal(got, tt.want) {
				t.Fatalf("rules %v, want %v", got, tt.want)
			}
			if tt.want == nil {
				return
			}
			if k := as[0].GetBehavior().GetKey(); strings.Contains(k, "%") {
				t.Errorf("key %q has a zone", k)
			}
		})
	}
	// A zoned client over the threshold in one segment: its key names
	// the zone.
	as := run(t, zoned, events("10.96.9.5", "", 1))
	if len(as) == 0 || as[0].GetBehavior().GetKey() != "ip:10.96.9.5%vxlan:1001" {
		t.Errorf("alerts %v", as)
	}
}
