package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/behave"
	"github.com/apisensor/sensor/pipeline/consume"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
	"github.com/apisensor/sensor/sensor"
)

const aggregateUsage = `Usage: sensor aggregate --brokers HOST:PORT[,...] [flags]

Cross-sensor behavioural detection: reads the exchange events every sensor
publishes (sensor replay --kafka-events-topic sensor.events) as a member of a
consumer group, runs the behavioural engine over all of them together, and
publishes its alerts (detector "behave") to the alerts topic. A client whose
traffic is split between sensors is judged on all of it, and so is an
endpoint attacked from many clients seen by different sensors.

The engine's clock is the event (packet) time of the slowest partition being
read, so that a partition read ahead of the others does not close windows
the others still feed. Without --follow it stops at the end of the topic as
it was at start and closes every window; with --follow it runs until
interrupted, then closes every window.

One aggregator must read every partition for the rules that count across
clients (distributed stuffing, brute force on one username, token sharing,
endpoint baselines): run one instance per group. Several instances share the
partitions, and then each sees only the clients of its partitions.

Flags:
`

// aggregateCmd runs `sensor aggregate`.
func aggregateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	kcfg := kafka.DefaultConfig()
	bcfg := behave.DefaultConfig()
	fs := flag.NewFlagSet("aggregate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, aggregateUsage); fs.PrintDefaults() }
	var (
		eventsTopic = fs.String("events-topic", "sensor.events", "topic the sensors publish exchange events to")
		group       = fs.String("group", "sensor-aggregate", "consumer group of the aggregators (one instance: see above)")
		from        = fs.String("from", "beginning", "where a group that never committed starts: beginning or end")
		follow      = fs.Bool("follow", false, "keep reading new events until interrupted")
		idle        = fs.Duration("partition-idle", 30*time.Second, "a partition that delivered nothing for this long (wall time) no longer holds the clock back")
		dedupe      = fs.Int("dedupe-events", 1<<18, "recent event ids remembered to drop Kafka redeliveries")
	)
	_, finishClient := kafkaClientFlags(fs, "", &kcfg.Client)
	fs.StringVar(&kcfg.Topic, "topic", kcfg.Topic, "topic the alerts go to")
	fs.StringVar(&kcfg.Encoding, "encoding", kcfg.Encoding, "alert encoding: protobuf or json")
	fs.StringVar(&kcfg.Producer.SpoolDir, "spool-dir", "", "directory where alerts wait while the brokers are away")
	fs.BoolVar(&kcfg.Producer.CreateTopics, "create-topics", false, "create a missing alerts topic instead of failing at start")
	fs.StringVar(&kcfg.SensorID, "sensor-id", aggregatorName(), "this aggregator's name on the alert records")
	fs.IntVar(&bcfg.MaxKeys, "max-keys", bcfg.MaxKeys, "identities with behavioural state; past it the least recently seen are evicted")
	fs.DurationVar(&bcfg.Grace, "grace", bcfg.Grace, "how long (event time) a window waits for late events after its end")
	level, format := commonFlags(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	usageErr := func(err error) int {
		fmt.Fprintln(stderr, "sensor aggregate:", err)
		return 2
	}
	if fs.NArg() > 0 {
		return usageErr(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	finishClient()
	log, err := newLogger(stderr, *level, *format)
	if err != nil {
		return usageErr(err)
	}
	ccfg := consume.Config{Client: kcfg.Client, Topics: []string{*eventsTopic}, Group: *group, Follow: *follow, Log: log}
	if ccfg.From, err = consume.ParsePosition(*from); err != nil {
		return usageErr(fmt.Errorf("--from: %w", err))
	}
	if err := ccfg.Validate(); err != nil {
		return usageErr(err)
	}
	bcfg.ExternalClock = true
	engine, err := behave.New(bcfg)
	if err != nil {
		return usageErr(err)
	}
	kcfg.Logger = log.With("component", "kafka")
	pub, err := kafka.New(kcfg)
	if err != nil {
		fmt.Fprintln(stderr, "sensor aggregate:", err)
		return 1
	}

	agg := newAggregator(engine, *idle, *dedupe)
	// Every partition holds the clock until it delivers or idles out, so
	// that the first partition read does not run the clock ahead.
	parts, err := topicPartitions(ctx, kcfg.Client, *eventsTopic)
	if err != nil {
		pub.Close()
		fmt.Fprintln(stderr, "sensor aggregate:", err)
		return 1
	}
	agg.expect(*eventsTopic, parts, time.Now())
	var pubErr error
	publishNow := func(as []*alert.Alert) {
		if len(as) == 0 {
			return
		}
		agg.published += uint64(len(as))
		if err := pub.Publish(ctx, slices.Clone(as)); err != nil && pubErr == nil {
			pubErr = err
		}
	}
	sum, runErr := consume.Run(ctx, ccfg, func(r *consume.Record) error {
		publishNow(agg.record(r, time.Now()))
		return nil
	})
	publishNow(engine.Flush(nil))
	closeErr := pub.Close()

	st := engine.Stats()
	fmt.Fprintf(stderr, "sensor aggregate: %d events read (%d undecodable, %d duplicates, %d not events), %d alerts published\n",
		sum.Messages, sum.Undecodable, agg.duplicates, agg.other, agg.published)
	fmt.Fprintf(stderr, "sensor aggregate: behave tracked=%d evicted=%d late=%d window_dropped=%d\n",
		st[behave.CountTracked], st[behave.CountEvicted], st[behave.CountLate], st[behave.CountWinDropped])
	for _, c := range kafkaCounters(pub) {
		fmt.Fprintln(stderr, "sensor aggregate: kafka", c)
	}
	for _, err := range []error{runErr, pubErr, closeErr} {
		if err != nil {
			fmt.Fprintln(stderr, "sensor aggregate:", err)
			return 1
		}
	}
	return 0
}

// aggregator turns event records into engine calls: it drops redelivered
// events and keeps the engine's clock at the slowest active partition.
type aggregator struct {
	engine *behave.Engine
	idle   time.Duration
	seen   *simplelru.LRU[string, struct{}]
	parts  map[partKey]*partClock
	alerts []*alert.Alert

	duplicates, other, published uint64
}

type partKey struct {
	topic     string
	partition int
}

// partClock is the latest event time read from one partition, and when
// (wall time) it was read.
type partClock struct {
	max  int64
	seen time.Time
}

func newAggregator(e *behave.Engine, idle time.Duration, dedupe int) *aggregator {
	seen, _ := simplelru.NewLRU[string, struct{}](max(dedupe, 1), nil)
	return &aggregator{engine: e, idle: idle, seen: seen, parts: map[partKey]*partClock{}}
}

// record feeds one record and returns the alerts it raised or closed (the
// slice is reused by the next call).
func (a *aggregator) record(r *consume.Record, now time.Time) []*alert.Alert {
	a.alerts = a.alerts[:0]
	ev := r.Event
	if ev == nil {
		a.other++
		return nil
	}
	if id := ev.GetId(); id != "" {
		if a.seen.Contains(id) {
			a.duplicates++
			return nil
		}
		a.seen.Add(id, struct{}{})
	}
	a.alerts = a.engine.Observe(ev, a.alerts)
	ts := ev.GetTimestamp()
	if ts == nil {
		return a.alerts
	}
	t := ts.GetSeconds()*1e9 + int64(ts.GetNanos())
	k := partKey{r.Topic, r.Partition}
	p := a.parts[k]
	if p == nil {
		p = &partClock{max: t}
		a.parts[k] = p
	}
	p.max = max(p.max, t)
	p.seen = now
	// The clock is the slowest partition's latest time: events of one
	// partition arrive roughly in time order (one sensor's), but
	// partitions are read at different paces.
	wm := int64(math.MaxInt64)
	for _, q := range a.parts {
		if now.Sub(q.seen) <= a.idle {
			wm = min(wm, q.max)
		}
	}
	if wm != math.MaxInt64 {
		a.alerts = a.engine.Advance(wm, a.alerts)
	}
	return a.alerts
}

// expect registers the partitions of topic before any is read.
func (a *aggregator) expect(topic string, partitions []int, now time.Time) {
	for _, p := range partitions {
		a.parts[partKey{topic, p}] = &partClock{max: math.MinInt64, seen: now}
	}
}

// topicPartitions asks the brokers for the partitions of topic.
func topicPartitions(ctx context.Context, c kafka.ClientConfig, topic string) ([]int, error) {
	tr, err := c.Transport()
	if err != nil {
		return nil, err
	}
	defer tr.CloseIdleConnections()
	cl := &kafkago.Client{Addr: kafkago.TCP(c.Brokers...), Transport: tr, Timeout: 30 * time.Second}
	md, err := cl.Metadata(ctx, &kafkago.MetadataRequest{Topics: []string{topic}})
	if err != nil {
		return nil, fmt.Errorf("kafka metadata: %w", err)
	}
	var ps []int
	for _, t := range md.Topics {
		if t.Error != nil {
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			ps = append(ps, p.ID)
		}
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("topic %s: no partitions (does it exist?)", topic)
	}
	return ps, nil
}

func kafkaCounters(p *kafka.Publisher) []string {
	c := sensor.Counts(p.Stats().Counters())
	var out []string
	for _, k := range c.Keys() {
		out = append(out, fmt.Sprintf("%s=%d", k, c[k]))
	}
	return out
}

// aggregatorName is the default sensor id of an aggregator.
func aggregatorName() string {
	h, err := os.Hostname()
	if err != nil {
		h = "sensor"
	}
	return h + "-aggregate"
}
