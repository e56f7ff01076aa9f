package sensor

import "github.com/gopacket/gopacket/reassembly"

// Out-of-order bytes held for reassembly, for the operator's gauge
// (reassembly.buffered_bytes). gopacket's assembler keeps them in pages it
// does not report, so the tracker notes each segment it lets the assembler
// queue and forgets it once the stream's delivered end passes it (delivered
// in order, or skipped as a gap) or the connection closes. Segments the
// assembler drops rather than queues (a reset or SYN out of order, data on a
// half that has ended) are not noted, nor are copies of a noted segment;
// partly overlapping segments are counted once each, so the figure is an
// upper bound of what the assembler holds, not its page count, which
// max_buffered_* bound.

// maxHeldSegs bounds the segments noted per stream; past it the gauge
// undercounts that stream (the assembler's own bound is in pages).
const maxHeldSegs = 1024

// heldSeg is one queued segment: its first sequence number and length.
type heldSeg struct {
	seq reassembly.Sequence
	n   int
}

// heldStream is what one stream holds, per direction, and its byte sums.
type heldStream struct {
	segs [2][]heldSeg
	dir  [2]int
}

// Buffered returns the out-of-order bytes the tracker's connections wait
// on now (see heldSeg).
func (t *Tracker) Buffered() int { return t.buffered }

// noteHeld records a segment the assembler is about to queue. A copy of a
// segment already noted (a retransmission, which the assembler merges into
// the same pages) is not noted again, and a direction is noted up to
// MaxBufferedPerConn, the most the assembler keeps for it.
func (s *stream) noteHeld(dir Direction, seq reassembly.Sequence, n int) {
	t := s.t
	h := t.held[s]
	if h == nil {
		h = &heldStream{}
	}
	if len(h.segs[dir]) >= maxHeldSegs || h.dir[dir]+n > t.cfg.MaxBufferedPerConn {
		return
	}
	for _, g := range h.segs[dir] {
		if d := g.seq.Difference(seq); d >= 0 && d+n <= g.n { // within g
			return
		}
	}
	if t.held == nil {
		t.held = map[*stream]*heldStream{}
	}
	t.held[s] = h
	h.segs[dir] = append(h.segs[dir], heldSeg{seq, n})
	h.dir[dir] += n
	t.buffered += n
}

// pruneHeld forgets what direction dir has delivered or skipped: the
// segments, or parts, before s.end[dir].
func (s *stream) pruneHeld(dir Direction) {
	t := s.t
	h := t.held[s]
	if h == nil {
		return
	}
	end := s.end[dir]
	keep := h.segs[dir][:0]
	for _, g := range h.segs[dir] {
		left := g.n
		if d := g.seq.Difference(end); d > 0 { // end is d bytes past g's start
			left = max(0, g.n-d)
		}
		if gone := g.n - left; gone > 0 {
			h.dir[dir] -= gone
			t.buffered -= gone
		}
		if left == 0 {
			continue
		}
		if left < g.n {
			g = heldSeg{end, left}
		}
		keep = append(keep, g)
	}
	clear(h.segs[dir][len(keep):])
	h.segs[dir] = keep
	if len(h.segs[0]) == 0 && len(h.segs[1]) == 0 {
		delete(t.held, s)
	}
}

// dropHeld forgets everything the stream held: it has closed.
func (s *stream) dropHeld() {
	t := s.t
	if h := t.held[s]; h != nil {
		t.buffered -= h.dir[0] + h.dir[1]
		delete(t.held, s)
	}
}
