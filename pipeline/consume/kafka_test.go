package consume

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/proto"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
)

// newCluster starts an in-process Kafka broker (TCP on loopback) holding
// topics of two partitions.
func newCluster(t *testing.T, topics ...string) []string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()
}

// msg is a test message: an alert or event, its encoding and partition.
type msg struct {
	partition int
	json      bool
	at        time.Time // Kafka timestamp; zero: now
	a         *alert.Alert
	e         *alert.Event
}

func produce(t *testing.T, brokers []string, topic string, msgs ...msg) {
	t.Helper()
	w := &kafkago.Writer{
		Addr:         kafkago.TCP(brokers...),
		Topic:        topic,
		Balancer:     kafkago.BalancerFunc(func(m kafkago.Message, _ ...int) int { return m.Partition }),
		BatchTimeout: time.Millisecond,
		RequiredAcks: kafkago.RequireAll,
	}
	defer w.Close()
	var out []kafkago.Message
	for _, m := range msgs {
		km := kafkago.Message{Partition: m.partition, Time: m.at}
		var err error
		switch {
		case m.e != nil && m.json:
			km.Value, err = alert.MarshalEventJSON(m.e)
			km.Headers = []kafkago.Header{{Key: "content-type", Value: []byte(ContentTypeJSON)}, {Key: "schema", Value: []byte(SchemaEvent)}}
		case m.e != nil:
			km.Value, err = proto.Marshal(m.e)
			km.Headers = []kafkago.Header{{Key: "content-type", Value: []byte(ContentTypeProtobuf)}, {Key: "schema", Value: []byte(SchemaEvent)}}
		case m.json:
			km.Value, err = alert.MarshalJSON(m.a)
			km.Headers = []kafkago.Header{{Key: "content-type", Value: []byte(ContentTypeJSON)}}
		default:
			km.Value, err = proto.Marshal(m.a)
			km.Headers = []kafkago.Header{{Key: "Content-Type", Value: []byte(ContentTypeProtobuf)}, {Key: "schema", Value: []byte(SchemaAlert)}}
		}
		if err != nil {
			t.Fatal(err)
		}
		if m.a != nil {
			km.Key = []byte(m.a.GetClient().GetIp())
		}
		out = append(out, km)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, out...); err != nil {
		t.Fatal(err)
	}
}

// collector gathers records from Run's callback; safe to read while Run
// runs.
type collector struct {
	mu  sync.Mutex
	ids []string
}

func (c *collector) handle(r *Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	id := r.Alert.GetId()
	if r.Event != nil {
		id = r.Event.GetId()
	}
	c.ids = append(c.ids, id)
	return nil
}

func (c *collector) sorted() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Sorted(slices.Values(c.ids))
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ids)
}

// waitFor polls cond with a generous bound: the test waits on a condition,
// never on a duration.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func config(brokers []string, topics ...string) Config {
	c := kafka.DefaultClientConfig()
	c.Brokers = brokers
	return Config{Client: c, Topics: topics}
}

func run(t *testing.T, cfg Config) ([]string, Summary) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var c collector
	sum, err := Run(ctx, cfg, c.handle)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("Run did not stop at the end of the partitions")
	}
	return c.sorted(), sum
}

var (
	sev  = alert.Severity_SEVERITY_HIGH
	base = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
)

// sample publishes five alerts and one event: partition 0 holds a0, a1, a2
// (protobuf, published at base, +1m, +2m), partition 1 holds a3, a4 (JSON,
// +1m, +3m) and the event e0 (+4m).
func sample(t *testing.T, brokers []string, topic string) {
	a := func(i int, det, rule string, s alert.Severity, ip string) *alert.Alert {
		return testAlert("a"+string(rune('0'+i)), det, rule, s, ip, t0.Add(time.Duration(i)*time.Hour))
	}
	ev := testEvent()
	ev.Id = "e0"
	produce(t, brokers, topic,
		msg{partition: 0, at: base, a: a(0, "injection", "sqli", sev, "10.0.0.1")},
		msg{partition: 0, at: base.Add(time.Minute), a: a(1, "injection", "xss", alert.Severity_SEVERITY_MEDIUM, "10.0.0.2")},
		msg{partition: 0, at: base.Add(2 * time.Minute), a: a(2, "bola", "enum", alert.Severity_SEVERITY_LOW, "10.0.0.1")},
		msg{partition: 1, at: base.Add(time.Minute), json: true, a: a(3, "injection", "sqli", alert.Severity_SEVERITY_CRITICAL, "192.168.0.7")},
		msg{partition: 1, at: base.Add(3 * time.Minute), json: true, a: a(4, "injection", "sqli", alert.Severity_SEVERITY_INFO, "10.0.0.1")},
		msg{partition: 1, at: base.Add(4 * time.Minute), e: ev},
	)
}

func TestRunPositions(t *testing.T) {
	brokers := newCluster(t, "sensor.alerts")
	sample(t, brokers, "sensor.alerts")
	tests := []struct {
		from string
		want []string
	}{
		{"beginning", []string{"a0", "a1", "a2", "a3", "a4", "e0"}},
		{"end", nil},
		{"2", []string{"a2", "e0"}}, // offset 2 in both partitions
		{"1", []string{"a1", "a2", "a4", "e0"}},
		{"-1", []string{"a2", "e0"}},
		{"-10", []string{"a0", "a1", "a2", "a3", "a4", "e0"}},
		{base.Add(90 * time.Second).Format(time.RFC3339), []string{"a2", "a4", "e0"}},
		{base.Add(time.Hour).Format(time.RFC3339), nil},
	}
	for _, tt := range tests {
		cfg := config(brokers, "sensor.alerts")
		var err error
		if cfg.From, err = ParsePosition(tt.from); err != nil {
			t.Fatal(err)
		}
		got, sum := run(t, cfg)
		if !slices.Equal(got, tt.want) {
			t.Errorf("--from %s: got %v, want %v", tt.from, got, tt.want)
		}
		if sum.Messages != int64(len(tt.want)) || sum.Matched != sum.Messages || sum.Undecodable != 0 {
			t.Errorf("--from %s: summary %+v", tt.from, sum)
		}
	}
}

func TestRunFilters(t *testing.T) {
	brokers := newCluster(t, "sensor.alerts")
	sample(t, brokers, "sensor.alerts")
	clients, _ := ParseClients("10.0.0.0/24")
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"min high", Filter{MinSeverity: alert.Severity_SEVERITY_HIGH}, []string{"a0", "a3"}},
		{"detector", Filter{Detectors: []string{"injection/xss", "bola"}}, []string{"a1", "a2", "e0"}},
		{"client", Filter{Clients: clients}, []string{"a0", "a1", "a2", "a4", "e0"}},
		{"event time", Filter{Since: t0.Add(time.Hour), Until: t0.Add(3 * time.Hour)}, []string{"a1", "a2"}},
	}
	for _, tt := range tests {
		cfg := config(brokers, "sensor.alerts")
		cfg.Filter = tt.f
		got, sum := run(t, cfg)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
		if sum.Messages != 6 || sum.Matched != int64(len(tt.want)) {
			t.Errorf("%s: summary %+v", tt.name, sum)
		}
	}
}

func TestRunSeveralTopicsAndUndecodable(t *testing.T) {
	brokers := newCluster(t, "sensor.alerts", "sensor.events")
	sample(t, brokers, "sensor.alerts")
	ev := testEvent()
	produce(t, brokers, "sensor.events", msg{partition: 1, e: ev, json: true})
	w := &kafkago.Writer{Addr: kafkago.TCP(brokers...), Topic: "sensor.events", BatchTimeout: time.Millisecond}
	if err := w.WriteMessages(context.Background(), kafkago.Message{Value: []byte("not a record")}); err != nil {
		t.Fatal(err)
	}
	w.Close()
	got, sum := run(t, config(brokers, "sensor.alerts", "sensor.events"))
	want := []string{"a0", "a1", "a2", "a3", "a4", "e0", "e1"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if sum.Messages != 8 || sum.Undecodable != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func TestRunFollow(t *testing.T) {
	brokers := newCluster(t, "sensor.alerts")
	sample(t, brokers, "sensor.alerts")
	cfg := config(brokers, "sensor.alerts")
	cfg.Follow = true
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var c collector
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, cfg, c.handle)
		done <- err
	}()
	waitFor(t, "the first six records", func() bool { return c.len() == 6 })
	late := testAlert("a9", "injection", "sqli", sev, "10.0.0.1", t0)
	produce(t, brokers, "sensor.alerts", msg{partition: 1, a: late})
	waitFor(t, "the record published while following", func() bool { return c.len() == 7 })
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if got := c.sorted(); !slices.Contains(got, "a9") {
		t.Errorf("got %v", got)
	}
}

func TestRunGroup(t *testing.T) {
	brokers := newCluster(t, "sensor.alerts")
	sample(t, brokers, "sensor.alerts")
	cfg := config(brokers, "sensor.alerts")
	cfg.Group = "analysts"

	got, _ := run(t, cfg)
	if want := []string{"a0", "a1", "a2", "a3", "a4", "e0"}; !slices.Equal(got, want) {
		t.Fatalf("first run: got %v, want %v", got, want)
	}
	// The group committed: a second run sees only what came since.
	produce(t, brokers, "sensor.alerts",
		msg{partition: 0, a: testAlert("a7", "injection", "sqli", sev, "10.0.0.1", t0)},
		msg{partition: 1, a: testAlert("a8", "injection", "sqli", sev, "10.0.0.1", t0)})
	got, _ = run(t, cfg)
	if want := []string{"a7", "a8"}; !slices.Equal(got, want) {
		t.Errorf("second run: got %v, want %v", got, want)
	}
	got, _ = run(t, cfg)
	if len(got) != 0 {
		t.Errorf("third run: got %v, want nothing", got)
	}
	// Another group starts from the beginning.
	cfg.Group = "other"
	if got, _ = run(t, cfg); len(got) != 8 {
		t.Errorf("other group: got %v", got)
	}
}

func TestRunErrors(t *testing.T) {
	brokers := newCluster(t, "sensor.alerts")
	ctx := context.Background()
	if _, err := Run(ctx, config(brokers, "missing"), func(*Record) error { return nil }); err == nil {
		t.Error("missing topic: no error")
	}
	cfg := config(brokers, "sensor.alerts")
	cfg.Group = "g"
	cfg.From, _ = ParsePosition("5")
	if _, err := Run(ctx, cfg, nil); !errors.Is(err, ErrGroupPosition) {
		t.Errorf("group with offset: %v", err)
	}
	if _, err := Run(ctx, config(brokers), nil); !errors.Is(err, ErrNoTopics) {
		t.Errorf("no topics: %v", err)
	}
	// An error from the callback stops Run and is returned.
	sample(t, brokers, "sensor.alerts")
	stop := errors.New("stop")
	n := 0
	_, err := Run(ctx, config(brokers, "sensor.alerts"), func(*Record) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("callback error: err %v after %d calls", err, n)
	}
}
