package ops

import (
	"runtime"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Snapshot is one consistent view of the sensor's totals, taken once per
// scrape. Counter names are the sensor's own ("packets", "tcp.gap",
// "drop.conn_evicted", "kafka.delivered", …) with these conventions made by
// the snapshot source:
//
//	alerts.DETECTOR                     alerts raised by one detector
//	anomaly.PROTOCOL.KIND               a counter the run report files under anomalies
//	drop.REASON                         what a bound made the sensor shed
//	capture.kernel_packets.IFACE.SOCK   packets the kernel handed to one AF_PACKET socket
//	capture.kernel_drops.IFACE.SOCK     packets the kernel dropped (ring full)
//	capture.udp_drops.udp:ADDR          datagrams dropped on a UDP mirror listener
//	kafka.*                             the Kafka publisher's counters
//
// Counters only grow while the process lives, except the few current values
// a source reports among its counters (kafka.queued, kafka.spool_bytes,
// kafka.spool_records, capture.udp_rcvbuf_bytes.*), which become gauges.
// Gauges holds other current values.
type Snapshot struct {
	Counters map[string]uint64
	Gauges   map[string]float64
}

// family is one metric family with fixed label names.
type family struct {
	desc *prometheus.Desc
	kind prometheus.ValueType
}

func newFamily(name, help string, kind prometheus.ValueType, labels ...string) *family {
	return &family{desc: prometheus.NewDesc(name, help, labels, nil), kind: kind}
}

// The families. Labels take values from code-defined names (detectors,
// anomaly kinds, drop reasons, interfaces), so their number is bounded.
var (
	famPackets      = newFamily("sensor_packets_total", "Packets read from the capture sources.", prometheus.CounterValue)
	famBytes        = newFamily("sensor_bytes_total", "Bytes of the packets read from the capture sources.", prometheus.CounterValue)
	famKernelPkts   = newFamily("sensor_kernel_packets_total", "Packets the kernel handed to the capture sockets of an interface (dropped ones included).", prometheus.CounterValue, "source")
	famKernelDrops  = newFamily("sensor_kernel_drops_total", "Packets the kernel dropped before the sensor read them (ring or socket buffer full: the sensor was too slow), by capture source.", prometheus.CounterValue, "source")
	famKernelFreeze = newFamily("sensor_kernel_ring_freezes_total", "Times a capture ring filled up (TPACKET_V3 queue freezes).", prometheus.CounterValue, "source")
	famConnsOpened  = newFamily("sensor_connections_opened_total", "TCP connections tracked, including those picked up mid-stream.", prometheus.CounterValue)
	famStreamBytes  = newFamily("sensor_stream_bytes_total", "Reassembled TCP payload bytes handed to the decoders.", prometheus.CounterValue)
	famExchanges    = newFamily("sensor_exchanges_total", "Request/response exchanges rebuilt by the decoders.", prometheus.CounterValue)
	famAlerts       = newFamily("sensor_alerts_total", "Alerts raised, by detector.", prometheus.CounterValue, "detector")
	famAnomalies    = newFamily("sensor_anomalies_total", "Protocol and stream irregularities, by protocol (packet, tcp, http1, http2, grpc, decode) and kind.", prometheus.CounterValue, "protocol", "kind")
	famDrops        = newFamily("sensor_drops_total", "What a bound made the sensor shed, by reason.", prometheus.CounterValue, "reason")
	famTunnels      = newFamily("sensor_tunnel_headers_total", "Tunnel headers opened, by tunnel kind.", prometheus.CounterValue, "tunnel")
	famDetPanics    = newFamily("sensor_detector_panics_total", "Detector panics recovered (the exchange was skipped by that detector).", prometheus.CounterValue, "detector")
	famPubDelivered = newFamily("sensor_publish_delivered_total", "Records acknowledged by the destination.", prometheus.CounterValue, "publisher")
	famPubSpooled   = newFamily("sensor_publish_spooled_total", "Records written to the disk spool while the destination was away or slow.", prometheus.CounterValue, "publisher")
	famPubRetries   = newFamily("sensor_publish_retries_total", "Delivery attempts retried.", prometheus.CounterValue, "publisher")
	famPubDropped   = newFamily("sensor_publish_dropped_total", "Records given up (spool full, or no spool and queue full), by reason.", prometheus.CounterValue, "publisher", "reason")
	famPubErrors    = newFamily("sensor_publish_errors_total", "Failed publish calls, by reason.", prometheus.CounterValue, "publisher", "reason")
	famCounter      = newFamily("sensor_counter_total", "Every other sensor counter, by its name in the run report.", prometheus.CounterValue, "name")

	famConnections = newFamily("sensor_connections", "TCP connections tracked now.", prometheus.GaugeValue)
	famBuffered    = newFamily("sensor_reassembly_buffered_bytes", "Out-of-order bytes held for reassembly now.", prometheus.GaugeValue)
	famQueue       = newFamily("sensor_publish_queue_records", "Records waiting in the publisher's memory queue.", prometheus.GaugeValue, "publisher")
	famSpoolBytes  = newFamily("sensor_spool_bytes", "Bytes in the publisher's disk spool.", prometheus.GaugeValue, "publisher")
	famSpoolRecs   = newFamily("sensor_spool_records", "Records in the publisher's disk spool.", prometheus.GaugeValue, "publisher")
	famUDPRcvBuf   = newFamily("sensor_udp_receive_buffer_bytes", "Socket receive buffer the kernel granted to a UDP mirror listener.", prometheus.GaugeValue, "source")
	famStatsTime   = newFamily("sensor_stats_timestamp_seconds", "Unix time of the totals served (they are refreshed every stats_interval).", prometheus.GaugeValue)
	famGauge       = newFamily("sensor_gauge", "Every other sensor gauge, by name.", prometheus.GaugeValue, "name")
)

var allFamilies = []*family{
	famPackets, famBytes, famKernelPkts, famKernelDrops, famKernelFreeze, famUDPRcvBuf, famConnsOpened, famStreamBytes,
	famExchanges, famAlerts, famAnomalies, famDrops, famTunnels, famDetPanics,
	famPubDelivered, famPubSpooled, famPubRetries, famPubDropped, famPubErrors, famCounter,
	famConnections, famBuffered, famQueue, famSpoolBytes, famSpoolRecs, famStatsTime, famGauge,
}

// series is a family with its label values.
type series struct {
	f      *family
	labels []string
}

// exactCounters maps whole counter names; prefixes are in mapCounter.
var exactCounters = map[string]series{
	"packets":          {famPackets, nil},
	"bytes":            {famBytes, nil},
	"exchanges":        {famExchanges, nil},
	"tcp.connections":  {famConnsOpened, nil},
	"tcp.stream_bytes": {famStreamBytes, nil},
	"kafka.delivered":  {famPubDelivered, []string{"kafka"}},
	"kafka.spooled":    {famPubSpooled, []string{"kafka"}},
	"kafka.retries":    {famPubRetries, []string{"kafka"}},
	"kafka.errors":     {famPubErrors, []string{"kafka", "produce"}},
	"publish.errors":   {famPubErrors, []string{"pipeline", "publish"}},
	// The publisher reports these current values among its counters.
	"kafka.queued":        {famQueue, []string{"kafka"}},
	"kafka.spool_bytes":   {famSpoolBytes, []string{"kafka"}},
	"kafka.spool_records": {famSpoolRecs, []string{"kafka"}},
}

// skipped are totals also counted per capture source: the labelled
// families carry them, and sum() gives the total back.
var skipped = map[string]bool{
	"capture.kernel_packets": true,
	"capture.kernel_drops":   true,
	"capture.kernel_freezes": true,
	"capture.udp_drops":      true,
}

// counterPrefixes map a name prefix to a family whose last label is the
// rest of the name.
var counterPrefixes = []struct {
	prefix string
	series
}{
	{"alerts.", series{famAlerts, nil}},
	{"drop.", series{famDrops, nil}},
	{"capture.kernel_packets.", series{famKernelPkts, nil}},
	{"capture.kernel_drops.", series{famKernelDrops, nil}},
	{"capture.kernel_freezes.", series{famKernelFreeze, nil}},
	{"capture.udp_drops.", series{famKernelDrops, nil}},
	{"capture.udp_rcvbuf_bytes.", series{famUDPRcvBuf, nil}},
	{"packet.decap.", series{famTunnels, nil}},
	{"detect.panic.", series{famDetPanics, nil}},
	{"kafka.dropped.", series{famPubDropped, []string{"kafka"}}},
}

// exactGauges maps gauge names; others go to sensor_gauge{name}.
var exactGauges = map[string]series{
	"connections":               {famConnections, nil},
	"reassembly.buffered_bytes": {famBuffered, nil},
	"stats.timestamp_seconds":   {famStatsTime, nil},
}

// metricKey is one series: a family and its label values.
type metricKey struct {
	f      *family
	labels string // label values joined by \x00
}

// mapCounter returns the family and label values of counter name.
func mapCounter(name string) (*family, []string) {
	if m, ok := exactCounters[name]; ok {
		return m.f, m.labels
	}
	if rest, ok := strings.CutPrefix(name, "anomaly."); ok {
		proto, kind, found := strings.Cut(rest, ".")
		if !found {
			proto, kind = "other", rest
		}
		return famAnomalies, []string{proto, kind}
	}
	for _, p := range counterPrefixes {
		if rest, ok := strings.CutPrefix(name, p.prefix); ok && rest != "" {
			if p.f == famKernelPkts || p.f == famKernelDrops || p.f == famKernelFreeze {
				rest = sourceOf(rest)
			}
			return p.f, append(slices.Clip(p.labels), rest)
		}
	}
	return famCounter, []string{name}
}

// sourceOf names the capture source of a per-socket counter suffix: the
// AF_PACKET sockets of one interface ("eth0.100.3": interface eth0.100,
// socket 3) add up to their interface; UDP listeners stay as they are.
func sourceOf(suffix string) string {
	if strings.HasPrefix(suffix, "udp:") {
		return suffix
	}
	i := strings.LastIndexByte(suffix, '.')
	if i <= 0 {
		return suffix
	}
	for _, c := range suffix[i+1:] {
		if c < '0' || c > '9' {
			return suffix
		}
	}
	if i == len(suffix)-1 {
		return suffix
	}
	return suffix[:i]
}

// mapGauge returns the family and label values of gauge name.
func mapGauge(name string) (*family, []string) {
	if m, ok := exactGauges[name]; ok {
		return m.f, m.labels
	}
	return famGauge, []string{name}
}

// collector turns each scrape's Snapshot into the families above.
type collector struct {
	snap func() Snapshot
}

// NewCollector returns a collector that calls snap once per scrape, so that
// every series of one scrape comes from the same view. snap must be safe to
// call from any goroutine.
func NewCollector(snap func() Snapshot) prometheus.Collector {
	return &collector{snap: snap}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range allFamilies {
		ch <- f.desc
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.snap()
	// Two names may land on one series (e.g. a counter both mapped and
	// prefixed): sum them, since a registry refuses duplicates.
	vals := make(map[metricKey]float64, len(s.Counters)+len(s.Gauges))
	labels := make(map[metricKey][]string, len(s.Counters)+len(s.Gauges))
	add := func(f *family, lv []string, v float64) {
		k := metricKey{f: f, labels: strings.Join(lv, "\x00")}
		vals[k] += v
		labels[k] = lv
	}
	for name, v := range s.Counters {
		if skipped[name] {
			continue
		}
		f, lv := mapCounter(name)
		add(f, lv, float64(v))
	}
	for name, v := range s.Gauges {
		f, lv := mapGauge(name)
		add(f, lv, v)
	}
	for k, v := range vals {
		ch <- prometheus.MustNewConstMetric(k.f.desc, k.f.kind, v, labels[k]...)
	}
}

// NewRegistry returns a registry with the sensor's collector (when snap is
// not nil), the Go runtime and process collectors, and sensor_build_info.
func NewRegistry(snap func() Snapshot, version string) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	if snap != nil {
		reg.MustRegister(NewCollector(snap))
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "sensor_build_info",
			Help:        "Always 1; the labels tell the build.",
			ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
	)
	return reg
}
