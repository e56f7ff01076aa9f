package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/apisensor/sensor/pipeline/alert"
)

// replayAlerts replays the curl capture and returns its alerts, as the
// JSON lines replay printed and decoded.
func replayAlerts(t *testing.T) ([]string, []*alert.Alert) {
	t.Helper()
	code, out, errs := runSensor(t, nil, "replay", "--quiet", "../../testdata/http-curl.pcap")
	if code != 0 {
		t.Fatalf("replay: exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var as []*alert.Alert
	for _, l := range lines {
		a := new(alert.Alert)
		if err := protojson.Unmarshal([]byte(l), a); err != nil {
			t.Fatalf("replay alert: %v: %s", err, l)
		}
		as = append(as, a)
	}
	if len(as) != 6 {
		t.Fatalf("replay gave %d alerts, want 6", len(as))
	}
	return lines, as
}

// startBroker starts an in-process Kafka broker on loopback with the topic.
func startBroker(t *testing.T, topics ...string) string {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topics...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c.ListenAddrs()[0]
}

// produceAlerts writes alerts as the kafka publisher does: protobuf with its
// content-type and schema headers, or JSON when asJSON, stamped at.
func produceAlerts(t *testing.T, broker, topic string, at time.Time, asJSON bool, as ...*alert.Alert) {
	t.Helper()
	w := &kafkago.Writer{Addr: kafkago.TCP(broker), Topic: topic, BatchTimeout: time.Millisecond, RequiredAcks: kafkago.RequireAll}
	defer w.Close()
	var msgs []kafkago.Message
	for _, a := range as {
		m := kafkago.Message{Key: []byte(a.GetClient().GetIp()), Time: at}
		var err error
		if asJSON {
			m.Value, err = alert.MarshalJSON(a)
			m.Headers = []kafkago.Header{{Key: "content-type", Value: []byte("application/json")}}
		} else {
			m.Value, err = proto.Marshal(a)
			m.Headers = []kafkago.Header{
				{Key: "content-type", Value: []byte("application/x-protobuf")},
				{Key: "schema", Value: []byte("sensor.alert.v1.Alert")},
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.WriteMessages(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
}

func sortedLines(s string) []string {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	return slices.Sorted(slices.Values(strings.Split(s, "\n")))
}

func TestAlertsFromKafka(t *testing.T) {
	lines, as := replayAlerts(t)
	broker := startBroker(t, "sensor.alerts")
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	produceAlerts(t, broker, "sensor.alerts", base, false, as[:4]...)
	produceAlerts(t, broker, "sensor.alerts", base.Add(time.Hour), true, as[4:]...)

	// Piped: JSON lines identical to what replay printed, whichever
	// encoding went through Kafka.
	code, out, errs := runSensor(t, nil, "alerts", "--brokers", broker)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got, want := sortedLines(out), slices.Sorted(slices.Values(lines)); !slices.Equal(got, want) {
		t.Errorf("alerts --json:\n%s\nwant the replay's lines:\n%s", out, strings.Join(lines, "\n"))
	}

	// Forced table.
	code, out, errs = runSensor(t, nil, "alerts", "--brokers", broker, "--table")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	rows := strings.Split(strings.TrimSpace(out), "\n")
	if len(rows) != 7 || !strings.HasPrefix(rows[0], "TIME") {
		t.Fatalf("table:\n%s", out)
	}
	for _, r := range rows[1:] {
		if !strings.Contains(r, "10.99.0.1:") || !strings.Contains(r, "injection/") {
			t.Errorf("table row lacks flow or rule: %s", r)
		}
	}
	if !strings.Contains(errs, "6 shown of 6 read") {
		t.Errorf("table summary missing: %s", errs)
	}

	since := as[2].GetTimestamp().AsTime()
	count := func(keep func(a *alert.Alert) bool) int {
		n := 0
		for _, a := range as {
			if keep(a) {
				n++
			}
		}
		return n
	}
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--min-severity", "high"}, count(func(a *alert.Alert) bool { return a.Severity >= alert.Severity_SEVERITY_HIGH })},
		{[]string{"--min-severity", "critical"}, count(func(a *alert.Alert) bool { return a.Severity >= alert.Severity_SEVERITY_CRITICAL })},
		{[]string{"--detector", "injection/xss"}, count(func(a *alert.Alert) bool { return a.RuleId == "xss" })},
		{[]string{"--detector", "injection"}, 6},
		{[]string{"--detector", "bola"}, 0},
		{[]string{"--client", "10.99.0.0/24"}, 6},
		{[]string{"--client", "10.0.0.1"}, 0},
		{[]string{"--since", since.Format(time.RFC3339Nano)}, count(func(a *alert.Alert) bool { return !a.Timestamp.AsTime().Before(since) })},
		{[]string{"--until", since.Format(time.RFC3339Nano)}, count(func(a *alert.Alert) bool { return a.Timestamp.AsTime().Before(since) })},
		{[]string{"--from", base.Add(time.Minute).Format(time.RFC3339)}, 2},
		{[]string{"--from", "-1"}, 1},
		{[]string{"--from", "end"}, 0},
		{[]string{"--topic", "sensor.alerts,sensor.alerts", "--from", "5"}, 1},
	}
	for _, tt := range tests {
		args := append([]string{"alerts", "--brokers", broker, "--json"}, tt.args...)
		code, out, errs := runSensor(t, nil, args...)
		if code != 0 {
			t.Errorf("%v: exit %d: %s", tt.args, code, errs)
			continue
		}
		if n := len(sortedLines(out)); n != tt.want {
			t.Errorf("%v: %d alerts, want %d:\n%s", tt.args, n, tt.want, out)
		}
	}
}

func TestAlertsGroup(t *testing.T) {
	_, as := replayAlerts(t)
	broker := startBroker(t, "sensor.alerts")
	produceAlerts(t, broker, "sensor.alerts", time.Time{}, false, as[:4]...)
	args := []string{"alerts", "--brokers", broker, "--group", "soc"}
	ids := func() []string {
		t.Helper()
		code, out, errs := runSensor(t, nil, args...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var got []string
		for _, l := range sortedLines(out) {
			a := new(alert.Alert)
			if err := protojson.Unmarshal([]byte(l), a); err != nil {
				t.Fatal(err)
			}
			got = append(got, a.Id)
		}
		return slices.Sorted(slices.Values(got))
	}
	idsOf := func(as []*alert.Alert) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Id)
		}
		return slices.Sorted(slices.Values(out))
	}
	if got, want := ids(), idsOf(as[:4]); !slices.Equal(got, want) {
		t.Fatalf("first run: %v, want %v", got, want)
	}
	produceAlerts(t, broker, "sensor.alerts", time.Time{}, true, as[4:]...)
	if got, want := ids(), idsOf(as[4:]); !slices.Equal(got, want) {
		t.Errorf("second run resumed wrong: %v, want %v", got, want)
	}
	if got := ids(); len(got) != 0 {
		t.Errorf("third run: %v, want nothing", got)
	}
}

// TestAlertsKcat reads the same topics with kcat (librdkafka), an
// independent client: the bytes it prints decode to the alerts that
// "sensor alerts" prints.
func TestAlertsKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not found: install the Debian package kcat (.ci/run does)")
	}
	lines, as := replayAlerts(t)
	broker := startBroker(t, "alerts.json", "alerts.pb")
	produceAlerts(t, broker, "alerts.json", time.Time{}, true, as...)
	produceAlerts(t, broker, "alerts.pb", time.Time{}, false, as...)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// JSON: one alert per line, exactly as documented in the README.
	out, err := exec.CommandContext(ctx, kcat, "-C", "-b", broker, "-t", "alerts.json", "-o", "beginning", "-e", "-q", "-f", "%s\n").Output()
	if err != nil {
		t.Fatalf("kcat: %v", err)
	}
	if got := sortedLines(string(out)); !slices.Equal(got, slices.Sorted(slices.Values(lines))) {
		t.Errorf("kcat JSON:\n%s", out)
	}

	// Protobuf: size, headers, then the payload's bytes.
	out, err = exec.CommandContext(ctx, kcat, "-C", "-b", broker, "-t", "alerts.pb", "-o", "beginning", "-e", "-q", "-f", "%S\n%h\n%s\n").Output()
	if err != nil {
		t.Fatalf("kcat: %v", err)
	}
	var fromKcat []string
	r := bufio.NewReader(bytes.NewReader(out))
	for {
		sizeLine, err := r.ReadString('\n')
		if err != nil {
			break
		}
		size, err := strconv.Atoi(strings.TrimSpace(sizeLine))
		if err != nil {
			t.Fatalf("kcat size line %q", sizeLine)
		}
		headers, _ := r.ReadString('\n')
		if !strings.Contains(headers, "content-type=application/x-protobuf") {
			t.Errorf("kcat headers: %q", headers)
		}
		payload := make([]byte, size+1)
		if _, err := io.ReadFull(r, payload); err != nil {
			t.Fatal(err)
		}
		a := new(alert.Alert)
		if err := proto.Unmarshal(payload[:size], a); err != nil {
			t.Fatalf("kcat payload: %v", err)
		}
		j, _ := alert.MarshalJSON(a)
		fromKcat = append(fromKcat, string(j))
	}
	code, sensorOut, errs := runSensor(t, nil, "alerts", "--brokers", broker, "--topic", "alerts.pb")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if got, want := slices.Sorted(slices.Values(fromKcat)), sortedLines(sensorOut); !slices.Equal(got, want) || len(got) != 6 {
		t.Errorf("kcat protobuf decoded to\n%s\nsensor alerts printed\n%s", strings.Join(got, "\n"), sensorOut)
	}
}

func TestAlertsUsage(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--brokers", "localhost:9092", "--json", "--table"},
		{"--brokers", "localhost:9092", "--from", "yesterday"},
		{"--brokers", "localhost:9092", "--min-severity", "urgent"},
		{"--brokers", "localhost:9092", "--client", "nobody"},
		{"--brokers", "localhost:9092", "--since", "-1h"},
		{"--brokers", "localhost:9092", "--group", "g", "--from", "10"},
		{"--brokers", "localhost:9092", "--sasl-mechanism", "KERBEROS"},
		{"--brokers", "localhost:9092", "extra"},
	} {
		code, _, errs := runSensor(t, nil, append([]string{"alerts"}, args...)...)
		if code != 2 || !strings.Contains(errs, "sensor alerts:") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
	if code, _, errs := runSensor(t, nil, "alerts", "-h"); code != 2 || !strings.Contains(errs, "--min-severity") && !strings.Contains(errs, "-min-severity") {
		t.Errorf("-h: exit %d: %s", code, errs)
	}
	// The broker is unreachable: a clear error, exit 1.
	code, _, errs := runSensor(t, nil, "alerts", "--brokers", "127.0.0.1:1")
	if code != 1 || !strings.Contains(errs, "sensor alerts:") {
		t.Errorf("unreachable broker: exit %d: %s", code, errs)
	}
}
