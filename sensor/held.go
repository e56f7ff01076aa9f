package sensor

import "github.com/gopacket/gopacket/reassembly"

// Out-of-order bytes held for reassembly, for the operator's gauge
// (reassembly.buffered_bytes). gopacket's assembler keeps them in pages it
// does not report, so the tracker notes each segment it lets the assembler
// queue and forgets it once the stream's delivered end passes it (delivered
// in order, or skipped as a gap) or the connection closes. Overlapping
// queued segments are counted once each: the figure is an upper bound of
// what the assembler holds, not its page count, which max_buffered_* bound.

// maxHeldSegs bounds the segments noted per stream; past it the gauge
// undercounts that stream (the assembler's own bound is in pages).
const maxHeldSegs = 1024

// heldSeg is one queued segment: its first sequence number and length.
type heldSeg struct {
	seq reassembly.Sequence
	n   int
}

// heldStream is what one stream holds, per direction, and its byte sum.
type heldStream struct {
	segs  [2][]heldSeg
	bytes int
}

// Buffered returns the out-of-order bytes the tracker's connections wait
// on now (see heldSeg).
func (t *Tracker) Buffered() int { return t.buffered }

// noteHeld records a segment the assembler is about to queue.
func (s *stream) noteHeld(dir Direction, seq reassembly.Sequence, n int) {
	t := s.t
	if t.held == nil {
		t.held = map[*stream]*heldStream{}
	}
	h := t.held[s]
	if h == nil {
		h = &heldStream{}
		t.held[s] = h
	}
	if len(h.segs[dir]) >= maxHeldSegs {
		return
	}
	h.segs[dir] = append(h.segs[dir], heldSeg{seq, n})
	h.bytes += n
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
		if left == 0 {
			h.bytes -= g.n
			t.buffered -= g.n
			continue
		}
		if left < g.n {
			h.bytes -= g.n - left
			t.buffered -= g.n - left
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
		t.buffered -= h.bytes
		delete(t.held, s)
	}
}
