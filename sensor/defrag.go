package sensor

import (
	"bytes"
	"net/netip"
	"slices"
	"sort"
	"time"

	"github.com/gopacket/gopacket/layers"
)

// defragmenter rebuilds IPv4 and IPv6 datagrams from their fragments, within
// bounds.
//
// It takes the place of gopacket's ip4defrag, whose rules it keeps (they are
// Linux's): only whole 8-byte units of a non-final IPv4 fragment count, the
// final fragment fixes where the datagram ends, a repeat of bytes already held
// is ignored, and any other overlap or contradiction drops the datagram. What
// ip4defrag lacks and a sensor facing hostile traffic needs:
//
//   - IPv6. A payload split into IPv6 fragments was invisible, which made
//     fragmenting a request a way around every detector.
//   - A bound on what is held. ip4defrag keeps any number of datagrams until
//     they time out: a flood of first fragments with fresh IDs grew the heap by
//     the traffic's rate for 30 seconds. Here the datagrams in progress and the
//     bytes they hold are bounded (maxFragDatagrams, maxFragBytes); a fragment
//     past a bound is dropped and counted (packet.fragment_memcap), as Linux
//     drops fragments past ipfrag_high_thresh.
//   - Zones: a datagram is keyed by its VLAN tags and tunnels too, so two
//     tenants that reuse an address plan do not mix their fragments.
//   - Overlaps counted on their own (packet.fragment_overlap): overlapping
//     fragments that disagree are the classic way to show a sensor one
//     payload and the host another (Ptacek and Newsham, 1998); receivers drop
//     the datagram (RFC 5722 for IPv6, Linux for both), and so does this.
//
// A datagram has fragTimeout4 (30 s, Linux's ipfrag_time) or fragTimeout6
// (60 s, RFC 8200's reassembly time) from its first fragment to be whole.
// Fragments are copied (the caller's frame buffer is reused); a rebuilt
// datagram is a fresh slice.
type defragmenter struct {
	lists  map[fragKey]*fragList
	held   int // bytes held by every list, fragOverhead included
	counts Counts
	lastGC time.Time
}

// Bounds of the defragmenter of one reader. Linux holds 4 MiB of fragments
// per network namespace; a sensor sees the fragments of many hosts.
const (
	maxFragBytes     = 16 << 20
	maxFragDatagrams = 16384
	// maxFragsPerDatagram is ip4defrag's bound: 8-byte fragments of a
	// 64 KiB datagram.
	maxFragsPerDatagram = 8192
	// fragOverhead is what a stored fragment costs besides its bytes.
	fragOverhead = 64
	fragTimeout4 = 30 * time.Second
	fragTimeout6 = 60 * time.Second
	// maxDatagram is the largest IP datagram: the length fields have 16
	// bits (IPv6 jumbograms are never fragmented).
	maxDatagram = 65535
)

// Counter names of reassembly. The IPv4 ones predate IPv6 reassembly and
// keep their names.
const (
	CountFragmentOverlap = "packet.fragment_overlap"
	CountFragmentMemcap  = "packet.fragment_memcap"
	CountFragmentTimeout = "packet.fragment_timeout"
)

// fragment is what the parser found of one fragment: its datagram's ID, its
// place and its bytes (in the caller's frame).
type fragment struct {
	v6 bool
	id uint32
	// proto is the protocol of the datagram's payload: IPv4's protocol
	// field, or IPv6's next header in the Fragment header (which counts
	// in the fragment at offset 0).
	proto  uint8
	offset int // bytes
	more   bool
	// limit is the most the datagram's payload may hold: 65535 less the
	// IPv4 header.
	limit int
	data  []byte
}

// fragKey names a datagram: RFC 791 keys an IPv4 datagram on its addresses,
// protocol and ID, RFC 8200 an IPv6 one on its addresses and ID.
type fragKey struct {
	zone     uint64
	src, dst netip.Addr
	id       uint32
	proto    uint8 // 0 for IPv6
	v6       bool
}

// fragList holds the fragments of one datagram, as the runs they make.
type fragList struct {
	// runs are Linux's fragment runs, sorted and never overlapping, with
	// their bytes: a fragment that starts where the furthest held one
	// ends joins its run, any other starts a run of its own. A fragment
	// that lies inside one run is a repeat; one that touches held bytes
	// otherwise is an overlap.
	runs     []fragRun
	frags    int  // fragments held
	highest  int  // where the datagram ends as far as known
	current  int  // bytes held
	final    bool // the last fragment came: highest is the datagram's end
	proto    uint8
	deadline time.Time
}

// cost is what l charges to the defragmenter's bound: its bytes and
// fragOverhead for each fragment.
func (l *fragList) cost() int { return l.current + l.frags*fragOverhead }

type fragRun struct {
	start, end int
	pieces     [][]byte // the fragments' bytes, in order
}

// add stores fragment f of the datagram it names in zone, which came at
// time now. When f completes the datagram, it returns the datagram's payload
// and protocol. The checks and their order are Linux's (ip_frag_queue,
// ip6_frag_queue, inet_frag_queue_insert), so that what the sensor rebuilds
// is what the host does: a trick that makes a receiver keep one copy of
// some bytes and the sensor another is the evasion reassembly exists to
// defeat.
func (d *defragmenter) add(zone uint64, src, dst netip.Addr, f *fragment, now time.Time) ([]byte, uint8, bool) {
	if now.Sub(d.lastGC) > time.Second {
		d.expire(now)
	}
	errs := CountFragmentErrors
	if f.v6 {
		errs = CountIPv6FragmentErrors
	}
	key := fragKey{zone: zone, src: src, dst: dst, id: f.id, v6: f.v6}
	if !f.v6 {
		key.proto = f.proto
	}
	length := len(f.data)
	start := f.offset
	switch {
	case f.v6 && (start+length > f.limit || f.more && length%8 != 0 || start == 0 && !v6HeadersWhole(f.proto, f.data)):
		// RFC 8200 4.5: past the largest payload, not a multiple of 8
		// before the last, or a first fragment without the whole
		// header chain (RFC 7112): the fragment alone is discarded.
		d.counts.Inc(errs)
		return nil, 0, false
	case !f.v6 && f.more:
		// A receiver uses whole 8-byte units of a non-final IPv4
		// fragment (RFC 791: all but the last hold a multiple of 8).
		length &^= 7
	}
	end := start + length
	l := d.lists[key]
	cost := length + fragOverhead
	if d.held+cost > maxFragBytes || l == nil && len(d.lists) >= maxFragDatagrams {
		d.counts.Inc(CountFragmentMemcap)
		return nil, 0, false
	}
	if l == nil {
		timeout := fragTimeout4
		if f.v6 {
			timeout = fragTimeout6
		}
		l = &fragList{deadline: now.Add(timeout)}
		if d.lists == nil {
			d.lists = map[fragKey]*fragList{}
		}
		d.lists[key] = l
	}
	// Where the datagram ends, before the fragment's bytes are looked at
	// (a final fragment that also repeats held bytes still sets it).
	switch {
	case !f.more:
		if end < l.highest || l.final && end != l.highest {
			d.counts.Inc(errs)
			d.drop(key)
			return nil, 0, false
		}
		l.final, l.highest = true, end
	case end > l.highest:
		if l.final {
			d.counts.Inc(errs)
			d.drop(key)
			return nil, 0, false
		}
		l.highest = end
	}
	if length == 0 || l.frags >= maxFragsPerDatagram {
		d.counts.Inc(errs)
		d.drop(key)
		return nil, 0, false
	}
	switch l.place(start, f.data[:length]) {
	case fragRepeat:
		return nil, 0, false
	case fragOverlap:
		d.counts.Inc(CountFragmentOverlap)
		d.drop(key)
		return nil, 0, false
	}
	if start == 0 || !f.v6 {
		l.proto = f.proto
	}
	l.frags++
	l.current += length
	d.held += cost
	if !l.final || l.current != l.highest {
		return nil, 0, false
	}
	if l.highest > f.limit {
		// Past the largest datagram: Linux queues such a fragment like
		// any other and refuses the datagram once it is whole
		// (ip_frag_reasm).
		d.counts.Inc(errs)
		d.drop(key)
		return nil, 0, false
	}
	// Whole: sorted, without overlap and as many bytes as the span, so
	// without a hole.
	out := make([]byte, 0, l.highest)
	for _, r := range l.runs {
		for _, p := range r.pieces {
			out = append(out, p...)
		}
	}
	proto := l.proto
	d.drop(key)
	return out, proto, true
}

// Where a fragment goes (fragList.place).
const (
	fragNew = iota
	fragRepeat
	fragOverlap
)

// place puts b, the bytes at start, in the runs as inet_frag_queue_insert
// does, or says why not: the common case, at or past the end of the
// furthest run, extends it or starts a run there; otherwise a fragment
// inside one run is a repeat, one that touches a run otherwise (or two) an
// overlap, and one in a hole starts a run of its own. The runs keep a copy
// of b.
func (l *fragList) place(start int, b []byte) int {
	end := start + len(b)
	n := len(l.runs)
	i := n
	if n > 0 {
		tail := &l.runs[n-1]
		switch {
		case tail.end >= end:
			i = sort.Search(n, func(k int) bool { return l.runs[k].end > start })
			if i < n && l.runs[i].start < end {
				if r := l.runs[i]; start >= r.start && end <= r.end {
					return fragRepeat
				}
				return fragOverlap
			}
		case start < tail.end:
			return fragOverlap
		case start == tail.end:
			tail.end, tail.pieces = end, append(tail.pieces, bytes.Clone(b))
			return fragNew
		}
	}
	l.runs = slices.Insert(l.runs, i, fragRun{start, end, [][]byte{bytes.Clone(b)}})
	return fragNew
}

// v6HeadersWhole reports whether data, the first fragment's payload whose
// first header is next, holds every extension header and the upper-layer
// header (RFC 7112), as Linux's ipv6frag_thdr_truncated reads it: its walk
// over the extension headers (ipv6_skip_exthdr) gives up, and the fragment
// passes, when a header's first two bytes are not there or the chain says
// No Next Header; then the TCP header must be whole, 8 bytes of UDP or
// ICMPv6, or one byte of anything else.
func v6HeadersWhole(next uint8, data []byte) bool {
	off := 0
	for {
		switch layers.IPProtocol(next) {
		case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Destination, layers.IPProtocolAH:
			if off+2 > len(data) {
				return true
			}
			n := (int(data[off+1]) + 1) * 8
			if layers.IPProtocol(next) == layers.IPProtocolAH {
				n = (int(data[off+1]) + 2) * 4
			}
			next, off = data[off], off+n
		case layers.IPProtocolNoNextHeader:
			return true
		case layers.IPProtocolTCP:
			return off+20 <= len(data)
		case layers.IPProtocolUDP, layers.IPProtocolICMPv6:
			return off+8 <= len(data)
		default:
			return off+1 <= len(data)
		}
	}
}

// drop forgets the datagram of key.
func (d *defragmenter) drop(key fragKey) {
	if l := d.lists[key]; l != nil {
		d.held -= l.cost()
		delete(d.lists, key)
	}
}

// expire drops the datagrams whose time ran out, counted: each is a datagram
// the host did not get either.
func (d *defragmenter) expire(now time.Time) {
	d.lastGC = now
	for key, l := range d.lists {
		if now.After(l.deadline) {
			d.counts.Inc(CountFragmentTimeout)
			d.drop(key)
		}
	}
}
