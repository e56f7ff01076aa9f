// Package detect defines the detector contract, the registry detectors join
// from init, and the helpers that turn an exchange into an alert.
//
// Input: decoders.Exchange values, handed over by the pipeline on the worker
// goroutine that owns the flow. Output: alert.Alert values, which the
// pipeline batches to the publishers (pipeline/publish/...). Detectors live
// in sub-packages (injection, …); which ones run is configuration.
package detect

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// Detector inspects one exchange and returns alerts.
//
// Inspect appends what it finds to out and returns the extended slice, so a
// worker can reuse one slice across exchanges. It is called on the worker
// goroutine that owns the flow, and from several workers at once: a
// detector keeps no shared mutable state, or guards it. It must not keep x
// or anything reachable from it after returning; the alerts it returns hold
// copies.
type Detector interface {
	Name() string
	Inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert
}

// Counted is implemented by detectors that count what they did beyond
// alerts (a run skipped for budget): the pipeline adds Counters to the run
// report. Keys are dotted counter names; values only grow.
type Counted interface {
	Counters() map[string]uint64
}

// Merger is implemented by a detector that can take over the work of the
// detector built right after it, so that related detectors share
// per-exchange work. New offers each detector to the one before it; Merge
// returns false to refuse. A merged detector must raise the alerts the two
// would have, in the same order.
type Merger interface {
	Merge(next Detector) bool
}

// NewFunc builds a detector from its settings.
type NewFunc func(cfg Config) (Detector, error)

// ErrUnknown is returned by New for a name no detector registered.
var ErrUnknown = errors.New("unknown detector")

var (
	regMu    sync.RWMutex
	registry = map[string]NewFunc{}
)

// Register makes a detector available by name. It is meant to be called
// from init; a duplicate name panics.
func Register(name string, newFn NewFunc) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[name]; dup {
		panic(fmt.Sprintf("detect: detector %q registered twice", name))
	}
	registry[name] = newFn
}

// Names returns the registered detector names, sorted.
func Names() []string {
	regMu.RLock()
	defer regMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// New builds the named detectors, in the order given; a name listed twice
// is built once, and a detector that implements Merger may absorb the one
// after it. Zero settings in cfg take their defaults before the
// constructors see it. New fails if cfg is invalid, a name is unknown, or any
// constructor fails: either every detector is built or none is.
func New(names []string, cfg Config) ([]Detector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	regMu.RLock()
	defer regMu.RUnlock()
	ds := make([]Detector, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			continue
		}
		seen[n] = true
		newFn, ok := registry[n]
		if !ok {
			return nil, fmt.Errorf("detector %q: %w (have %v)", n, ErrUnknown, sortedKeys(registry))
		}
		d, err := newFn(cfg)
		if err != nil {
			return nil, fmt.Errorf("detector %q: %w", n, err)
		}
		if len(ds) > 0 {
			if m, ok := ds[len(ds)-1].(Merger); ok && m.Merge(d) {
				continue
			}
		}
		ds = append(ds, d)
	}
	return ds, nil
}

func sortedKeys(m map[string]NewFunc) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
