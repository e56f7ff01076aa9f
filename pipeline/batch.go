package pipeline

import (
	"time"

	"github.com/apisensor/sensor/sensor"
)

// batch carries packets from the reader to one worker. Packet L4 bytes live in
// buf, so a batch is one unit of memory that goes back to its worker's free
// list once processed.
type batch struct {
	pkts []sensor.Packet
	buf  []byte
	// now is the reader's packet clock when the batch was sent: it ticks
	// workers that receive no packets.
	now time.Time
}

// batchBytes is the arena size of one batch; a packet larger than what is
// left goes into the next batch. 64 KiB + headers is the largest IP packet,
// also after IPv4 reassembly.
const batchBytes = 256 << 10

func newBatch(packets int) *batch {
	return &batch{pkts: make([]sensor.Packet, 0, packets), buf: make([]byte, 0, batchBytes)}
}

// add copies p into the batch; it reports false when the batch is full.
func (b *batch) add(p *sensor.Packet) bool {
	if len(b.pkts) == cap(b.pkts) || len(b.buf)+len(p.L4) > cap(b.buf) {
		return false
	}
	start := len(b.buf)
	b.buf = append(b.buf, p.L4...)
	q := *p
	q.L4 = b.buf[start:len(b.buf):len(b.buf)]
	b.pkts = append(b.pkts, q)
	return true
}

func (b *batch) reset() {
	clear(b.pkts) // drop references to sources and addresses
	b.pkts = b.pkts[:0]
	b.buf = b.buf[:0]
	b.now = time.Time{}
}
