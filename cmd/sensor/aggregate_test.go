package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/behave"
	"github.com/apisensor/sensor/pipeline/consume"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
)

// aggEvents builds the traffic two sensors see between them: credential
// stuffing from one address (its requests split between the two links),
// distributed stuffing from ten addresses (five behind each sensor), one
// username brute-forced from two addresses and one token used from six.
// split says which sensor (0 or 1) saw each event. Events are in time
// order.
func aggEvents() (evs []*alert.Event, split []int) {
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	n := 0
	add := func(at time.Duration, sensor int, ip, method, path string, status uint32, f func(*alert.Event)) {
		n++
		e := &alert.Event{
			Id:        fmt.Sprintf("agg-%05d", n),
			Timestamp: timestamppb.New(t0.Add(at)),
			Flow:      &alert.Flow{SrcIp: ip, DestIp: "10.98.0.2", DestPort: 8080, Proto: "TCP", AppProto: "http"},
			Client:    &alert.Client{Ip: ip, UserAgent: "Go-http-client/1.1"},
			Http:      &alert.EventHttp{Method: method, Host: "10.98.0.2:8080", PathTemplate: path, Status: status},
			Sensor:    &alert.Sensor{Id: "s" + strconv.Itoa(sensor)},
		}
		if f != nil {
			f(e)
		}
		evs = append(evs, e)
		split = append(split, sensor)
	}
	fail := func(user, pass string) func(*alert.Event) {
		return func(e *alert.Event) {
			e.Login = &alert.Login{Username: "h:" + user, Password: pass, Outcome: alert.LoginOutcome_LOGIN_OUTCOME_FAILURE}
		}
	}
	for i := range 60 {
		add(time.Duration(i)*3*time.Second, i%2, "10.98.1.5", "POST", "/api/login", 401, fail("user"+strconv.Itoa(i), "x"))
	}
	for c := range 10 {
		for i := range 8 {
			add(time.Duration(c*8+i)*2500*time.Millisecond+time.Second, c%2, "10.98.2."+strconv.Itoa(10+c), "POST", "/api/login", 401,
				fail("victim"+strconv.Itoa(c*8+i), "y"))
		}
	}
	for i := range 30 {
		add(time.Duration(i)*5*time.Second+2*time.Second, i%2, "10.98.3."+strconv.Itoa(5+i%2), "POST", "/api/login", 401, fail("alice", "p"+strconv.Itoa(i)))
	}
	for i := range 12 {
		add(time.Duration(i)*17*time.Second, i%2, "10.98.4."+strconv.Itoa(10+i%6), "GET", "/api/profile", 200, func(e *alert.Event) {
			e.Client.Subject, e.Client.Token, e.Client.Auth = "bob", "h:tok-bob", "bearer"
		})
	}
	// In time order, as a sensor publishes them.
	idx := make([]int, len(evs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return evs[a].Timestamp.AsTime().Compare(evs[b].Timestamp.AsTime()) })
	sorted, sortedSplit := make([]*alert.Event, len(evs)), make([]int, len(evs))
	for i, j := range idx {
		sorted[i], sortedSplit[i] = evs[j], split[j]
	}
	return sorted, sortedSplit
}

type behaviourFacts struct {
	rule, key         string
	count, distinct   uint64
	revision          uint32
	windowStart, from string
}

func factsOf(as []*alert.Alert) map[string]behaviourFacts {
	m := map[string]behaviourFacts{}
	for _, a := range as {
		b := a.GetBehavior()
		if old, ok := m[a.Id]; ok && old.revision >= b.GetRevision() {
			continue
		}
		m[a.Id] = behaviourFacts{a.RuleId, b.GetKey(), b.GetCount(), b.GetDistinct(), b.GetRevision(), b.GetWindowStart().AsTime().String(), a.GetSummary()}
	}
	return m
}

// TestAggregate: two sensors publish their halves of the traffic to
// sensor.events; `sensor aggregate` reads them from four partitions and
// raises the alerts one sensor that saw everything raises, with the same
// ids, keys, counts and revisions.
func TestAggregate(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "sensor.events"), kfake.SeedTopics(1, "sensor.alerts"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	broker := c.ListenAddrs()[0]

	evs, split := aggEvents()
	for s := range 2 {
		cfg := kafka.DefaultConfig()
		cfg.Client.Brokers = []string{broker}
		cfg.EventsTopic = "sensor.events"
		cfg.SensorID = "s" + strconv.Itoa(s)
		p, err := kafka.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var half []*alert.Event
		for i, e := range evs {
			if split[i] == s {
				half = append(half, e)
			}
		}
		if err := p.PublishEvents(context.Background(), half); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if st := p.Stats(); st.DroppedTotal() != 0 {
			t.Fatalf("sensor %d: dropped %v", s, st.Counters())
		}
	}

	code, _, errs := runSensor(t, nil, "aggregate", "--brokers", broker, "--group", "agg-test", "--sensor-id", "agg")
	if code != 0 {
		t.Fatalf("aggregate: exit %d: %s", code, errs)
	}
	if !strings.Contains(errs, fmt.Sprintf("%d events read", len(evs))) {
		t.Errorf("report: %s", errs)
	}

	var got []*alert.Alert
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cl := kafka.DefaultClientConfig()
	cl.Brokers = []string{broker}
	ccfg := consume.Config{Client: cl, Topics: []string{"sensor.alerts"}}
	if _, err := consume.Run(ctx, ccfg, func(r *consume.Record) error {
		if r.Alert != nil {
			got = append(got, r.Alert)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// One sensor that saw everything.
	e, err := behave.New(behave.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var want []*alert.Alert
	for _, ev := range evs {
		want = e.Observe(ev, want)
	}
	want = e.Flush(want)

	gf, wf := factsOf(got), factsOf(want)
	if len(wf) < 4 {
		t.Fatalf("the whole traffic raised only %v", wf)
	}
	for id, w := range wf {
		if g, ok := gf[id]; !ok || g != w {
			t.Errorf("alert %s: aggregator %+v, want %+v", id, g, w)
		}
	}
	if len(gf) != len(wf) {
		t.Errorf("aggregator raised %d alerts, want %d", len(gf), len(wf))
	}
	if len(got) != len(want) {
		t.Errorf("aggregator published %d revisions, want %d", len(got), len(want))
	}
	rules := func(m map[string]behaviourFacts) []string {
		var r []string
		for _, f := range m {
			r = append(r, f.rule)
		}
		slices.Sort(r)
		return r
	}
	t.Logf("rules: %v", rules(gf))
	// Neither half alone sees the 60 usernames of the stuffing.
	for _, f := range gf {
		if f.rule == "credential-stuffing" && f.distinct != 60 {
			t.Errorf("stuffing counted %d usernames, want 60", f.distinct)
		}
	}
}

// splitCapture writes the packets of in whose client address (either end
// but the server's) is in a to dir/a.pcap and the others to dir/b.pcap:
// two sensors, each on the link of half of the clients.
func splitCapture(t *testing.T, in, dir string, a map[string]bool) (string, string) {
	t.Helper()
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := pcapgo.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	paths := [2]string{filepath.Join(dir, "a.pcap"), filepath.Join(dir, "b.pcap")}
	var ws [2]*pcapgo.Writer
	for i, p := range paths {
		o, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { o.Close() })
		ws[i] = pcapgo.NewWriterNanos(o)
		if err := ws[i].WriteFileHeader(r.Snaplen(), r.LinkType()); err != nil {
			t.Fatal(err)
		}
	}
	for {
		data, ci, err := r.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p := gopacket.NewPacket(data, r.LinkType(), gopacket.Default)
		ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if ip == nil {
			t.Fatal("not IPv4")
		}
		i := 1
		if a[ip.SrcIP.String()] || a[ip.DstIP.String()] {
			i = 0
		}
		if err := ws[i].WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return paths[0], paths[1]
}

// TestAggregateReplays: two sensors each replay the half of the
// distributed-stuffing capture their link carries (five of the ten
// attacking addresses) into sensor.events; the aggregator raises the alert
// that one sensor replaying the whole capture raises: 80 usernames from 10
// clients, not 40 from 5.
func TestAggregateReplays(t *testing.T) {
	const capture = "../../testdata/bots-distributed.pcap"
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "sensor.events"), kfake.SeedTopics(1, "sensor.alerts", "agg.alerts"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	broker := c.ListenAddrs()[0]

	half := map[string]bool{}
	for h := 21; h <= 25; h++ {
		half["10.98.0."+strconv.Itoa(h)] = true
	}
	a, b := splitCapture(t, capture, t.TempDir(), half)
	for i, f := range []string{a, b} {
		code, _, errs := runSensor(t, nil, "replay", "--quiet", "--detectors", "", "--kafka-brokers", broker,
			"--kafka-events-topic", "sensor.events", "--sensor-id", "s"+strconv.Itoa(i), f)
		if code != 0 {
			t.Fatalf("sensor %d: exit %d: %s", i, code, errs)
		}
	}
	// The sensors' own alerts go to sensor.alerts, the aggregator's apart.
	code, _, errs := runSensor(t, nil, "aggregate", "--brokers", broker, "--group", "agg-replays", "--topic", "agg.alerts")
	if code != 0 {
		t.Fatalf("aggregate: exit %d: %s", code, errs)
	}

	cl := kafka.DefaultClientConfig()
	cl.Brokers = []string{broker}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var got []*alert.Alert
	if _, err := consume.Run(ctx, consume.Config{Client: cl, Topics: []string{"agg.alerts"}}, func(r *consume.Record) error {
		if r.Alert != nil {
			got = append(got, r.Alert)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	code, out, errs := runSensor(t, nil, "replay", "--quiet", "--detectors", "", capture)
	if code != 0 {
		t.Fatalf("whole replay: exit %d: %s", code, errs)
	}
	var want []*alert.Alert
	for _, l := range sortedLines(out) {
		a := new(alert.Alert)
		if err := protojson.Unmarshal([]byte(l), a); err != nil {
			t.Fatal(err)
		}
		want = append(want, a)
	}
	gf, wf := factsOf(got), factsOf(want)
	if len(wf) == 0 {
		t.Fatal("the whole capture raised nothing")
	}
	for _, f := range wf {
		t.Logf("%s %s: %s", f.rule, f.key, f.from)
	}
	for id, w := range wf {
		if g := gf[id]; g != w {
			t.Errorf("alert %s: aggregator %+v, want %+v", id, g, w)
		}
		if w.rule == "distributed-credential-stuffing" && w.distinct != 80 {
			t.Errorf("whole capture: %d usernames, want 80", w.distinct)
		}
	}
	if len(gf) != len(wf) {
		t.Errorf("aggregator: %v\nwhole capture: %v", gf, wf)
	}
}

// TestAggregatorClock: one partition read to its end before another
// starts (as a consumer with a backlog does) loses nothing: the clock is
// the slowest partition's, so no window closes before every partition fed
// it. A clock taken from the fastest partition would drop the second
// partition's events as late.
func TestAggregatorClock(t *testing.T) {
	evs, split := aggEvents()
	e, err := behave.New(behave.Config{ExternalClock: true})
	if err != nil {
		t.Fatal(err)
	}
	agg := newAggregator(e, time.Hour, 1024)
	now := time.Now()
	agg.expect("sensor.events", []int{0, 1}, now)
	var got []*alert.Alert
	for p := range 2 {
		for i, ev := range evs {
			if split[i] == p {
				got = append(got, agg.record(&consume.Record{Topic: "sensor.events", Partition: p, Event: ev}, now)...)
			}
		}
	}
	// A redelivered event is dropped.
	got = append(got, agg.record(&consume.Record{Topic: "sensor.events", Partition: 0, Event: evs[0]}, now)...)
	got = append(got, e.Flush(nil)...)
	if st := e.Stats(); st[behave.CountLate] != 0 || agg.duplicates != 1 {
		t.Fatalf("late %d, duplicates %d", st[behave.CountLate], agg.duplicates)
	}

	w, err := behave.New(behave.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	var want []*alert.Alert
	for _, ev := range evs {
		want = w.Observe(ev, want)
	}
	want = w.Flush(want)
	gf, wf := factsOf(got), factsOf(want)
	for id, w := range wf {
		if gf[id] != w {
			t.Errorf("alert %s: %+v, want %+v", id, gf[id], w)
		}
	}
	if len(gf) != len(wf) {
		t.Errorf("%d alerts, want %d", len(gf), len(wf))
	}

	// The same order with the clock of the events themselves loses the
	// second partition's early events.
	naive, _ := behave.New(behave.DefaultConfig())
	for p := range 2 {
		for i, ev := range evs {
			if split[i] == p {
				naive.Observe(ev, nil)
			}
		}
	}
	if naive.Stats()[behave.CountLate] == 0 {
		t.Error("the fastest partition's clock lost nothing: the test proves nothing")
	}
}
