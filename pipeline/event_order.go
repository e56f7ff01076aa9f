package pipeline

import (
	"container/heap"

	"github.com/apisensor/sensor/pipeline/alert"
)

// eventOrder feeds the behavioural stage the events of every worker in one
// order that does not depend on how many workers there are or how their
// goroutines were scheduled: by key (the packet time at which the worker
// emitted the exchange), then by event id, which is derived from the
// capture, the connection and the exchange's sequence number. A window's
// counts and the revision an alert is raised at depend on the order events
// arrive in; in arrival order, two replays of one capture could disagree
// (a summary counting 650 authenticated requests in one and 648 in the
// other). An event is released once every worker has reported through a
// packet time at least its key: none can send an earlier one after that.
// The feeder ticks every worker once a second of packet time, so events
// wait about that long, plus the workers' queues.
type eventOrder struct {
	through []int64
	held    eventHeap
	out     []*alert.Event // reused between calls
}

func newEventOrder(workers int) *eventOrder {
	return &eventOrder{through: make([]int64, workers)}
}

// add takes a worker's results and returns the events now complete, in
// order. The slice is reused by the next call.
func (o *eventOrder) add(r *results) []*alert.Event {
	for i, e := range r.events {
		heap.Push(&o.held, heldEvent{key: r.keys[i], id: e.GetId(), ev: e})
	}
	o.through[r.worker] = max(o.through[r.worker], r.through)
	low := o.through[0]
	for _, t := range o.through[1:] {
		low = min(low, t)
	}
	o.out = o.out[:0]
	for len(o.held) > 0 && o.held[0].key <= low {
		o.out = append(o.out, heap.Pop(&o.held).(heldEvent).ev)
	}
	return o.out
}

// rest returns every event still held, in order, at the end of the input.
func (o *eventOrder) rest() []*alert.Event {
	o.out = o.out[:0]
	for len(o.held) > 0 {
		o.out = append(o.out, heap.Pop(&o.held).(heldEvent).ev)
	}
	return o.out
}

type heldEvent struct {
	key int64
	id  string
	ev  *alert.Event
}

type eventHeap []heldEvent

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	return h[i].key < h[j].key || h[i].key == h[j].key && h[i].id < h[j].id
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(heldEvent)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	old[len(old)-1] = heldEvent{}
	*h = old[:len(old)-1]
	return x
}
