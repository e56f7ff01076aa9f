package kafka

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/pipeline/alert"
)

const testTopic = "sensor.alerts"

// quiet discards the producer's warnings: tests assert on counters.
var quiet = slog.New(slog.DiscardHandler)

// startCluster starts an in-process broker speaking Kafka over TCP.
func startCluster(t testing.TB, opts ...kfake.Opt) (*kfake.Cluster, string) {
	t.Helper()
	opts = append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// freePort returns a port nothing listens on (now).
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testConfig returns a publisher configuration for brokers at addr with
// short backoffs, so that tests wait on conditions, not on timers.
func testConfig(addr, spoolDir string) Config {
	cfg := DefaultConfig()
	cfg.Client.Brokers = []string{addr}
	cfg.Client.DialTimeout = 2 * time.Second
	cfg.Producer.SpoolDir = spoolDir
	cfg.Producer.RetryBackoffMin = 5 * time.Millisecond
	cfg.Producer.RetryBackoffMax = 100 * time.Millisecond
	cfg.Producer.WriteTimeout = 5 * time.Second
	cfg.Producer.Linger = time.Millisecond
	cfg.SensorID = "sensor-test"
	cfg.Logger = quiet
	return cfg
}

// testAlerts returns n alerts from clients clients; alert i has id
// "alert-%05d" and client 10.0.0.(i % clients).
func testAlerts(from, n, clients int) []*alert.Alert {
	out := make([]*alert.Alert, 0, n)
	for i := from; i < from+n; i++ {
		out = append(out, &alert.Alert{
			Id:        fmt.Sprintf("alert-%05d", i),
			Timestamp: timestamppb.New(time.Unix(1700000000, int64(i)*1000).UTC()),
			Detector:  "injection",
			RuleId:    "sqli",
			Severity:  alert.Severity_SEVERITY_HIGH,
			Summary:   "SQL injection in query parameter id",
			Client:    &alert.Client{Ip: fmt.Sprintf("10.0.0.%d", i%clients)},
		})
	}
	return out
}

// waitFor polls cond until it holds or a generous bound passes: tests
// never assert on speed, only on the condition being reached.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// readAll reads every record of topic, partition by partition, in offset
// order.
func readAll(t testing.TB, addr, topic string, dialer *kafkago.Dialer) []kafkago.Message {
	t.Helper()
	if dialer == nil {
		dialer = &kafkago.Dialer{Timeout: 5 * time.Second}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	parts, err := dialer.LookupPartitions(ctx, "tcp", addr, topic)
	if err != nil {
		t.Fatalf("partitions of %s: %v", topic, err)
	}
	var out []kafkago.Message
	for _, p := range parts {
		conn, err := dialer.DialLeader(ctx, "tcp", addr, topic, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if last == 0 {
			continue
		}
		r := kafkago.NewReader(kafkago.ReaderConfig{
			Brokers: []string{addr}, Topic: topic, Partition: p.ID,
			Dialer: dialer, MaxWait: 50 * time.Millisecond,
		})
		for {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				r.Close()
				t.Fatalf("read partition %d: %v", p.ID, err)
			}
			out = append(out, m)
			if m.Offset+1 >= last {
				break
			}
		}
		r.Close()
	}
	return out
}

func header(m kafkago.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
