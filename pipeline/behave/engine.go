// Package behave is the sensor's behavioural detection: it watches what
// each client does over time rather than what one request carries.
//
// Input: exchange events (alert.Event, one per request/response, built by
// pipeline/detect from the decoders' exchanges, or read back from the
// sensor.events Kafka topic by `sensor aggregate`): client identity, method,
// path template, status, login attempt, object ids, event (packet) time.
// Output: alerts (alert.Alert, detector "behave") with a Behavior section
// that explains the window, counts, threshold and examples.
//
// State is kept per identity (API-key hash, token subject, session, client
// address; usernames, tokens and endpoints for the rules that count
// across clients) in aligned event-time windows, sharded by key hash and
// bounded by an LRU. See README.md for the rules and the determinism
// guarantees.
package behave

import (
	"container/heap"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/apisensor/sensor/pipeline/alert"
)

// Counter names of Stats.
const (
	CountEvents      = "behave.events"
	CountSkipped     = "behave.skipped"     // no time or no HTTP facts
	CountAllowed     = "behave.allowlisted" // client rules not run
	CountLate        = "behave.late"        // window already closed
	CountEvicted     = "behave.evicted"     // identities evicted by the bound
	CountWinDropped  = "behave.window_dropped"
	CountTracked     = "behave.tracked" // identities with state now
	CountAlertPrefix = "behave.alerts."
)

// Engine runs the behavioural rules. Observe may be called from several
// goroutines; alerts come back from the call that raised or closed them.
type Engine struct {
	cfg    Config
	shards []*shard

	allowKeys   map[string]bool
	allowSubs   map[string]bool
	allowNets   []netip.Prefix
	allowAgents []AllowAgent
	probes      []string
	agents      []string
	health      map[string]bool

	watermark atomic.Int64
	nextDue   atomic.Int64

	qmu     sync.Mutex
	q       queue
	closeMu sync.Mutex

	agentCache  sync.Map // User-Agent → bool
	agentCached atomic.Int64

	events, skipped, allowed, late, evictedN, winDropped atomic.Uint64
	alerts                                               [numRules]atomic.Uint64
	hasEvicted                                           atomic.Bool
}

type shard struct {
	mu      sync.Mutex
	lru     *simplelru.LRU[string, *entry]
	evicted []*alert.Alert
}

// New builds an engine; zero fields of cfg take their defaults.
func New(cfg Config) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	e := &Engine{
		cfg:       cfg,
		allowKeys: map[string]bool{},
		allowSubs: map[string]bool{},
		health:    map[string]bool{},
	}
	e.nextDue.Store(math.MaxInt64)
	for _, k := range cfg.Allow.APIKeys {
		e.allowKeys[k] = true
	}
	for _, s := range cfg.Allow.Subjects {
		e.allowSubs[s] = true
	}
	for _, s := range cfg.Allow.CIDRs {
		p, _ := parsePrefix(s) // checked by Validate
		e.allowNets = append(e.allowNets, p)
	}
	e.allowAgents = cfg.Allow.Agents
	for _, p := range cfg.Scanner.ProbePaths {
		e.probes = append(e.probes, strings.ToLower(p))
	}
	for _, a := range cfg.Scanner.ScannerAgent {
		e.agents = append(e.agents, strings.ToLower(a))
	}
	for _, p := range cfg.RegularIntervals.HealthPaths {
		e.health[p] = true
	}
	per := max(cfg.MaxKeys/cfg.Shards, 1)
	e.shards = make([]*shard, cfg.Shards)
	for i := range e.shards {
		s := &shard{}
		s.lru, _ = simplelru.NewLRU(per, func(_ string, en *entry) { e.evict(s, en) })
		e.shards[i] = s
	}
	return e, nil
}

// Config returns the engine's configuration with defaults filled.
func (e *Engine) Config() Config { return e.cfg }

// Stats returns the engine's counters by name.
func (e *Engine) Stats() map[string]uint64 {
	m := map[string]uint64{
		CountEvents:     e.events.Load(),
		CountSkipped:    e.skipped.Load(),
		CountAllowed:    e.allowed.Load(),
		CountLate:       e.late.Load(),
		CountEvicted:    e.evictedN.Load(),
		CountWinDropped: e.winDropped.Load(),
		CountTracked:    uint64(e.Tracked()),
	}
	for r := range ruleEndpointRate {
		m[CountAlertPrefix+rules[r].id] = e.alerts[r].Load()
	}
	m[CountAlertPrefix+rules[ruleEnumSlow].id] += e.alerts[ruleEnumSlow].Load()
	return m
}

// Tracked returns the number of identities with state.
func (e *Engine) Tracked() int {
	n := 0
	for _, s := range e.shards {
		s.mu.Lock()
		n += s.lru.Len()
		s.mu.Unlock()
	}
	return n
}

// Bound returns the most identities the engine keeps.
func (e *Engine) Bound() int { return max(e.cfg.MaxKeys/e.cfg.Shards, 1) * e.cfg.Shards }

// facts are the parts of an event the rules read, computed once.
type facts struct {
	e       *alert.Event
	ts      int64
	ip      string
	ck      string // identity key
	ep      string // "METHOD /template"
	path    string
	status  uint32
	ok      bool // 2xx
	ua      string
	allowed bool
}

// Observe feeds one event and appends the alerts it raised, and those of
// the windows its time closed, to dst. The event must not be modified
// afterwards: windows keep a pointer to their earliest event.
func (e *Engine) Observe(ev *alert.Event, dst []*alert.Alert) []*alert.Alert {
	ts := unixNano(ev)
	h := ev.GetHttp()
	if ts == 0 || h == nil || ev.GetFlow().GetAppProto() == "websocket" {
		// A WebSocket message (decoders/websocket) is no request: the
		// upgrade request that opened its connection was observed, and
		// a chatty socket is no client hammering an API.
		e.skipped.Add(1)
		return dst
	}
	e.events.Add(1)
	wm := e.watermark.Load()
	if !e.cfg.ExternalClock {
		wm = e.advance(ts)
	}
	c := ev.GetClient()
	epk := "endpoint:" + h.GetMethod() + " " + h.GetPathTemplate()
	f := facts{
		e: ev, ts: ts, ip: e.clientAddr(ev),
		ep: epk[len("endpoint:"):], path: h.GetPathTemplate(),
		status: h.GetStatus(), ua: c.GetUserAgent(),
	}
	f.ck = clientKey(c, f.ip)
	f.ok = f.status >= 200 && f.status < 300
	f.allowed = e.isAllowed(c)
	if f.allowed {
		e.allowed.Add(1)
	}

	// One shard lock at a time: never two held together.
	en, s := e.lock(epk)
	dst = e.endpoint(en, &f, wm, dst)
	s.mu.Unlock()
	if !f.allowed {
		en, s = e.lock(f.ck)
		dst = e.client(en, &f, wm, dst)
		s.mu.Unlock()
		if l := ev.GetLogin(); l != nil {
			ipk := f.ck
			if f.ip != "" && !strings.HasPrefix(ipk, "ip:") {
				ipk = "ip:" + f.ip
			}
			en, s = e.lock(ipk)
			dst = e.stuffing(en, &f, l, wm, dst)
			s.mu.Unlock()
			if l.GetUsername() != "" {
				en, s = e.lock("user:" + l.GetUsername())
				dst = e.brute(en, &f, l, wm, dst)
				s.mu.Unlock()
			}
		}
		if tok := c.GetToken(); tok != "" {
			en, s = e.lock("token:" + tok)
			dst = e.sharing(en, &f, wm, dst)
			s.mu.Unlock()
		}
	}
	if e.hasEvicted.Load() {
		dst = e.drainEvicted(dst)
	}
	if wm >= e.nextDue.Load() {
		dst = e.sweep(wm, dst)
	}
	return dst
}

// Flush closes every open window, as at the end of the input, and
// appends the final alerts to dst. Windows close in the order of their
// close time, as they would have with more input.
func (e *Engine) Flush(dst []*alert.Alert) []*alert.Alert {
	dst = e.drainEvicted(dst)
	return e.sweep(math.MaxInt64, dst)
}

// Advance raises the watermark to ts, for an engine with ExternalClock,
// and appends the alerts of the windows that closed to dst.
func (e *Engine) Advance(ts int64, dst []*alert.Alert) []*alert.Alert {
	if wm := e.advance(ts); wm >= e.nextDue.Load() {
		dst = e.sweep(wm, dst)
	}
	return dst
}

// advance raises the watermark (the latest event time seen) to ts and
// returns it.
func (e *Engine) advance(ts int64) int64 {
	for {
		wm := e.watermark.Load()
		if ts <= wm {
			return wm
		}
		if e.watermark.CompareAndSwap(wm, ts) {
			return ts
		}
	}
}

// clientKey is the strongest identity the event carries; addr is its
// client address as clientAddr gives it.
func clientKey(c *alert.Client, addr string) string {
	switch {
	case c.GetApiKey() != "":
		return "key:" + c.GetApiKey()
	case c.GetSubject() != "":
		return "sub:" + c.GetSubject()
	case c.GetSession() != "":
		return "session:" + c.GetSession()
	}
	return "ip:" + addr
}

// clientAddr is the client address; with ClientZones, a private address
// that is the TCP peer gets the flow's zone after a '%', as an IPv6 scope
// is written ("10.0.0.5%vxlan:1001"): the same address in two tenants'
// segments is two clients. A global address, or one a trusted proxy
// forwarded, names the same client in every segment; keys, token subjects
// and sessions take no zone.
func (e *Engine) clientAddr(ev *alert.Event) string {
	ip := ev.GetClient().GetIp()
	if !e.cfg.ClientZones || ip == "" {
		return ip
	}
	z := ev.GetFlow().GetZone()
	if z == "" || ev.GetClient().GetPeerIp() != "" {
		return ip
	}
	if a, err := netip.ParseAddr(ip); err != nil || globalAddr(a.Unmap()) {
		return ip
	}
	return ip + "%" + z
}

// cgnat is RFC 6598's shared address space, which carriers and clouds
// reuse like RFC 1918's.
var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// globalAddr reports whether a names one host wherever it is seen: not a
// private (RFC 1918, ULA), shared (CGNAT), loopback or link-local address.
func globalAddr(a netip.Addr) bool {
	return !(a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsUnspecified() || cgnat.Contains(a))
}

func (e *Engine) isAllowed(c *alert.Client) bool {
	if k := c.GetApiKey(); k != "" && e.allowKeys[k] {
		return true
	}
	if s := c.GetSubject(); s != "" && e.allowSubs[s] {
		return true
	}
	if len(e.allowNets) > 0 {
		if a, err := netip.ParseAddr(c.GetIp()); err == nil {
			a = a.Unmap()
			for _, p := range e.allowNets {
				if p.Contains(a) {
					return true
				}
			}
		}
	}
	ua := c.GetUserAgent()
	for _, ag := range e.allowAgents {
		if ua != "" && strings.HasPrefix(ua, ag.UserAgent) &&
			(ag.Fingerprint == "" || ag.Fingerprint == c.GetJa4() || ag.Fingerprint == c.GetH2Fingerprint()) {
			return true
		}
	}
	return false
}

// lock returns key's entry, created if need be, with its shard locked:
// the caller unlocks s.mu.
func (e *Engine) lock(key string) (*entry, *shard) {
	s := e.shards[hashOf(key)%uint64(len(e.shards))]
	s.mu.Lock()
	en, ok := s.lru.Get(key)
	if !ok {
		en = &entry{key: key, wins: make(map[winKey]*win, 4)}
		s.lru.Add(key, en)
	}
	return en, s
}

// peek runs fn on key's entry if it exists, without refreshing it.
func (e *Engine) peek(key string, fn func(*entry)) {
	s := e.shards[hashOf(key)%uint64(len(e.shards))]
	s.mu.Lock()
	if en, ok := s.lru.Peek(key); ok {
		fn(en)
	}
	s.mu.Unlock()
}

// window returns the window of rule r for sub holding ts, creating it, or
// nil when it is closed already (a late event) or the identity has too
// many. queued windows are closed by the close queue; prio orders windows
// closing at the same time (clients 0, endpoints 1).
func (e *Engine) window(en *entry, r rule, sub string, ts, wm int64, length time.Duration, queued bool, prio int8) *win {
	size := int64(length)
	start := ts - ts%size
	if ts%size < 0 { // times before 1970: floor, not truncation
		start -= size
	}
	grace := int64(e.cfg.Grace)
	if start+size+grace <= wm {
		e.late.Add(1)
		return nil
	}
	k := winKey{rule: r, sub: sub, start: start}
	if w := en.wins[k]; w != nil {
		return w
	}
	// A window two back can no longer take events: forget it unless the
	// close queue still owes it a close.
	old := winKey{rule: r, sub: sub, start: start - 2*size}
	if w := en.wins[old]; w != nil && w.item == nil {
		delete(en.wins, old)
	}
	if len(en.wins) >= e.cfg.MaxWindowsPerKey {
		for k, w := range en.wins {
			if w.item == nil && w.end+grace <= wm {
				delete(en.wins, k)
			}
		}
		if len(en.wins) >= e.cfg.MaxWindowsPerKey {
			e.winDropped.Add(1)
			return nil
		}
	}
	w := &win{key: en.key, k: k, end: start + size}
	en.wins[k] = w
	if queued {
		e.enqueue(w, prio)
	}
	return w
}

// enqueue puts w in the close queue. Called under w's shard lock.
func (e *Engine) enqueue(w *win, prio int8) {
	if w.item != nil {
		return
	}
	it := &qitem{at: w.end + int64(e.cfg.Grace), prio: prio, key: w.key, k: w.k}
	w.item = it
	e.qmu.Lock()
	heap.Push(&e.q, it)
	e.storeNextDue()
	e.qmu.Unlock()
}

// storeNextDue publishes the close time of the queue's head, or none, for
// Observe's lock-free check. Called under qmu.
func (e *Engine) storeNextDue() {
	if len(e.q) > 0 {
		e.nextDue.Store(e.q[0].at)
	} else {
		e.nextDue.Store(math.MaxInt64)
	}
}

// evict is called by a shard's LRU, under the shard's lock, for an
// identity pushed out by the bound: its queued windows leave the queue,
// and the windows that had alerted get their final revision now.
func (e *Engine) evict(s *shard, en *entry) {
	e.evictedN.Add(1)
	for _, w := range en.wins {
		if w.item != nil {
			e.qmu.Lock()
			if w.item.index >= 0 {
				heap.Remove(&e.q, w.item.index)
			}
			e.storeNextDue()
			e.qmu.Unlock()
		}
		if w.rev > 0 && rules[w.k.rule].early {
			s.evicted = append(s.evicted, e.final(w))
			e.hasEvicted.Store(true)
		}
	}
}

func (e *Engine) drainEvicted(dst []*alert.Alert) []*alert.Alert {
	e.hasEvicted.Store(false)
	for _, s := range e.shards {
		s.mu.Lock()
		dst = append(dst, s.evicted...)
		s.evicted = nil
		s.mu.Unlock()
	}
	return dst
}

// sweep closes the windows whose close time is at or before wm, in
// queue order.
func (e *Engine) sweep(wm int64, dst []*alert.Alert) []*alert.Alert {
	e.closeMu.Lock()
	defer e.closeMu.Unlock()
	for {
		e.qmu.Lock()
		if len(e.q) == 0 || e.q[0].at > wm {
			e.storeNextDue()
			e.qmu.Unlock()
			return dst
		}
		it := heap.Pop(&e.q).(*qitem)
		e.qmu.Unlock()
		dst = e.close(it, dst)
	}
}

// close takes the window of it out of its identity and judges it.
func (e *Engine) close(it *qitem, dst []*alert.Alert) []*alert.Alert {
	var (
		w   *win
		own ewma
	)
	e.peek(it.key, func(en *entry) {
		if cur := en.wins[it.k]; cur != nil && cur.item == it {
			w = cur
			delete(en.wins, it.k)
			if o := en.own[it.k.sub]; o != nil {
				own = *o
			}
		}
	})
	if w == nil {
		return dst // evicted meanwhile
	}
	w.item = nil
	switch r := w.k.rule; {
	case rules[r].early:
		if w.rev > 0 {
			dst = append(dst, e.final(w))
		}
	case r == ruleRate:
		dst = e.closeRate(w, own, dst)
	case r == ruleRegular:
		dst = e.closeRegular(w, dst)
	case r == ruleEnum || r == ruleEnumSlow:
		en := &e.cfg.Enumeration
		minIDs := e.enumMinIDs(r)
		if w.a.len() >= minIDs && float64(w.a.len()) >= en.MinUniqueRatio*float64(w.hits) && !w.covered {
			if r == ruleEnum {
				// The long window holding this one closes later:
				// the walk is reported once.
				size := int64(en.SlowWindow)
				k := winKey{rule: ruleEnumSlow, sub: w.k.sub, start: w.k.start - ((w.k.start%size)+size)%size}
				e.peek(w.key, func(en *entry) {
					if sw := en.wins[k]; sw != nil {
						sw.covered = true
					}
				})
			}
			e.alerts[r].Add(1)
			a := e.newAlert(w, 1, w.last)
			e.explain(w, a)
			dst = append(dst, a)
		}
	case r == ruleEndpointRate:
		// Windows close in time order: the baseline a client window is
		// judged against holds the endpoint's earlier windows only.
		e.peek(w.key, func(en *entry) {
			en.rate.fold(float64(w.n)/float64(max(w.a.len(), 1)), e.cfg.RateAbuse.Alpha)
		})
	case r == ruleDistributed:
		dst = e.closeDistributed(w, dst)
	case r == ruleUnauth:
		dst = e.closeUnauth(w, dst)
	}
	return dst
}

// endpoint updates the endpoint-level windows: rate baseline, login
// failures across clients, authenticated use.
func (e *Engine) endpoint(en *entry, f *facts, wm int64, dst []*alert.Alert) []*alert.Alert {
	cfg := &e.cfg
	if w := e.window(en, ruleEndpointRate, "", f.ts, wm, cfg.RateAbuse.Window, true, 1); w != nil {
		w.see(f.ts, f.e)
		w.a.add(hashOf(f.ck), cfg.MaxDistinct)
	}
	if l := f.e.GetLogin(); l != nil {
		if w := e.window(en, ruleDistributed, "", f.ts, wm, cfg.DistributedStuffing.Window, true, 1); w != nil {
			w.see(f.ts, f.e)
			if l.GetOutcome() == alert.LoginOutcome_LOGIN_OUTCOME_FAILURE {
				w.hits++
				w.a.add(hashOf(l.GetUsername()), cfg.MaxDistinct)
				w.b.add(hashOf(f.ip), cfg.MaxDistinct)
				w.ex.add(f.ip, cfg.Examples)
			}
		}
	}
	if f.ok {
		if w := e.window(en, ruleUnauth, "", f.ts, wm, cfg.UnauthAccess.Window, true, 1); w != nil {
			if f.e.GetClient().GetAuth() != "" {
				w.hits++
			} else if !f.allowed {
				w.see(f.ts, f.e)
				w.bad++
				w.a.add(hashOf(f.ck), cfg.MaxDistinct)
				w.ex.add(f.ck, cfg.Examples)
			}
		}
	}
	return dst
}

// client updates the rules kept for the client's identity.
func (e *Engine) client(en *entry, f *facts, wm int64, dst []*alert.Alert) []*alert.Alert {
	cfg := &e.cfg
	// Scanner: only suspicious requests open and feed its window, so that
	// ordinary clients cost nothing here.
	notFound := f.status == 404 || f.status == 405
	probe := false
	lp := f.path
	if hasUpper(lp) {
		lp = strings.ToLower(lp)
	}
	for _, p := range e.probes {
		if strings.HasPrefix(lp, p) {
			probe = true
			break
		}
	}
	agent := e.scannerAgent(f.ua)
	if notFound || probe || agent {
		if w := e.window(en, ruleScanner, "", f.ts, wm, cfg.Scanner.Window, false, 0); w != nil {
			w.see(f.ts, f.e)
			if notFound {
				w.hits++
				w.a.add(hashOf(f.path), cfg.MaxDistinct)
				w.ex2.add(f.path, cfg.Examples)
			}
			if probe {
				w.bad++
				w.b.add(hashOf(f.path), cfg.MaxDistinct)
				w.ex.add(f.path, cfg.Examples)
			}
			if agent {
				w.agentMin(f.ua)
			}
			sc := &cfg.Scanner
			if w.hits >= uint64(sc.MinNotFound) && w.a.len() >= sc.MinPaths || w.b.len() >= sc.MinProbes || w.agent != "" {
				dst = e.cross(w, f.ts, dst)
			}
		}
	}
	// Enumeration, per endpoint template, over a short and a long window.
	// Judged at close: the share of distinct ids is not monotone in the
	// events.
	if ids := f.e.GetObjectIds(); len(ids) > 0 {
		en2 := &cfg.Enumeration
		if w := e.window(en, ruleEnum, f.ep, f.ts, wm, en2.Window, false, 0); w != nil {
			e.enumerate(w, f, ids)
		}
		if w := e.window(en, ruleEnumSlow, f.ep, f.ts, wm, en2.SlowWindow, false, 0); w != nil {
			e.enumerate(w, f, ids)
		}
	}
	// Rate, per endpoint: judged at close against the baselines.
	if w := e.window(en, ruleRate, f.ep, f.ts, wm, cfg.RateAbuse.Window, true, 0); w != nil {
		w.see(f.ts, f.e)
	}
	// Fingerprint mismatch.
	if browserFamily(f.ua) != "" {
		c := f.e.GetClient()
		if lib := scriptOf(cfg.FingerprintMismatch.Scripts, c.GetJa4(), c.GetH2Fingerprint()); lib != "" {
			if w := e.window(en, ruleFingerprint, "", f.ts, wm, cfg.FingerprintMismatch.Window, false, 0); w != nil {
				w.see(f.ts, f.e)
				w.ex.add(lib, cfg.Examples)
				w.agentMin(f.ua)
				dst = e.cross(w, f.ts, dst)
			}
		}
	}
	// Regular intervals: judged at close over the earliest timestamps.
	ri := &cfg.RegularIntervals
	if w := e.window(en, ruleRegular, "", f.ts, wm, ri.Window, false, 0); w != nil {
		w.see(f.ts, f.e)
		w.ts.add(f.ts, maxTimes)
		if !f.ok {
			w.bad++
		}
		if !e.health[f.path] {
			w.hits++
		}
		if w.c.add(hashOf(f.ep), cfg.MaxDistinct) {
			w.ex.add(f.ep, cfg.Examples)
		}
		if w.n == uint64(ri.MinRequests) {
			e.enqueue(w, 0)
		}
	}
	return dst
}

// enumMinIDs is the distinct ids that make an enumeration window of rule
// r (ruleEnum or ruleEnumSlow).
func (e *Engine) enumMinIDs(r rule) int {
	if r == ruleEnumSlow {
		return e.cfg.Enumeration.SlowMinIDs
	}
	return e.cfg.Enumeration.MinIDs
}

// enumerate counts the distinct object ids a client got 2xx for, and
// queues the window for judgement once they reach its rule's minimum.
func (e *Engine) enumerate(w *win, f *facts, ids []string) {
	w.see(f.ts, f.e)
	if f.ok {
		w.hits++
		for _, id := range ids {
			if !w.a.add(hashOf(id), e.cfg.MaxDistinct) {
				continue
			}
			w.ex.add(id, e.cfg.Examples)
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				if w.nums == 0 || n < w.lo {
					w.lo = n
				}
				if w.nums == 0 || n > w.hi {
					w.hi = n
				}
				w.nums++
			}
		}
	}
	if w.a.len() == e.enumMinIDs(w.k.rule) {
		e.enqueue(w, 0)
	}
}

// stuffing counts a client address's login failures by username.
func (e *Engine) stuffing(en *entry, f *facts, l *alert.Login, wm int64, dst []*alert.Alert) []*alert.Alert {
	w := e.window(en, ruleStuffing, f.ep, f.ts, wm, e.cfg.CredentialStuffing.Window, false, 0)
	if w == nil {
		return dst
	}
	w.see(f.ts, f.e)
	if l.GetOutcome() == alert.LoginOutcome_LOGIN_OUTCOME_FAILURE {
		w.hits++
		if w.a.add(hashOf(l.GetUsername()), e.cfg.MaxDistinct) {
			w.ex.add(l.GetUsername(), e.cfg.Examples)
		}
	}
	if w.a.len() >= e.cfg.CredentialStuffing.MinUsernames {
		dst = e.cross(w, f.ts, dst)
	}
	return dst
}

// brute counts one username's failures and passwords from any client.
func (e *Engine) brute(en *entry, f *facts, l *alert.Login, wm int64, dst []*alert.Alert) []*alert.Alert {
	bf := &e.cfg.BruteForce
	w := e.window(en, ruleBrute, "", f.ts, wm, bf.Window, false, 0)
	if w == nil {
		return dst
	}
	w.see(f.ts, f.e)
	if l.GetOutcome() == alert.LoginOutcome_LOGIN_OUTCOME_FAILURE {
		w.hits++
		if p := l.GetPassword(); p != "" {
			w.a.add(hashOf(p), e.cfg.MaxDistinct)
		}
		w.b.add(hashOf(f.ip), e.cfg.MaxDistinct)
		w.ex.add(f.ip, e.cfg.Examples)
		w.ex2.add(f.ep, 1)
	}
	if w.hits >= uint64(bf.MinFailures) && w.a.len() >= bf.MinPasswords {
		dst = e.cross(w, f.ts, dst)
	}
	return dst
}

// sharing counts the addresses and fingerprints one token comes from.
func (e *Engine) sharing(en *entry, f *facts, wm int64, dst []*alert.Alert) []*alert.Alert {
	ts := &e.cfg.TokenSharing
	w := e.window(en, ruleSharing, "", f.ts, wm, ts.Window, false, 0)
	if w == nil {
		return dst
	}
	w.see(f.ts, f.e)
	c := f.e.GetClient()
	if w.a.add(hashOf(f.ip), e.cfg.MaxDistinct) {
		w.ex.add(f.ip, e.cfg.Examples)
	}
	w.b.add(hashOf(f.ua+"|"+c.GetJa4()+"|"+c.GetH2Fingerprint()), e.cfg.MaxDistinct)
	if w.a.len() >= ts.MinIPs || w.b.len() >= ts.MinFingerprints {
		dst = e.cross(w, f.ts, dst)
	}
	return dst
}

// cross raises revision 1 of an early rule the first time its threshold
// is crossed, and queues the window for its final revision at close.
func (e *Engine) cross(w *win, ts int64, dst []*alert.Alert) []*alert.Alert {
	if w.rev > 0 {
		return dst
	}
	w.rev = 1
	w.crossedAt = ts
	e.enqueue(w, 0)
	e.alerts[w.k.rule].Add(1)
	return append(dst, e.early(w))
}

// closeRate judges a client's requests to one endpoint in one rate window
// against the endpoint's baseline (learned from earlier windows: they
// closed before this one) and the client's own, then folds the count into
// the client's own baseline.
func (e *Engine) closeRate(w *win, own ewma, dst []*alert.Alert) []*alert.Alert {
	ra := &e.cfg.RateAbuse
	var base ewma
	e.peek("endpoint:"+w.k.sub, func(en *entry) { base = en.rate })
	n := float64(w.n)
	hit := w.n >= uint64(ra.Floor) && base.n >= ra.LearnWindows && n >= ra.Factor*base.v &&
		(own.n < ra.LearnWindows || n >= ra.Factor*own.v)
	if hit {
		e.alerts[ruleRate].Add(1)
		a := e.newAlert(w, 1, w.last)
		b := a.Behavior
		b.Threshold = uint64(math.Ceil(max(float64(ra.Floor), ra.Factor*base.v)))
		b.Ratio = n / max(base.v, 1e-9)
		a.Summary = strconv.FormatUint(w.n, 10) + " requests to " + w.k.sub + " from " + who(w) + " in " + dur(w) +
			", " + strconv.FormatFloat(b.Ratio, 'f', 1, 64) + "× the endpoint's per-client baseline of " +
			strconv.FormatFloat(base.v, 'f', 1, 64) + " (threshold " + strconv.FormatUint(b.Threshold, 10) + ")"
		if own.n >= ra.LearnWindows {
			a.Summary += ", own baseline " + strconv.FormatFloat(own.v, 'f', 1, 64)
		}
		dst = append(dst, a)
		return dst // an abusive window does not teach the client's baseline
	}
	e.peek(w.key, func(en *entry) {
		if en.own == nil {
			en.own = map[string]*ewma{}
		}
		o := en.own[w.k.sub]
		if o == nil {
			if len(en.own) >= maxOwn {
				return
			}
			o = &ewma{}
			en.own[w.k.sub] = o
		}
		o.fold(n, ra.Alpha)
	})
	return dst
}

// closeRegular judges the inter-arrival times of a client's requests.
// Steady pollers stay quiet: a client whose requests in the window all
// went to health or metrics endpoints, or were all answered 2xx on at most
// SteadyTemplates templates, is not reported (monitoring, sync jobs,
// partner integrations): regularity alone is not abuse.
func (e *Engine) closeRegular(w *win, dst []*alert.Alert) []*alert.Alert {
	ri := &e.cfg.RegularIntervals
	if len(w.ts) < ri.MinRequests || len(w.ts) < 3 {
		return dst
	}
	if w.hits == 0 || w.bad == 0 && w.c.len() <= ri.SteadyTemplates {
		return dst
	}
	mean, cv := intervals(w.ts)
	if mean <= 0 || cv > ri.MaxCV {
		return dst
	}
	e.alerts[ruleRegular].Add(1)
	a := e.newAlert(w, 1, w.last)
	a.Behavior.Threshold = uint64(ri.MinRequests)
	a.Behavior.Distinct = uint64(w.c.len())
	a.Behavior.Ratio = cv
	a.Summary = strconv.FormatUint(w.n, 10) + " requests from " + who(w) + " at regular intervals (every " +
		time.Duration(mean).Round(time.Millisecond).String() + ", coefficient of variation " +
		strconv.FormatFloat(cv, 'f', 3, 64) + " ≤ " + strconv.FormatFloat(ri.MaxCV, 'f', 3, 64) + ") over " +
		strconv.Itoa(w.c.len()) + " endpoints in " + dur(w)
	return append(dst, a)
}

// intervals returns the mean and coefficient of variation of the gaps
// between sorted timestamps.
func intervals(ts []int64) (mean, cv float64) {
	n := float64(len(ts) - 1)
	for i := 1; i < len(ts); i++ {
		mean += float64(ts[i] - ts[i-1])
	}
	mean /= n
	var v float64
	for i := 1; i < len(ts); i++ {
		d := float64(ts[i]-ts[i-1]) - mean
		v += d * d
	}
	if mean == 0 {
		return 0, 0
	}
	return mean, math.Sqrt(v/n) / mean
}

// closeDistributed judges a login endpoint's window of failures across
// clients against floors and its learned baseline.
func (e *Engine) closeDistributed(w *win, dst []*alert.Alert) []*alert.Alert {
	ds := &e.cfg.DistributedStuffing
	var base ewma
	e.peek(w.key, func(en *entry) { base = en.users })
	users := float64(w.a.len())
	ratio := float64(w.hits) / float64(max(w.n, 1))
	hit := w.b.len() >= ds.MinClients && w.a.len() >= ds.MinUsernames && ratio >= ds.MinFailureRatio &&
		(base.n < ds.LearnWindows || users >= ds.Factor*base.v)
	if !hit {
		e.peek(w.key, func(en *entry) { en.users.fold(users, 0.3) })
		return dst
	}
	e.alerts[ruleDistributed].Add(1)
	a := e.newAlert(w, 1, w.last)
	b := a.Behavior
	b.Threshold = uint64(ds.MinUsernames)
	b.Distinct = uint64(w.a.len())
	b.Ratio = ratio
	b.Endpoint = strings.TrimPrefix(w.key, "endpoint:")
	a.Summary = strconv.Itoa(w.a.len()) + " distinct usernames failed login at " + b.Endpoint + " from " +
		strconv.Itoa(w.b.len()) + " clients in " + dur(w) + ", " + pct(ratio) + " of " + strconv.FormatUint(w.n, 10) +
		" logins failed (threshold " + strconv.Itoa(ds.MinUsernames) + " usernames, " + strconv.Itoa(ds.MinClients) + " clients"
	if base.n >= ds.LearnWindows {
		a.Summary += ", baseline " + strconv.FormatFloat(base.v, 'f', 1, 64) + " usernames"
	}
	a.Summary += ")"
	return append(dst, a)
}

// closeUnauth judges unauthenticated 2xx on an endpoint learned, in the
// windows before and this one, as one that sees credentials.
func (e *Engine) closeUnauth(w *win, dst []*alert.Alert) []*alert.Alert {
	ua := &e.cfg.UnauthAccess
	var cumAuth, cumPublic uint64
	e.peek(w.key, func(en *entry) { cumAuth, cumPublic = en.cumAuth, en.cumPublic })
	auth := cumAuth + w.hits
	public := float64(cumPublic) <= ua.MaxPublicShare*float64(cumAuth+cumPublic)
	hit := w.bad > 0 && auth >= uint64(ua.MinAuthenticated) && public
	e.peek(w.key, func(en *entry) {
		en.cumAuth += w.hits
		if !hit {
			en.cumPublic += w.bad
		}
	})
	if !hit {
		return dst
	}
	e.alerts[ruleUnauth].Add(1)
	a := e.newAlert(w, 1, w.last)
	b := a.Behavior
	b.Count = w.bad
	b.Threshold = uint64(ua.MinAuthenticated)
	b.Distinct = uint64(w.a.len())
	b.Endpoint = strings.TrimPrefix(w.key, "endpoint:")
	a.Summary = strconv.FormatUint(w.bad, 10) + " requests without credentials answered 2xx at " + b.Endpoint +
		" from " + strconv.Itoa(w.a.len()) + " clients in " + dur(w) + "; the endpoint answered " +
		strconv.FormatUint(auth, 10) + " authenticated requests (learned after " + strconv.Itoa(ua.MinAuthenticated) + ")"
	return append(dst, a)
}

// early builds revision 1 of an early rule's alert, at the crossing.
func (e *Engine) early(w *win) *alert.Alert {
	a := e.newAlert(w, 1, w.crossedAt)
	e.explain(w, a)
	return a
}

// final builds the final revision of an early rule's alert, with the
// window's final counts.
func (e *Engine) final(w *win) *alert.Alert {
	a := e.newAlert(w, w.rev+1, w.last)
	w.rev++
	e.explain(w, a)
	return a
}

// explain fills the counts and summary of an early rule's alert.
func (e *Engine) explain(w *win, a *alert.Alert) {
	cfg := &e.cfg
	b := a.Behavior
	switch w.k.rule {
	case ruleStuffing:
		b.Threshold = uint64(cfg.CredentialStuffing.MinUsernames)
		b.Distinct = uint64(w.a.len())
		b.Ratio = float64(w.hits) / float64(max(w.n, 1))
		a.Summary = strconv.Itoa(w.a.len()) + " distinct usernames failed login at " + w.k.sub + " from " + who(w) +
			" in " + dur(w) + " (threshold " + strconv.Itoa(cfg.CredentialStuffing.MinUsernames) + ")"
	case ruleBrute:
		b.Threshold = uint64(cfg.BruteForce.MinFailures)
		b.Count = w.hits
		b.Distinct = uint64(w.a.len())
		b.Ratio = float64(w.hits) / float64(max(w.n, 1))
		if len(w.ex2) > 0 {
			b.Endpoint = w.ex2[0]
		}
		a.Summary = strconv.FormatUint(w.hits, 10) + " failed logins for one username (" + strings.TrimPrefix(w.key, "user:") +
			") with " + strconv.Itoa(w.a.len()) + " distinct passwords from " + strconv.Itoa(w.b.len()) + " clients in " +
			dur(w) + " (threshold " + strconv.Itoa(cfg.BruteForce.MinFailures) + " failures, " +
			strconv.Itoa(cfg.BruteForce.MinPasswords) + " passwords)"
	case ruleEnum, ruleEnumSlow:
		en := &cfg.Enumeration
		minIDs := e.enumMinIDs(w.k.rule)
		b.Threshold = uint64(minIDs)
		b.Distinct = uint64(w.a.len())
		b.Ratio = float64(w.hits) / float64(max(w.n, 1))
		a.Summary = strconv.Itoa(w.a.len()) + " distinct object ids answered 2xx at " + w.k.sub + " for " + who(w) +
			" in " + dur(w) + " (" + pct(b.Ratio) + " of " + strconv.FormatUint(w.n, 10) + " requests 2xx; threshold " +
			strconv.Itoa(minIDs) + " ids, " + pct(en.MinUniqueRatio) + " of them distinct)"
		if w.nums >= uint64(minIDs) && float64(w.hi-w.lo+1) <= en.SequentialDensity*float64(w.nums) {
			a.Summary += ", sequential walk of ids " + strconv.FormatInt(w.lo, 10) + ".." + strconv.FormatInt(w.hi, 10)
			a.Confidence = alert.Confidence_CONFIDENCE_HIGH
		}
	case ruleScanner:
		sc := &cfg.Scanner
		b.Threshold = uint64(sc.MinNotFound)
		b.Count = w.n
		b.Distinct = uint64(w.a.len())
		var why []string
		if w.agent != "" {
			why = append(why, "scanner User-Agent "+strconv.Quote(alert.Snippet(w.agent, 64)))
		}
		if w.b.len() > 0 {
			why = append(why, strconv.Itoa(w.b.len())+" probe paths ("+strings.Join(w.ex, ", ")+")")
		}
		why = append(why, strconv.FormatUint(w.hits, 10)+" requests answered 404/405 over "+
			strconv.Itoa(w.a.len())+" paths")
		a.Summary = "scanner at " + who(w) + " in " + dur(w) + ": " + strings.Join(why, "; ")
		if len(w.ex) == 0 {
			b.Examples = append([]string(nil), w.ex2...)
		}
	case ruleFingerprint:
		b.Threshold = 1
		ua := alert.Snippet(w.agent, 80)
		a.Summary = "User-Agent claims " + browserFamily(w.agent) + " (" + strconv.Quote(ua) + ") but the client's fingerprint is " +
			strings.Join(w.ex, ", ") + ", from " + who(w) + ": " + strconv.FormatUint(w.n, 10) + " requests in " + dur(w)
	case ruleSharing:
		ts := &cfg.TokenSharing
		b.Threshold = uint64(ts.MinIPs)
		b.Distinct = uint64(w.a.len())
		a.Summary = "one bearer token used from " + strconv.Itoa(w.a.len()) + " addresses and " + strconv.Itoa(w.b.len()) +
			" client fingerprints in " + dur(w) + " (threshold " + strconv.Itoa(ts.MinIPs) + " addresses or " +
			strconv.Itoa(ts.MinFingerprints) + " fingerprints)"
	}
}

// newAlert starts an alert for window w: the id is derived from the rule,
// identity, endpoint and window start, so every revision of it, in any
// replay, has the same id. The flow, client, source and HTTP facts are
// those of the window's earliest event.
func (e *Engine) newAlert(w *win, rev uint32, at int64) *alert.Alert {
	info := &rules[w.k.rule]
	an := w.anchor
	a := &alert.Alert{
		Id:         alert.ID(Detector, info.id, w.key, w.k.sub, strconv.FormatInt(w.k.start, 10), dur(w)),
		Timestamp:  ts(at),
		Detector:   Detector,
		RuleId:     info.id,
		Category:   info.category,
		Owasp:      append([]string(nil), info.owasp...),
		Severity:   info.severity,
		Confidence: info.confidence,
		Flow:       cloneOf(an.GetFlow()),
		Client:     cloneOf(an.GetClient()),
		Source:     cloneOf(an.GetSource()),
		Sensor:     cloneOf(an.GetSensor()),
		Behavior: &alert.Behavior{
			Key:         w.key,
			WindowStart: ts(w.k.start),
			WindowEnd:   ts(w.end),
			FirstSeen:   ts(w.first),
			LastSeen:    ts(w.last),
			Count:       w.n,
			Revision:    rev,
			Endpoint:    w.k.sub,
			Examples:    append([]string(nil), w.ex...),
		},
	}
	if h := an.GetHttp(); h != nil {
		a.Http = &alert.Http{
			Method:    h.GetMethod(),
			Host:      h.GetHost(),
			Url:       h.GetPathTemplate(),
			Status:    h.GetStatus(),
			UserAgent: an.GetClient().GetUserAgent(),
			Version:   h.GetVersion(),
		}
	}
	return a
}

// who names the identity of a window for a summary.
func who(w *win) string {
	k := w.key
	if i := strings.IndexByte(k, ':'); i >= 0 {
		switch k[:i] {
		case "ip":
			return k[i+1:]
		case "key":
			return "API key " + k[i+1:]
		case "sub":
			return "subject " + k[i+1:]
		case "session":
			return "session " + k[i+1:]
		}
	}
	return k
}

// dur renders a window length briefly: 5m, 90s, 1h.
func dur(w *win) string {
	d := time.Duration(w.end - w.k.start)
	switch {
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// maxAgentCache bounds the User-Agents whose scanner verdict is cached:
// clients send few distinct ones, and the search costs more than a lookup.
const maxAgentCache = 4096

// scannerAgent reports whether ua names a scanner.
func (e *Engine) scannerAgent(ua string) bool {
	if ua == "" {
		return false
	}
	if v, ok := e.agentCache.Load(ua); ok {
		return v.(bool)
	}
	hit := false
	for _, a := range e.agents {
		if containsFold(ua, a) {
			hit = true
			break
		}
	}
	if e.agentCached.Add(1) <= maxAgentCache {
		e.agentCache.Store(ua, hit)
	}
	return hit
}

// hasUpper reports whether s has an ASCII upper-case letter.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// containsFold reports whether s contains sub, ASCII case-insensitively;
// sub is lower case. It does not allocate.
func containsFold(s, sub string) bool {
	n := len(sub)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

func pct(r float64) string { return strconv.FormatFloat(100*r, 'f', 0, 64) + "%" }
