package behave

import (
	"hash/maphash"
	"slices"
	"strings"

	"github.com/apisensor/sensor/pipeline/alert"
)

// seed hashes distinct values; counts do not depend on it.
var seed = maphash.MakeSeed()

func hashOf(s string) uint64 { return maphash.String(seed, s) }

// set counts distinct values by hash, up to a bound where the count
// saturates. The count is the same whatever order values come in.
type set struct {
	m map[uint64]struct{}
}

// add adds v's hash; it reports whether v was new.
func (s *set) add(h uint64, max int) bool {
	if s.m == nil {
		s.m = make(map[uint64]struct{}, 8)
	}
	if _, ok := s.m[h]; ok || len(s.m) >= max {
		return false
	}
	s.m[h] = struct{}{}
	return true
}

func (s *set) len() int { return len(s.m) }

// examples keeps the k smallest distinct values seen: the same whatever
// order values come in.
type examples []string

func (e *examples) add(v string, k int) {
	if v == "" {
		return
	}
	i, found := slices.BinarySearch(*e, v)
	if found || i >= k {
		return
	}
	*e = slices.Insert(*e, i, v)
	if len(*e) > k {
		*e = (*e)[:k]
	}
}

// times keeps the k earliest timestamps (unix nanos) of a window, sorted:
// the same whatever order they come in.
type times []int64

func (t *times) add(ts int64, k int) {
	i, _ := slices.BinarySearch(*t, ts)
	if i >= k {
		return
	}
	*t = slices.Insert(*t, i, ts)
	if len(*t) > k {
		*t = (*t)[:k]
	}
}

// maxTimes bounds the timestamps kept for the regularity rule.
const maxTimes = 128

// winKey names one window of one rule of one identity: sub is the
// endpoint for per-endpoint rules.
type winKey struct {
	rule  rule
	sub   string
	start int64
}

// win is the state of one rule in one aligned window for one identity.
// Every field is a commutative aggregate of the window's events (sums,
// distinct sets, minimums, maximums, smallest k), so its value at window
// close does not depend on arrival order.
type win struct {
	key       string
	k         winKey
	end       int64
	n, hits   uint64
	bad       uint64 // non-2xx (regularity), probe hits (scanner)
	first     int64
	last      int64
	a, b, c   set
	ex        examples
	ex2       examples
	lo, hi    int64 // numeric object ids
	nums      uint64
	ts        times
	agent     string // scanner or browser User-Agent that matched (smallest)
	anchor    *alert.Event
	rev       uint32
	crossedAt int64
	item      *qitem
	covered   bool // a short window already reported this long one's activity
}

func (w *win) see(ts int64, e *alert.Event) {
	if w.n == 0 || ts < w.first {
		w.first = ts
	}
	if ts > w.last {
		w.last = ts
	}
	w.n++
	if w.anchor == nil || before(e, ts, w.anchor) {
		w.anchor = e
	}
}

// before orders events by time, then id: the anchor of a window is its
// earliest event, whatever order events arrived in.
func before(e *alert.Event, ts int64, than *alert.Event) bool {
	tt := unixNano(than)
	if ts != tt {
		return ts < tt
	}
	return strings.Compare(e.GetId(), than.GetId()) < 0
}

func (w *win) agentMin(ua string) {
	if ua != "" && (w.agent == "" || ua < w.agent) {
		w.agent = ua
	}
}

// entry is the state of one identity: its open windows, and for
// endpoints the learned baselines.
type entry struct {
	key  string
	wins map[winKey]*win
	// own is the client's own per-endpoint rate baseline (rate abuse).
	own map[string]*ewma
	// Endpoint baselines (entries keyed "endpoint:…").
	rate      ewma   // mean requests per client per rate window
	users     ewma   // distinct failed usernames per stuffing window
	cumAuth   uint64 // authenticated 2xx, windows closed so far
	cumPublic uint64 // unauthenticated 2xx, windows closed so far
}

// ewma is an exponentially weighted moving average with the number of
// windows folded in.
type ewma struct {
	v float64
	n int
}

func (m *ewma) fold(x, alpha float64) {
	if m.n == 0 {
		m.v = x
	} else {
		m.v = alpha*x + (1-alpha)*m.v
	}
	m.n++
}

// maxOwn bounds the per-endpoint own baselines of one client.
const maxOwn = 64

// qitem is a window waiting for its close time in the close queue.
type qitem struct {
	at    int64 // window end + grace
	prio  int8  // client windows close before endpoint windows at the same time
	key   string
	k     winKey
	index int
}

// less orders the close queue: time, then priority, then key and window,
// so that closing is deterministic.
func (a *qitem) less(b *qitem) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	if a.prio != b.prio {
		return a.prio < b.prio
	}
	if a.key != b.key {
		return a.key < b.key
	}
	if a.k.rule != b.k.rule {
		return a.k.rule < b.k.rule
	}
	if a.k.sub != b.k.sub {
		return a.k.sub < b.k.sub
	}
	return a.k.start < b.k.start
}

// queue is a min-heap of qitems (container/heap).
type queue []*qitem

func (q queue) Len() int           { return len(q) }
func (q queue) Less(i, j int) bool { return q[i].less(q[j]) }
func (q queue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *queue) Push(x any) {
	it := x.(*qitem)
	it.index = len(*q)
	*q = append(*q, it)
}
func (q *queue) Pop() any {
	old := *q
	n := len(old)
	it := old[n-1]
	old[n-1] = nil
	it.index = -1
	*q = old[:n-1]
	return it
}

func unixNano(e *alert.Event) int64 {
	t := e.GetTimestamp()
	if t == nil {
		return 0
	}
	return t.GetSeconds()*1e9 + int64(t.GetNanos())
}
