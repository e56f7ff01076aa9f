package pipeline

import (
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/apisensor/sensor/pipeline/ops"
	"github.com/apisensor/sensor/sensor"
)

// Live holds the latest run report as counters for the metrics endpoint.
// The output stage calls Set with each periodic report (every
// Config.StatsInterval) and the final one; scrapes call Snapshot from the
// HTTP server's goroutines. The zero value is ready to use.
type Live struct {
	mu       sync.Mutex
	counters map[string]uint64
	open     uint64 // connections tracked at the last report
	buffered uint64 // out-of-order bytes they waited on
	at       time.Time
	sources  []func() map[string]uint64
}

// Set records r. It keeps a copy: r may change after the call.
func (l *Live) Set(r *Report) {
	c := reportCounters(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	// Reader-side totals reach the report only at the end of a replay, so
	// a later report may lack a name an earlier one had: keep the larger,
	// so that a counter never goes backwards.
	for k, v := range l.counters {
		if c[k] < v && !current(k) {
			c[k] = v
		}
	}
	l.counters, l.at, l.open, l.buffered = c, time.Now(), r.OpenConnections, r.BufferedBytes
}

// AddCounters adds a source read at every Snapshot, for counters fresher
// than the last report (e.g. the Kafka publisher's Stats().Counters()).
// Its names replace the report's. fn must be safe for concurrent use.
func (l *Live) AddCounters(fn func() map[string]uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sources = append(l.sources, fn)
}

// Snapshot returns the counters of the last report merged with the
// sources', named as ops expects (see ops.Snapshot).
func (l *Live) Snapshot() ops.Snapshot {
	l.mu.Lock()
	c := maps.Clone(l.counters)
	at, open, buffered := l.at, l.open, l.buffered
	sources := l.sources
	l.mu.Unlock()
	if c == nil {
		c = map[string]uint64{}
	}
	for _, fn := range sources {
		maps.Copy(c, fn())
	}
	s := ops.Snapshot{Counters: c, Gauges: map[string]float64{}}
	if !at.IsZero() {
		s.Gauges["stats.timestamp_seconds"] = float64(at.UnixNano()) / 1e9
		s.Gauges["connections"] = float64(open)
		s.Gauges["reassembly.buffered_bytes"] = float64(buffered)
	}
	return s
}

// current reports whether a name among the counters is a current value
// (ops turns it into a gauge), which may go down.
func current(name string) bool {
	switch name {
	case "kafka.queued", "kafka.spool_bytes", "kafka.spool_records":
		return true
	}
	return strings.HasPrefix(name, "capture.udp_rcvbuf_bytes.")
}

// reportCounters flattens a report into the counter names of ops.Snapshot.
func reportCounters(r *Report) map[string]uint64 {
	c := make(map[string]uint64, 8+len(r.AlertsByDetector)+len(r.Anomalies)+len(r.Drops)+len(r.Counters)+len(r.Publisher))
	c["packets"] = r.Packets
	c["bytes"] = r.Bytes
	c["exchanges"] = r.Exchanges
	if r.Files > 0 { // replay only
		c["files"] = uint64(r.Files)
	}
	c["publish.errors"] = r.PublishErrors
	for d, n := range r.AlertsByDetector {
		c["alerts."+d] = n
	}
	for k, n := range r.Anomalies {
		// The report files every unlisted counter under anomalies; capture
		// and tunnel counters have families of their own.
		if strings.HasPrefix(k, "capture.") || strings.HasPrefix(k, sensor.CountDecapPrefix) {
			c[k] = n
			continue
		}
		c["anomaly."+k] = n
	}
	for reason, n := range r.Drops {
		// SetPublisher copies kafka.dropped.* here as kafka_*, and live
		// capture copies capture.kernel_drops and the like: counted once,
		// under their own names.
		if strings.HasPrefix(reason, "kafka_") {
			continue
		}
		if _, dup := r.Counters["capture."+reason]; dup {
			continue
		}
		c["drop."+reason] = n
	}
	maps.Copy(c, r.Counters)
	maps.Copy(c, r.Publisher)
	return c
}
