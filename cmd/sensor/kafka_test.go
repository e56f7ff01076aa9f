package main

import (
	"context"
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReplayToKafka replays a capture into an in-process broker with the
// kafka publisher (alerts, events and run reports), then reads the topics
// back with kcat, an independent client, and with `sensor alerts`: the
// alerts are the ones replay prints on stdout.
func TestReplayToKafka(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not found: install the Debian package kcat (.ci/run does)")
	}
	want, _ := replayAlerts(t)
	slices.Sort(want)
	for _, enc := range []string{"json", "protobuf"} {
		t.Run(enc, func(t *testing.T) {
			broker := startBroker(t, "sensor.alerts", "sensor.events", "sensor.stats")
			code, out, errs := runSensor(t, nil, "replay", "--kafka-brokers", broker, "--kafka-encoding", enc,
				"--kafka-events-topic", "sensor.events", "--kafka-stats-topic", "sensor.stats",
				"--sensor-id", "test-sensor", "../../testdata/http-curl.pcap")
			if code != 0 {
				t.Fatalf("replay: exit %d: %s", code, errs)
			}
			if out != "" {
				t.Errorf("alerts went to stdout too: %s", out)
			}
			if !strings.Contains(errs, "kafka.delivered=") {
				t.Errorf("run report lacks the publisher's counters:\n%s", errs)
			}

			// sensor alerts decodes either encoding by its header.
			code, got, errs := runSensor(t, nil, "alerts", "--brokers", broker, "--json")
			if code != 0 {
				t.Fatalf("alerts: exit %d: %s", code, errs)
			}
			if g := sortedLines(got); !slices.Equal(g, want) {
				t.Errorf("sensor alerts read\n%s\nreplay printed\n%s", strings.Join(g, "\n"), strings.Join(want, "\n"))
			}

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if enc == "json" {
				b, err := exec.CommandContext(ctx, kcat, "-C", "-b", broker, "-t", "sensor.alerts", "-o", "beginning", "-e", "-q", "-f", "%s\n").Output()
				if err != nil {
					t.Fatalf("kcat: %v", err)
				}
				if g := sortedLines(string(b)); !slices.Equal(g, want) {
					t.Errorf("kcat read\n%s", b)
				}
			}
			// One event per exchange, keyed by client, with its schema.
			b, err := exec.CommandContext(ctx, kcat, "-C", "-b", broker, "-t", "sensor.events", "-o", "beginning", "-e", "-q", "-f", "%k %h\n").Output()
			if err != nil {
				t.Fatalf("kcat: %v", err)
			}
			events := sortedLines(string(b))
			if len(events) != 23 || !strings.Contains(events[0], "schema=sensor.alert.v1.Event") || !strings.Contains(events[0], "sensor-id=test-sensor") {
				t.Errorf("%d events, first %q; want 23 with schema and sensor-id headers", len(events), events[0])
			}
			// The final run report is the last stats record.
			b, err = exec.CommandContext(ctx, kcat, "-C", "-b", broker, "-t", "sensor.stats", "-o", "-1", "-e", "-q", "-f", "%s\n").Output()
			if err != nil {
				t.Fatalf("kcat: %v", err)
			}
			var rep struct {
				SensorID  string `json:"sensor_id"`
				Exchanges int
				Alerts    int
				Partial   bool
			}
			if err := json.Unmarshal([]byte(strings.TrimSpace(string(b))), &rep); err != nil {
				t.Fatalf("stats record %q: %v", b, err)
			}
			if rep.SensorID != "test-sensor" || rep.Exchanges != 23 || rep.Alerts != 6 || rep.Partial {
				t.Errorf("stats record: %+v", rep)
			}
		})
	}
}

func TestReplayKafkaMissingTopic(t *testing.T) {
	broker := startBroker(t, "other")
	code, _, errs := runSensor(t, nil, "replay", "--kafka-brokers", broker, "../../testdata/http-curl.pcap")
	if code == 0 || !strings.Contains(errs, "sensor.alerts") {
		t.Errorf("exit %d, stderr %q: want a startup error naming the missing topic", code, errs)
	}
}
