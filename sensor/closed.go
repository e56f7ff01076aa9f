package sensor

import "net/netip"

// closedSetSize bounds the recently closed connections a tracker remembers.
// Their last packets follow the close within a round trip, so a few thousand
// cover even a high connection rate.
const closedSetSize = 4096

// closedSet remembers the endpoints of recently closed connections, oldest
// forgotten first, in a fixed amount of memory.
type closedSet struct {
	m    map[endpoints]struct{}
	ring []endpoints
	next int
}

// endpoints is a connection's zone (Tracker.zone) and address/port pair,
// smaller endpoint first, so that both directions give the same value.
type endpoints struct {
	zone   uint64
	a, b   netip.Addr
	ap, bp uint16
}

func makeEndpoints(zone uint64, src, dst netip.Addr, sport, dport uint16) endpoints {
	if c := src.Compare(dst); c > 0 || c == 0 && sport > dport {
		return endpoints{zone, dst, src, dport, sport}
	}
	return endpoints{zone, src, dst, sport, dport}
}

func newClosedSet(n int) closedSet {
	return closedSet{m: make(map[endpoints]struct{}, n), ring: make([]endpoints, 0, n)}
}

func (c *closedSet) len() int { return len(c.m) }

func (c *closedSet) has(zone uint64, src, dst netip.Addr, sport, dport uint16) bool {
	_, ok := c.m[makeEndpoints(zone, src, dst, sport, dport)]
	return ok
}

func (c *closedSet) add(zone uint64, k FlowKey) {
	e := makeEndpoints(zone, k.SrcIP, k.DstIP, k.SrcPort, k.DstPort)
	if _, ok := c.m[e]; ok {
		return
	}
	if len(c.ring) < cap(c.ring) {
		c.ring = append(c.ring, e)
	} else {
		delete(c.m, c.ring[c.next])
		c.ring[c.next] = e
		c.next = (c.next + 1) % len(c.ring)
	}
	c.m[e] = struct{}{}
}

// remove forgets k: a new connection opened on the same endpoints. Its slot
// in the ring is reclaimed when the ring comes round to it.
func (c *closedSet) remove(zone uint64, k FlowKey) {
	if len(c.m) > 0 {
		delete(c.m, makeEndpoints(zone, k.SrcIP, k.DstIP, k.SrcPort, k.DstPort))
	}
}
