package sensor

import (
	"maps"
	"slices"
)

// Counts holds event counters by kind ("http1.bare_lf", "drop.conn_limit", …).
// A Counts is owned by one goroutine (a worker); owners merge them into a
// report, so the packet path takes no lock.
type Counts map[string]uint64

// Add adds n to kind.
func (c Counts) Add(kind string, n uint64) { c[kind] += n }

// Inc adds one to kind.
func (c Counts) Inc(kind string) { c[kind]++ }

// Merge adds every counter of o into c.
func (c Counts) Merge(o Counts) {
	for k, v := range o {
		c[k] += v
	}
}

// Keys returns the kinds in sorted order.
func (c Counts) Keys() []string { return slices.Sorted(maps.Keys(c)) }
