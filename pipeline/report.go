package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/apisensor/sensor/sensor"
)

// Report is the run report of a replay: what was read, rebuilt, noticed and
// dropped. It is printed on stderr at the end and written with --stats-json.
type Report struct {
	SensorID string `json:"sensor_id,omitempty"`
	// Partial marks a report sent while the run goes on.
	Partial     bool   `json:"partial,omitempty"`
	Files       int    `json:"files"`
	Packets     uint64 `json:"packets"`
	Bytes       uint64 `json:"bytes"`
	Connections uint64 `json:"connections"`
	// OpenConnections is the number tracked when the report was made: 0 at
	// the end of a run, the live gauge in periodic reports.
	OpenConnections uint64 `json:"open_connections,omitempty"`
	// BufferedBytes is the out-of-order bytes those connections wait on
	// (sensor.Tracker.Buffered), at the same moment.
	BufferedBytes uint64  `json:"buffered_bytes,omitempty"`
	Exchanges     uint64  `json:"exchanges"`
	Alerts        uint64  `json:"alerts"`
	ElapsedSec    float64 `json:"elapsed_seconds"`
	MBps          float64 `json:"mb_per_second"`
	PacketsPS     float64 `json:"packets_per_second"`
	// AlertsByDetector counts alerts per detector.
	AlertsByDetector map[string]uint64 `json:"alerts_by_detector"`
	// Anomalies counts protocol and stream irregularities by kind.
	Anomalies map[string]uint64 `json:"anomalies"`
	// Drops counts what a bound made the sensor shed, by reason.
	Drops map[string]uint64 `json:"drops"`
	// Counters holds every other counter by name.
	Counters      map[string]uint64 `json:"counters"`
	PublishErrors uint64            `json:"publish_errors"`
	// Publisher holds the publisher's counters after its final flush
	// (delivered, spooled, dropped by reason).
	Publisher map[string]uint64 `json:"publisher,omitempty"`
	// Interrupted is set when the replay was stopped (SIGINT, SIGTERM)
	// before the end of its input.
	Interrupted bool     `json:"interrupted,omitempty"`
	Errors      []string `json:"errors,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`

	oversize uint64 // packets too large for a batch
}

// informational counters are totals, not anomalies.
var informational = map[string]bool{
	sensor.CountConns:                true,
	sensor.CountConnsMidStream:       true,
	sensor.CountStreamBytes:          true,
	sensor.CountPacketsNonTCP:        true,
	sensor.CountPacketsNonIP:         true,
	sensor.CountFragments:            true,
	sensor.CountIPv6ExtHeaders:       true,
	sensor.CountIdleClosed:           true,
	sensor.CountRetransmit:           true,
	sensor.CountOverlapUnchecked:     true,
	"http1.midstream_skipped_bytes":  true,
	"decode.midstream_skipped_bytes": true,
	sensor.CountAfterClose:           true,
	"grpc.calls":                     true,
	"grpc.sniffed":                   true,
	"http2.goaway":                   true,
	"http2.upgrade_stream":           true,
	"tls.client_hellos":              true,
	"tls.encrypted_bytes":            true,
}

func (r *Report) finish(fs sensor.FileStats, readerCounts sensor.Counts, tallies []tally, elapsed time.Duration) {
	all := sensor.Counts{}
	all.Merge(readerCounts)
	r.AlertsByDetector = map[string]uint64{}
	for _, t := range tallies {
		r.OpenConnections += uint64(t.open)
		r.BufferedBytes += uint64(t.buffered)
		all.Merge(t.counts)
		r.Exchanges += t.exchanges
		for d, n := range t.alerts {
			r.AlertsByDetector[d] += n
			r.Alerts += n
		}
	}
	r.Files = fs.Files
	r.Packets = fs.Packets
	r.Bytes = fs.Bytes
	r.Connections = all[sensor.CountConns]
	r.ElapsedSec = elapsed.Seconds()
	if s := elapsed.Seconds(); s > 0 {
		r.MBps = float64(fs.Bytes) / 1e6 / s
		r.PacketsPS = float64(fs.Packets) / s
	}
	r.Anomalies, r.Drops, r.Counters = map[string]uint64{}, map[string]uint64{}, map[string]uint64{}
	for k, v := range all {
		switch {
		case strings.HasPrefix(k, "drop."):
			r.Drops[strings.TrimPrefix(k, "drop.")] = v
		case informational[k], strings.HasPrefix(k, CountCorroborated+"."), strings.HasPrefix(k, CountExcepted+"."):
			r.Counters[k] = v
		default:
			r.Anomalies[k] = v
		}
	}
}

// SetPublisher records the publisher's final counters; its drops also count
// among the report's drops.
func (r *Report) SetPublisher(counters map[string]uint64) {
	r.Publisher = counters
	for k, v := range counters {
		if reason, ok := strings.CutPrefix(k, "kafka.dropped."); ok && v > 0 {
			r.Drops["kafka_"+reason] += v
		}
	}
}

// WriteProblems prints only the file errors and warnings.
func (r *Report) WriteProblems(w io.Writer) {
	if r.Interrupted {
		fmt.Fprintln(w, "sensor: interrupted before the end of the input")
	}
	for _, e := range r.Warnings {
		fmt.Fprintf(w, "sensor: warning: %s\n", e)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(w, "sensor: error: %s\n", e)
	}
}

// WriteText prints the report for a person.
func (r *Report) WriteText(w io.Writer) {
	fmt.Fprintf(w, "sensor: %d file(s), %d packets, %.1f MB in %.2fs (%.1f MB/s, %.0f packets/s)\n",
		r.Files, r.Packets, float64(r.Bytes)/1e6, r.ElapsedSec, r.MBps, r.PacketsPS)
	fmt.Fprintf(w, "sensor: %d connections, %d exchanges, %d alerts\n", r.Connections, r.Exchanges, r.Alerts)
	section := func(title string, m map[string]uint64) {
		if len(m) == 0 {
			return
		}
		fmt.Fprintf(w, "sensor: %s:", title)
		for _, k := range sensor.Counts(m).Keys() {
			fmt.Fprintf(w, " %s=%d", k, m[k])
		}
		fmt.Fprintln(w)
	}
	section("alerts by detector", r.AlertsByDetector)
	section("anomalies", r.Anomalies)
	section("drops", r.Drops)
	section("publisher", r.Publisher)
	r.WriteProblems(w)
}

// WriteJSONFile writes the report as JSON to path.
func (r *Report) WriteJSONFile(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
