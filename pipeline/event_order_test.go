package pipeline

import (
	"slices"
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
)

// TestEventOrder checks the behavioural stage's merge: events come out in
// key then id order, whatever order the workers' results arrive in, and
// none before every worker has reported through its key.
func TestEventOrder(t *testing.T) {
	ev := func(id string) *alert.Event { return &alert.Event{Id: id} }
	ids := func(es []*alert.Event) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.GetId())
		}
		return out
	}
	o := newEventOrder(2)
	got := ids(o.add(&results{worker: 1, events: []*alert.Event{ev("b3"), ev("b5")}, keys: []int64{3, 5}, through: 5}))
	if len(got) != 0 {
		t.Fatalf("released %v before worker 0 reported", got)
	}
	got = ids(o.add(&results{worker: 0, events: []*alert.Event{ev("a3"), ev("a4"), ev("a6")}, keys: []int64{3, 4, 6}, through: 4}))
	if want := []string{"a3", "b3", "a4"}; !slices.Equal(got, want) {
		t.Errorf("released %v, want %v (key, then id)", got, want)
	}
	got = ids(o.add(&results{worker: 0, through: 9}))
	if want := []string{"b5"}; !slices.Equal(got, want) {
		t.Errorf("released %v, want %v: worker 1 is through 5 only", got, want)
	}
	if got := ids(o.rest()); !slices.Equal(got, []string{"a6"}) {
		t.Errorf("rest %v, want [a6]", got)
	}
}
