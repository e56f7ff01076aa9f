package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
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
// split says which sensor (0 or 1) saw each event.
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
	return evs, split
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
