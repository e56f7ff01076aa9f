package behave

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/pipeline/alert"
)

// Hand-built events for the scenarios the captures in testdata/bots-*.pcap
// hold, so that the rules are tested without the identity fields the
// event builder fills.

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

type evOpt func(*alert.Event)

var evSeq int

func ev(at time.Time, ip, method, path string, status uint32, opts ...evOpt) *alert.Event {
	evSeq++
	e := &alert.Event{
		Id:        fmt.Sprintf("ev-%08d", evSeq),
		Timestamp: timestamppb.New(at),
		Flow:      &alert.Flow{SrcIp: ip, SrcPort: 40000, DestIp: "10.98.0.2", DestPort: 8080, Proto: "TCP", AppProto: "http"},
		Client:    &alert.Client{Ip: ip, UserAgent: "Go-http-client/1.1"},
		Http:      &alert.EventHttp{Method: method, Host: "10.98.0.2:8080", PathTemplate: path, Status: status, Version: "HTTP/1.1"},
		Source:    &alert.Source{File: "scenario", Frames: []uint64{uint64(evSeq)}, FramesTotal: 1},
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

func login(user, pass string, ok bool) evOpt {
	return func(e *alert.Event) {
		out := alert.LoginOutcome_LOGIN_OUTCOME_FAILURE
		if ok {
			out = alert.LoginOutcome_LOGIN_OUTCOME_SUCCESS
		}
		e.Login = &alert.Login{Username: "h:u-" + user, Password: "p-" + pass, Outcome: out}
	}
}

func ids(v ...string) evOpt { return func(e *alert.Event) { e.ObjectIds = v } }

func bearer(subject, token string) evOpt {
	return func(e *alert.Event) {
		e.Client.Subject, e.Client.Token, e.Client.Auth = subject, "h:"+token, "bearer"
	}
}

func apiKey(k string) evOpt {
	return func(e *alert.Event) { e.Client.ApiKey, e.Client.Auth = "h:"+k, "api-key" }
}

func agent(ua string) evOpt { return func(e *alert.Event) { e.Client.UserAgent = ua } }

func h2fp(fp string) evOpt { return func(e *alert.Event) { e.Client.H2Fingerprint = fp } }

func zone(z string) evOpt { return func(e *alert.Event) { e.Flow.Zone = z } }

func ja4(fp string) evOpt { return func(e *alert.Event) { e.Client.Ja4 = fp } }

// jitter spreads n events over d with a deterministic jitter of up to
// frac of the step, as real clients do.
func jitter(r *rand.Rand, i, n int, d time.Duration, frac float64) time.Duration {
	step := d / time.Duration(n)
	return time.Duration(i)*step + time.Duration(frac*float64(step)*r.Float64())
}

type scenario struct {
	name   string
	events []*alert.Event
	want   []string // rule ids expected (sorted, distinct); nil for benign
}

func scenarios() []scenario {
	r := rand.New(rand.NewPCG(1, 2))
	var out []scenario
	add := func(name string, want []string, evs []*alert.Event) {
		out = append(out, scenario{name: name, events: evs, want: want})
	}

	// One address, 60 usernames, every login failing, over 3 minutes.
	var evs []*alert.Event
	for i := range 60 {
		at := t0.Add(jitter(r, i, 60, 3*time.Minute, 0.8))
		evs = append(evs, ev(at, "10.98.1.5", "POST", "/api/login", 401, login("user"+strconv.Itoa(i), "Summer2024!", false)))
	}
	add("stuffing", []string{"credential-stuffing"}, evs)

	// Ten addresses, 8 usernames each, over 4 minutes.
	evs = nil
	for c := range 10 {
		for i := range 8 {
			at := t0.Add(jitter(r, c*8+i, 80, 4*time.Minute, 0.9))
			ip := "10.98.2." + strconv.Itoa(10+c)
			evs = append(evs, ev(at, ip, "POST", "/api/login", 401, login("victim"+strconv.Itoa(c*8+i), "Winter2025", false)))
		}
	}
	add("distributed", []string{"distributed-credential-stuffing"}, evs)

	// One username, 50 passwords, from 2 addresses.
	evs = nil
	for i := range 50 {
		at := t0.Add(jitter(r, i, 50, 4*time.Minute, 0.8))
		evs = append(evs, ev(at, "10.98.3."+strconv.Itoa(5+i%2), "POST", "/api/login", 401, login("alice", "guess"+strconv.Itoa(i), false)))
	}
	add("brute", []string{"brute-force"}, evs)

	// A valid token walking /api/users/1..600.
	evs = nil
	for i := range 600 {
		at := t0.Add(jitter(r, i, 600, 5*time.Minute, 0.8))
		evs = append(evs, ev(at, "10.98.4.5", "GET", "/api/users/{id}", 200, ids(strconv.Itoa(i+1)), bearer("mallory", "tok-mallory")))
	}
	add("enumeration", []string{"enumeration"}, evs)

	// Probe paths with sqlmap's User-Agent.
	evs = nil
	probes := []string{"/.env", "/wp-admin/", "/.git/config", "/actuator/env", "/phpmyadmin/", "/server-status", "/admin", "/backup", "/api/v1/debug", "/console"}
	for i, p := range probes {
		at := t0.Add(time.Duration(i) * 700 * time.Millisecond)
		evs = append(evs, ev(at, "10.98.5.5", "GET", p, 404, agent("sqlmap/1.7.2#stable (https://sqlmap.org)")))
	}
	add("scanner", []string{"scanner"}, evs)

	// Benign: a monitoring bot polling /health every 10 s for 30 minutes.
	evs = nil
	for i := range 180 {
		at := t0.Add(time.Duration(i)*10*time.Second + time.Duration(r.IntN(20))*time.Millisecond)
		evs = append(evs, ev(at, "10.98.6.5", "GET", "/health", 200, agent("kube-probe/1.30")))
	}
	add("monitor", nil, evs)

	// Benign: a partner integration, 800 calls with one key over few ids
	// in 20 minutes.
	evs = nil
	for i := range 800 {
		at := t0.Add(jitter(r, i, 800, 20*time.Minute, 0.9))
		id := strconv.Itoa(1 + i%5)
		if i%2 == 0 {
			evs = append(evs, ev(at, "10.98.7.5", "GET", "/api/users/{id}", 200, ids(id), apiKey("partner")))
		} else {
			evs = append(evs, ev(at, "10.98.7.5", "GET", "/api/health", 200, apiKey("partner")))
		}
	}
	add("partner", nil, evs)

	// Benign: five people logging in, one or two failures first, then
	// browsing their own objects.
	evs = nil
	for u := range 5 {
		ip := "10.98.8." + strconv.Itoa(10+u)
		name := "person" + strconv.Itoa(u)
		at := t0.Add(time.Duration(u) * 47 * time.Second)
		for f := range 1 + u%2 {
			evs = append(evs, ev(at, ip, "POST", "/api/login", 401, login(name, "typo"+strconv.Itoa(f), false)))
			at = at.Add(time.Duration(3+r.IntN(5)) * time.Second)
		}
		evs = append(evs, ev(at, ip, "POST", "/api/login", 200, login(name, "right", true)))
		for i := range 12 {
			at = at.Add(time.Duration(2+r.IntN(20)) * time.Second)
			path, opt := "/api/users/{id}", ids(strconv.Itoa(100+u))
			if i%3 == 0 {
				path, opt = "/api/orders", ids()
			}
			evs = append(evs, ev(at, ip, "GET", path, 200, opt, bearer(name, "tok-"+name)))
		}
	}
	add("users", nil, evs)
	return out
}

// extraScenarios exercise the rules that have no capture.
func extraScenarios() []scenario {
	r := rand.New(rand.NewPCG(3, 4))
	var out []scenario
	add := func(name string, want []string, evs []*alert.Event) {
		out = append(out, scenario{name: name, events: evs, want: want})
	}

	// Rate abuse: five 1-minute windows of ten clients at ~5 requests
	// each teach the endpoint's baseline; then one client sends 1000.
	var evs []*alert.Event
	for m := range 5 {
		for c := range 10 {
			for i := range 5 {
				at := t0.Add(time.Duration(m)*time.Minute + time.Duration(c*6+i)*time.Second + time.Duration(r.IntN(900))*time.Millisecond)
				evs = append(evs, ev(at, "10.97.1."+strconv.Itoa(10+c), "GET", "/api/search", 200))
			}
		}
	}
	for i := range 1000 {
		at := t0.Add(5*time.Minute + time.Duration(i)*55*time.Millisecond + time.Duration(r.IntN(5))*time.Millisecond)
		evs = append(evs, ev(at, "10.97.1.99", "GET", "/api/search", 200))
	}
	add("rate", []string{"rate-abuse"}, evs)

	// Fingerprint mismatch: a Chrome User-Agent over Go's HTTP/2
	// settings; and one over an ALPN-less TLS hello.
	chrome := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	evs = []*alert.Event{
		ev(t0, "10.97.2.5", "GET", "/api/products", 200, agent(chrome), h2fp("2:0,4:4194304,6:10485760|1073741824|0|m,a,s,p")),
		ev(t0.Add(time.Second), "10.97.2.6", "GET", "/api/products", 200, agent(chrome), ja4("t13d1812h1_85036bcba153_b26ce05bbdd6")),
		// A real Chrome: quiet.
		ev(t0.Add(2*time.Second), "10.97.2.7", "GET", "/api/products", 200, agent(chrome),
			h2fp("1:65536,2:0,4:6291456,6:262144|15663105|0|m,a,s,p"), ja4("t13d1516h2_8daaf6152771_02713d6af862")),
	}
	add("fingerprint", []string{"fingerprint-mismatch"}, evs)

	// Regular intervals: a bot every 2 s over 6 endpoints, some 403s.
	evs = nil
	paths := []string{"/api/a", "/api/b", "/api/c", "/api/d", "/api/e", "/api/f"}
	for i := range 120 {
		st := uint32(200)
		if i%7 == 0 {
			st = 403
		}
		at := t0.Add(time.Duration(i)*2*time.Second + time.Duration(r.IntN(10))*time.Millisecond)
		evs = append(evs, ev(at, "10.97.3.5", "GET", paths[i%len(paths)], st))
	}
	add("regular", []string{"regular-intervals"}, evs)

	// Token sharing: one token from six addresses.
	evs = nil
	for i := range 12 {
		at := t0.Add(time.Duration(i) * 17 * time.Second)
		evs = append(evs, ev(at, "10.97.4."+strconv.Itoa(10+i%6), "GET", "/api/profile", 200, bearer("bob", "tok-bob")))
	}
	add("token-sharing", []string{"token-sharing"}, evs)

	// Unauthenticated access: /api/orders/{id} is used with tokens 30
	// times in the first window, then answers one request without any.
	evs = nil
	for i := range 30 {
		at := t0.Add(time.Duration(i) * 11 * time.Second)
		evs = append(evs, ev(at, "10.97.5."+strconv.Itoa(10+i%3), "GET", "/api/orders/{id}", 200, ids(strconv.Itoa(i%4)), bearer("u"+strconv.Itoa(i%3), "t"+strconv.Itoa(i%3))))
	}
	evs = append(evs, ev(t0.Add(12*time.Minute), "10.97.5.66", "GET", "/api/orders/{id}", 200, ids("7")))
	add("unauth", []string{"unauthenticated-access"}, evs)

	// Benign: a load test hammering 60 objects 3000 times is not a
	// scraper (distinct ids are 2% of the calls).
	evs = nil
	for i := range 3000 {
		at := t0.Add(jitter(r, i, 3000, 5*time.Minute, 0.8))
		evs = append(evs, ev(at, "10.97.6.5", "GET", "/api/users/{id}", 200, ids(strconv.Itoa(1+i%60)), apiKey("loadtest")))
	}
	add("load-test", nil, evs)

	// Low and slow: a token walks ids 1..800 over five hours, about 27
	// per 10-minute window: only the day window sees it.
	evs = nil
	for i := range 800 {
		at := t0.Add(jitter(r, i, 800, 5*time.Hour, 0.5))
		evs = append(evs, ev(at, "10.97.7.5", "GET", "/api/accounts/{id}", 200, ids(strconv.Itoa(1+i)), bearer("slowpoke", "tok-slow")))
	}
	add("low-and-slow", []string{"enumeration"}, evs)
	return out
}

// byTime sorts events by time, then id.
func byTime(evs []*alert.Event) []*alert.Event {
	out := slices.Clone(evs)
	slices.SortStableFunc(out, func(a, b *alert.Event) int {
		if c := unixNano(a) - unixNano(b); c != 0 {
			if c < 0 {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}

// interleave reorders events as workers would: each event is delayed by
// up to maxDelay, and they arrive in the order of their delayed times.
func interleave(evs []*alert.Event, seed uint64, maxDelay time.Duration) []*alert.Event {
	r := rand.New(rand.NewPCG(seed, seed+1))
	type arr struct {
		at int64
		e  *alert.Event
	}
	as := make([]arr, len(evs))
	for i, e := range evs {
		as[i] = arr{unixNano(e) + r.Int64N(int64(maxDelay)), e}
	}
	slices.SortStableFunc(as, func(a, b arr) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	out := make([]*alert.Event, len(as))
	for i, a := range as {
		out[i] = a.e
	}
	return out
}
