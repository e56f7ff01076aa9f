package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/cfgload"
	"github.com/apisensor/sensor/pipeline/publish/kafka"
)

const examplePath = "deploy/sensor.example.yaml"

// TestExampleConfig keeps deploy/sensor.example.yaml true: it loads
// strictly, validates, holds exactly the defaults, and names every setting
// (as a key, or as a commented-out key that loads once uncommented).
func TestExampleConfig(t *testing.T) {
	c, err := loadConfig(examplePath, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := defaultFileConfig()
	want.Pipeline.Workers = 0 // the example says 0: one per CPU
	// Compared as YAML, where an empty list and no list are alike.
	if got, exp := marshal(t, c), marshal(t, &want); got != exp {
		t.Errorf("the example's values differ from the defaults: update %s\n got:\n%s\nwant:\n%s", examplePath, got, exp)
	}
	if err := c.validate(); err != nil {
		t.Errorf("example does not validate: %v", err)
	}

	raw, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	// "# key: value" at a key's indentation is a commented-out setting.
	uncommented := regexp.MustCompile(`(?m)^(\s*)# ([a-z0-9_]+:(?: .*)?)$`).ReplaceAll(raw, []byte("$1$2"))
	var full fileConfig = defaultFileConfig()
	if err := cfgload.Load(&full, uncommented, nil); err != nil {
		t.Fatalf("example with its commented-out keys: %v", err)
	}
	if err := full.validate(); err != nil {
		t.Errorf("example with its commented-out keys does not validate: %v", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(uncommented, &doc); err != nil {
		t.Fatal(err)
	}
	vars, err := cfgload.Vars(&want)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vars {
		if !hasPath(&doc, strings.Split(v.Path, ".")) {
			t.Errorf("%s: key %s (%s) is missing: add it with its default", examplePath, v.Path, v.Name)
		}
	}
}

func marshal(t *testing.T, c *fileConfig) string {
	t.Helper()
	b, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// hasPath reports whether the YAML document n has the mapping key path.
func hasPath(n *yaml.Node, path []string) bool {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if len(path) == 0 {
		return true
	}
	if n.Kind != yaml.MappingNode {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == path[0] {
			return hasPath(n.Content[i+1], path[1:])
		}
	}
	return false
}

// TestEnvNames checks that no two settings read the same variable.
func TestEnvNames(t *testing.T) {
	c := defaultFileConfig()
	vars, err := cfgload.Vars(&c)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, v := range vars {
		if !strings.HasPrefix(v.Name, "SENSOR_") {
			t.Errorf("%s (%s): not a SENSOR_ variable", v.Name, v.Path)
		}
		if p, dup := seen[v.Name]; dup {
			t.Errorf("%s read by %s and %s", v.Name, p, v.Path)
		}
		seen[v.Name] = v.Path
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "sensor.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name  string
		file  string // "" means no file
		env   []string
		check func(*testing.T, *fileConfig)
		err   string
	}{
		{
			name: "no file, no env: defaults",
			check: func(t *testing.T, c *fileConfig) {
				if want := defaultFileConfig(); !reflect.DeepEqual(*c, want) {
					t.Errorf("got %+v", c)
				}
			},
		},
		{
			name: "file then env, every section",
			file: "workers: 3\ntcp: {idle_timeout: 1m}\ncapture: {interfaces: [eth1]}\nkafka:\n  brokers: [k1:9092]\n  spool_dir: /var/lib/sensor\n  tls: {enable: true}\nmetrics: {listen: ':9100'}\nlog: {format: json}\n",
			env:  []string{"SENSOR_WORKERS=5", "SENSOR_KAFKA_BROKERS=a:1,b:2", "SENSOR_LOG_LEVEL=debug", "SENSOR_CAPTURE_LISTEN_UDP=0.0.0.0:4789"},
			check: func(t *testing.T, c *fileConfig) {
				if c.Pipeline.Workers != 5 || c.Pipeline.TCP.IdleTimeout != time.Minute {
					t.Errorf("pipeline: %+v", c.Pipeline)
				}
				if !reflect.DeepEqual(c.Capture.Interfaces, []string{"eth1"}) || !reflect.DeepEqual(c.Capture.ListenUDP, []string{"0.0.0.0:4789"}) {
					t.Errorf("capture: %+v", c.Capture)
				}
				kc := c.Kafka.config("s1", nil)
				if !reflect.DeepEqual(kc.Client.Brokers, []string{"a:1", "b:2"}) || !kc.Client.TLS.Enable || kc.Producer.SpoolDir != "/var/lib/sensor" || kc.SensorID != "s1" || kc.Topic != "sensor.alerts" {
					t.Errorf("kafka: %+v", kc)
				}
				if c.Metrics.Listen != ":9100" || c.Log.Format != "json" || c.Log.Level != "debug" {
					t.Errorf("ops: %+v %+v", c.Metrics, c.Log)
				}
				if err := c.validate(); err != nil {
					t.Errorf("validate: %v", err)
				}
			},
		},
		{name: "typo in a section", file: "kafka:\n  brokers: [k:1]\n  spool_dri: /x\n", err: "line 3: field spool_dri not found"},
		{name: "typo at the top", file: "worker: 3\n", err: "field worker not found"},
		{name: "bad env", env: []string{"SENSOR_KAFKA_LINGER=5"}, err: "SENSOR_KAFKA_LINGER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = write(tt.file)
			}
			c, err := loadConfig(path, tt.env)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestValidateConfig(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*fileConfig)
		want string
	}{
		{"bad log level", func(c *fileConfig) { c.Log.Level = "loud" }, "log.level"},
		{"bad listen", func(c *fileConfig) { c.Metrics.Listen = "nohost" }, "metrics.listen"},
		{"bad capture", func(c *fileConfig) { c.Capture.Interfaces = []string{"eth0"}; c.Capture.FanoutMode = "x" }, "fanout_mode"},
		{"bad kafka", func(c *fileConfig) { c.Kafka.Brokers = []string{"nohost"} }, "nohost"},
		{"bad pipeline", func(c *fileConfig) { c.Pipeline.QueueBatches = 0 }, "queue_batches"},
	}
	for _, tt := range tests {
		c := defaultFileConfig()
		tt.mod(&c)
		err := c.validate()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestOverlayFlags shows the intended use: parse the command line bound to
// a scratch configuration, load the file and environment, then apply only
// the flags given.
func TestOverlayFlags(t *testing.T) {
	bind := func(fs *flag.FlagSet, c *fileConfig) {
		fs.IntVar(&c.Pipeline.Workers, "workers", c.Pipeline.Workers, "")
		fs.DurationVar(&c.Pipeline.TCP.IdleTimeout, "idle-timeout", c.Pipeline.TCP.IdleTimeout, "")
		fs.StringVar(&c.Metrics.Listen, "metrics-listen", c.Metrics.Listen, "")
		fs.BoolVar(&c.Metrics.Pprof, "pprof", c.Metrics.Pprof, "")
	}
	scratch := defaultFileConfig()
	parsed := flag.NewFlagSet("run", flag.ContinueOnError)
	bind(parsed, &scratch)
	config := parsed.String("config", "", "")
	if err := parsed.Parse([]string{"--config", "x.yaml", "--idle-timeout", "2m", "--pprof"}); err != nil {
		t.Fatal(err)
	}
	if *config != "x.yaml" {
		t.Fatalf("config %q", *config)
	}
	// As if loaded: the file set workers and the listener.
	loaded := defaultFileConfig()
	loaded.Pipeline.Workers, loaded.Metrics.Listen = 7, ":9999"
	target := flag.NewFlagSet("run", flag.ContinueOnError)
	bind(target, &loaded)
	if err := overlayFlags(parsed, target); err != nil {
		t.Fatal(err)
	}
	if loaded.Pipeline.Workers != 7 || loaded.Metrics.Listen != ":9999" {
		t.Errorf("unset flags overrode the file: %+v %+v", loaded.Pipeline.Workers, loaded.Metrics.Listen)
	}
	if loaded.Pipeline.TCP.IdleTimeout != 2*time.Minute || !loaded.Metrics.Pprof {
		t.Errorf("set flags not applied: %v %v", loaded.Pipeline.TCP.IdleTimeout, loaded.Metrics.Pprof)
	}

	bad := flag.NewFlagSet("run", flag.ContinueOnError)
	bad.String("workers", "", "") // same name, a type that the target refuses
	if err := bad.Parse([]string{"--workers", "many"}); err != nil {
		t.Fatal(err)
	}
	if err := overlayFlags(bad, target); err == nil || !strings.Contains(err.Error(), "--workers") {
		t.Errorf("err = %v", err)
	}
}

func TestUnknownEnv(t *testing.T) {
	got := unknownEnv([]string{"SENSOR_WORKERS=1", "SENSOR_WORKRES=2", "PATH=/bin", "SENSOR_KAFKA_BROKERS=k:1"})
	if !reflect.DeepEqual(got, []string{"SENSOR_WORKRES"}) {
		t.Errorf("unknownEnv = %v", got)
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := loadConfig(filepath.Join(t.TempDir(), "none.yaml"), nil)
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

func TestConfigArg(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--config", "a.yaml"}, "a.yaml"},
		{[]string{"-i", "eth0", "-config=b.yaml"}, "b.yaml"},
		{[]string{"--config=c.yaml", "--workers", "2"}, "c.yaml"},
		{[]string{"--", "--config", "d.yaml"}, ""},
		{[]string{"--config"}, ""},
		{[]string{"--configx", "e.yaml"}, ""},
	}
	for _, tt := range tests {
		if got := configArg(tt.args); got != tt.want {
			t.Errorf("configArg(%q) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

// TestRunOps runs `sensor run` on a UDP mirror listener (no privilege
// needed) with a config file, and reads its health and metrics endpoints.
func TestRunOps(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "sensor.yaml")
	// The flags replace the file's listener list and metrics address: with
	// the file's, the run would not start.
	body := "stats_interval: 50ms\ncapture:\n  listen_udp: [not-an-address]\nmetrics:\n  listen: 127.0.0.1:1\nlog: {format: json}\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	code := make(chan int, 1)
	args := []string{"--config", path, "--metrics-listen", addr, "--listen-udp", "127.0.0.1:0", "--quiet"}
	go func() { code <- runCmd(ctx, args, &stdout, &stderr) }()

	get := func(p string) (int, string, error) {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	// Wait for the listener and the first periodic report, within a bound.
	deadline := time.Now().Add(20 * time.Second)
	var metrics string
	for {
		select {
		case c := <-code:
			t.Fatalf("run ended early with %d: %s", c, stderr.String())
		default:
		}
		if c, body, err := get("/metrics"); err == nil && c == 200 && strings.Contains(body, "sensor_stats_timestamp_seconds") {
			metrics = body
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no metrics with a run report within the bound; stderr: %s", stderr.String())
		}
		time.Sleep(20 * time.Millisecond) // polling an external process-like server
	}
	for _, want := range []string{"sensor_build_info", "sensor_packets_total", "go_goroutines"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if c, body, err := get(p); err != nil || c != 200 {
			t.Errorf("%s: %d %q %v", p, c, body, err)
		}
	}
	if c, _, _ := get("/debug/pprof/"); c != 404 {
		t.Errorf("pprof on without asking: %d", c)
	}
	cancel()
	if c := <-code; c != 0 {
		t.Errorf("exit %d: %s", c, stderr.String())
	}
	if !strings.Contains(stderr.String(), `"msg":"metrics listening"`) {
		t.Errorf("no JSON log line from the metrics server: %s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the writer goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestKafkaReady: with brokers away and no spool, records are dropped and
// /readyz says so once; with nothing new dropped it is ready again.
func TestKafkaReady(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String() // refused once closed: nothing is sent anywhere else
	ln.Close()
	fc := defaultFileConfig()
	fc.Kafka.Brokers = []string{closed}
	fc.Kafka.DialTimeout = 200 * time.Millisecond
	fc.Kafka.QueueRecords = 1
	fc.Kafka.CloseTimeout = 100 * time.Millisecond
	kpub, err := kafka.New(fc.Kafka.config("test", slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	defer kpub.Close()
	ready := kafkaReady(kpub, fc.Kafka.SpoolMaxBytes, false)
	if err := ready(); err != nil {
		t.Fatalf("ready before any record: %v", err)
	}
	batch := make([]*alert.Alert, 50)
	for i := range batch {
		batch[i] = &alert.Alert{Id: strconv.Itoa(i), Detector: "test"}
	}
	if err := kpub.Publish(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if err := ready(); err == nil || !strings.Contains(err.Error(), "dropped") {
		t.Errorf("after drops: %v", err)
	}
	if err := ready(); err != nil {
		t.Errorf("nothing new dropped: %v", err)
	}
}
