package pipeline

import (
	"time"

	"github.com/apisensor/sensor/sensor"
)

// feeder batches one producer's packets for the workers: a file reader has
// one, a live capture one per socket. Each feeder holds one batch per worker
// and shards by inner flow (shardOf), so both directions of a connection
// meet on one worker whichever socket or file they came from.
type feeder struct {
	workers  []*worker
	cur      []*batch
	now      time.Time // the latest packet time seen
	lastTick time.Time
	oversize uint64 // packets larger than a batch
}

func newFeeder(workers []*worker) *feeder {
	f := &feeder{workers: workers, cur: make([]*batch, len(workers))}
	for i, w := range workers {
		f.cur[i] = <-w.free
	}
	return f
}

// send hands worker i its current batch, stamped now, and takes a free one.
// It blocks while the worker's queue is full.
func (f *feeder) send(i int, now time.Time) {
	f.cur[i].now = now
	f.workers[i].in <- f.cur[i]
	f.cur[i] = <-f.workers[i].free
}

// packet copies p into its worker's batch, sending the batch when full.
func (f *feeder) packet(p *sensor.Packet) {
	if p.Time.After(f.now) {
		f.now = p.Time
	}
	i := shardOf(p, len(f.workers))
	if !f.cur[i].add(p) {
		f.send(i, f.now)
		if !f.cur[i].add(p) {
			// Larger than a batch: only a bogus length gets here.
			f.oversize++
		}
	}
	// Tick every worker once per second of packet time, so idle timeouts
	// fire on workers that see no packets.
	if f.now.Sub(f.lastTick) >= time.Second {
		f.tick(f.now)
	}
}

// tick sends every worker its current batch, even empty, so that its clock
// reaches now.
func (f *feeder) tick(now time.Time) {
	f.lastTick = now
	for i := range f.cur {
		f.send(i, now)
	}
}
