package kafka

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
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
	"github.com/apisensor/sensor/pipeline/publish"
)

// publishAll publishes alerts in batches of 10 and checks that no call
// failed.
func publishAll(t testing.TB, p publish.Publisher, alerts []*alert.Alert) {
	t.Helper()
	for b := range slices.Chunk(alerts, 10) {
		if err := p.Publish(context.Background(), b); err != nil {
			t.Fatal(err)
		}
	}
}

func closeWithin(t testing.TB, p *Publisher, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	if err := p.CloseContext(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPublishReadBack(t *testing.T) {
	_, addr := startCluster(t, kfake.SeedTopics(3, testTopic))
	for _, enc := range []string{"protobuf", "json"} {
		t.Run(enc, func(t *testing.T) {
			topic := testTopic + "." + enc
			cfg := testConfig(addr, t.TempDir())
			cfg.Topic = topic
			cfg.Encoding = enc
			cfg.Producer.CreateTopics = true
			pubr, err := publish.New(Name, publish.Config{Kafka: cfg})
			if err != nil {
				t.Fatal(err)
			}
			p := pubr.(*Publisher)
			want := testAlerts(0, 300, 7)
			publishAll(t, p, want)
			closeWithin(t, p, 30*time.Second)
			st := p.Stats()
			if st.Delivered != uint64(len(want)) || st.DroppedTotal() != 0 || st.SpoolRecords != 0 {
				t.Fatalf("stats %+v", st)
			}

			byID := map[string]*alert.Alert{}
			for _, a := range want {
				byID[a.Id] = a
			}
			msgs := readAll(t, addr, topic, nil)
			if len(msgs) != len(want) {
				t.Fatalf("read %d records, want %d", len(msgs), len(want))
			}
			wantCT := map[string]string{"protobuf": ContentTypeProtobuf, "json": ContentTypeJSON}[enc]
			for _, m := range msgs {
				got := &alert.Alert{}
				if enc == "json" {
					err = protojson.Unmarshal(m.Value, got)
				} else {
					err = proto.Unmarshal(m.Value, got)
				}
				if err != nil {
					t.Fatalf("decode record at offset %d: %v", m.Offset, err)
				}
				w, ok := byID[got.Id]
				if !ok {
					t.Fatalf("unknown or repeated id %q", got.Id)
				}
				delete(byID, got.Id)
				if !proto.Equal(got, w) {
					t.Errorf("record %s = %v, want %v", got.Id, got, w)
				}
				if string(m.Key) != w.Client.Ip {
					t.Errorf("record %s key %q, want %q", got.Id, m.Key, w.Client.Ip)
				}
				for k, v := range map[string]string{
					HeaderContentType: wantCT, HeaderSchema: SchemaName, HeaderSchemaVersion: "1",
					HeaderDetector: "injection", HeaderSensorID: "sensor-test",
				} {
					if got := header(m, k); got != v {
						t.Errorf("record %s header %s = %q, want %q", w.Id, k, got, v)
					}
				}
			}
			checkKeyOrder(t, msgs)
		})
	}
}

// idSeq returns the sequence number in an "alert-%05d" id.
func idSeq(t testing.TB, id string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimPrefix(id, "alert-"))
	if err != nil {
		t.Fatalf("id %q", id)
	}
	return n
}

func alertOf(t testing.TB, m kafkago.Message) *alert.Alert {
	t.Helper()
	a := &alert.Alert{}
	var err error
	if header(m, HeaderContentType) == ContentTypeJSON {
		err = protojson.Unmarshal(m.Value, a)
	} else {
		err = proto.Unmarshal(m.Value, a)
	}
	if err != nil {
		t.Fatalf("decode record at offset %d: %v", m.Offset, err)
	}
	return a
}

// checkKeyOrder checks that per key, first deliveries come in publish
// order (repeats of an earlier record, at-least-once, are allowed), and
// returns the number of distinct ids.
func checkKeyOrder(t testing.TB, msgs []kafkago.Message) int {
	t.Helper()
	last := map[string]int{}
	seen := map[string]bool{}
	for _, m := range msgs {
		a := alertOf(t, m)
		if seen[a.Id] {
			continue
		}
		seen[a.Id] = true
		n := idSeq(t, a.Id)
		if prev, ok := last[string(m.Key)]; ok && n < prev {
			t.Errorf("key %s: %s after alert-%05d", m.Key, a.Id, prev)
		}
		last[string(m.Key)] = n
	}
	return len(seen)
}

func TestKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatal("kcat not installed (Debian package kcat): it is the independent client of this test")
	}
	_, addr := startCluster(t, kfake.SeedTopics(2, testTopic))
	cfg := testConfig(addr, t.TempDir())
	cfg.Encoding = "json"
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	want := testAlerts(0, 120, 5)
	publishAll(t, p, want)
	closeWithin(t, p, 30*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Key, headers and value separated by tabs: protojson output escapes
	// tabs inside strings, and header values here have none.
	cmd := exec.CommandContext(ctx, kcat, "-b", addr, "-C", "-t", testTopic, "-o", "beginning", "-e", "-q",
		"-f", `%k\t%h\t%s\n`)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.Bytes())
	}
	got := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := strings.SplitN(sc.Text(), "\t", 3)
		if len(f) != 3 {
			t.Fatalf("kcat line %q", sc.Text())
		}
		var a struct {
			ID     string `json:"id"`
			Client struct {
				IP string `json:"ip"`
			} `json:"client"`
		}
		if err := json.Unmarshal([]byte(f[2]), &a); err != nil {
			t.Fatalf("kcat value %q: %v", f[2], err)
		}
		if f[0] != a.Client.IP {
			t.Errorf("%s: key %q, want %q", a.ID, f[0], a.Client.IP)
		}
		for _, h := range []string{"content-type=application/json", "schema=sensor.alert.v1.Alert", "schema-version=1", "detector=injection", "sensor-id=sensor-test"} {
			if !slices.Contains(strings.Split(f[1], ","), h) {
				t.Errorf("%s: headers %q lack %q", a.ID, f[1], h)
			}
		}
		got[a.ID] = true
	}
	if len(got) != len(want) {
		t.Fatalf("kcat printed %d distinct ids, want %d", len(got), len(want))
	}
	for _, a := range want {
		if !got[a.Id] {
			t.Errorf("kcat did not print %s", a.Id)
		}
	}
}

// TestOutage stops the broker mid-stream and starts it again on the same
// port and data directory: every alert arrives, in order per key.
func TestOutage(t *testing.T) {
	port := freePort(t)
	data := t.TempDir()
	opts := []kfake.Opt{kfake.Ports(port), kfake.DataDir(data), kfake.SeedTopics(3, testTopic)}
	c1, addr := startCluster(t, opts...)
	cfg := testConfig(addr, t.TempDir())
	cfg.Producer.QueueRecords = 50
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 600
	all := testAlerts(0, n, 9)
	publishAll(t, p, all[:200])
	waitFor(t, "first deliveries", func() bool { return p.Stats().Delivered >= 50 })
	c1.Close()
	publishAll(t, p, all[200:400])
	waitFor(t, "spooling", func() bool { return p.Stats().SpoolRecords > 0 })

	startCluster(t, opts...)
	publishAll(t, p, all[400:])
	waitFor(t, "spool drained", func() bool {
		st := p.Stats()
		return st.SpoolRecords == 0 && st.Queued == 0 && st.Delivered >= n
	})
	closeWithin(t, p, 30*time.Second)
	if st := p.Stats(); st.DroppedTotal() != 0 {
		t.Fatalf("dropped: %+v", st)
	}
	msgs := readAll(t, addr, testTopic, nil)
	if got := checkKeyOrder(t, msgs); got != n {
		t.Fatalf("%d distinct ids arrived, want %d (%d records)", got, n, len(msgs))
	}
}

// TestRestart closes a producer while its spool holds alerts (brokers
// down); a new producer on the same spool delivers them.
func TestRestart(t *testing.T) {
	spool := t.TempDir()
	down := "127.0.0.1:" + strconv.Itoa(freePort(t))
	a, err := New(testConfig(down, spool))
	if err != nil {
		t.Fatal(err)
	}
	const n = 250
	publishAll(t, a, testAlerts(0, n, 4))
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // give up at once: everything stays in the spool
	if err := a.CloseContext(ctx); err != nil {
		t.Fatal(err)
	}
	if st := a.Stats(); st.SpoolRecords != n || st.DroppedTotal() != 0 {
		t.Fatalf("after close: %+v", st)
	}

	_, addr := startCluster(t, kfake.SeedTopics(2, testTopic))
	b, err := New(testConfig(addr, spool))
	if err != nil {
		t.Fatal(err)
	}
	if st := b.Stats(); st.SpoolRecords != n {
		t.Fatalf("reopened spool holds %d records, want %d", st.SpoolRecords, n)
	}
	publishAll(t, b, testAlerts(n, 50, 4))
	closeWithin(t, b, 30*time.Second)
	if st := b.Stats(); st.SpoolRecords != 0 || st.Delivered != n+50 {
		t.Fatalf("after drain: %+v", st)
	}
	msgs := readAll(t, addr, testTopic, nil)
	if got := checkKeyOrder(t, msgs); got != n+50 {
		t.Fatalf("%d distinct ids, want %d", got, n+50)
	}
	left, _ := filepath.Glob(filepath.Join(spool, "*"+segmentSuffix))
	for _, f := range left {
		if fi, err := os.Stat(f); err == nil && fi.Size() > 0 {
			t.Errorf("spool segment %s still holds %d bytes", f, fi.Size())
		}
	}
}

// TestSpoolFull publishes far more than a tiny spool holds with the brokers
// down: every call returns, and drops are counted exactly.
func TestSpoolFull(t *testing.T) {
	down := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfg := testConfig(down, t.TempDir())
	cfg.Producer.SpoolMaxBytes = 16 << 10
	cfg.Producer.SpoolSegmentBytes = 4 << 10
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2000
	publishAll(t, p, testAlerts(0, n, 3))
	st := p.Stats()
	if st.Enqueued != n {
		t.Fatalf("enqueued %d, want %d", st.Enqueued, n)
	}
	if st.SpoolRecords == 0 || st.SpoolBytes > cfg.Producer.SpoolMaxBytes {
		t.Fatalf("spool %d records, %d bytes", st.SpoolRecords, st.SpoolBytes)
	}
	kept := uint64(st.SpoolRecords) + uint64(st.Queued) + st.Delivered
	if st.Dropped[DropSpoolFull] != n-kept || st.DroppedTotal() != n-kept {
		t.Fatalf("dropped %v, want %d spool_full (kept %d)", st.Dropped, n-kept, kept)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.CloseContext(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Publish(context.Background(), testAlerts(0, 1, 1)); !errors.Is(err, publish.ErrClosed) {
		t.Errorf("Publish after Close: %v", err)
	}
}

func TestMissingTopic(t *testing.T) {
	_, addr := startCluster(t)
	cfg := testConfig(addr, t.TempDir())
	cfg.Topic = "no.such.topic"
	_, err := New(cfg)
	if !errors.Is(err, ErrTopicMissing) || !strings.Contains(err.Error(), "no.such.topic") {
		t.Fatalf("New = %v, want ErrTopicMissing naming the topic", err)
	}
	cfg.Producer.CreateTopics = true
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("with create_topics: %v", err)
	}
	closeWithin(t, p, 10*time.Second)
}

func TestEncodeError(t *testing.T) {
	_, addr := startCluster(t, kfake.SeedTopics(1, testTopic))
	p, err := New(testConfig(addr, ""))
	if err != nil {
		t.Fatal(err)
	}
	batch := testAlerts(0, 3, 1)
	batch[1].Summary = "bad \xff utf-8"
	if err := p.Publish(context.Background(), batch); !errors.Is(err, publish.ErrEncode) {
		t.Fatalf("Publish = %v, want ErrEncode", err)
	}
	closeWithin(t, p, 10*time.Second)
	if st := p.Stats(); st.Dropped[DropEncode] != 1 || st.Delivered != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// testCerts writes a CA and a server certificate for 127.0.0.1, returning
// the server's TLS config and the CA file.
func testCerts(t *testing.T) (*tls.Config, string) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	srvKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	srv := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	srvDER, err := x509.CreateCertificate(rand.Reader, srv, caCert, &srvKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{srvDER}, PrivateKey: srvKey}}}, caFile
}

func TestTLS(t *testing.T) {
	srvCfg, caFile := testCerts(t)
	_, addr := startCluster(t, kfake.TLS(srvCfg), kfake.SeedTopics(1, testTopic))

	cfg := testConfig(addr, t.TempDir())
	cfg.Client.TLS = TLSConfig{Enable: true, CAFile: caFile}
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	publishAll(t, p, testAlerts(0, 20, 2))
	closeWithin(t, p, 30*time.Second)
	dialer, err := cfg.Client.Dialer()
	if err != nil {
		t.Fatal(err)
	}
	if got := len(readAll(t, addr, testTopic, dialer)); got != 20 {
		t.Fatalf("read %d over TLS, want 20", got)
	}

	// A broker whose certificate does not verify refuses us at startup.
	_, otherCA := testCerts(t)
	cfg.Client.TLS.CAFile = otherCA
	if _, err := New(cfg); err == nil {
		t.Fatal("New with the wrong CA succeeded")
	}
}

func TestSASL(t *testing.T) {
	_, addr := startCluster(t, kfake.EnableSASL(),
		kfake.Superuser("PLAIN", "plain-user", "plain-pass"),
		kfake.Superuser("SCRAM-SHA-256", "scram256", "pass256"),
		kfake.Superuser("SCRAM-SHA-512", "scram512", "pass512"),
		kfake.SeedTopics(1, testTopic))
	tests := []struct {
		mech, user, pass string
		ok               bool
	}{
		{"PLAIN", "plain-user", "plain-pass", true},
		{"SCRAM-SHA-256", "scram256", "pass256", true},
		{"SCRAM-SHA-512", "scram512", "pass512", true},
		{"PLAIN", "plain-user", "wrong", false},
		{"SCRAM-SHA-256", "scram256", "wrong", false},
		{"SCRAM-SHA-512", "scram512", "wrong", false},
	}
	for _, tt := range tests {
		t.Run(tt.mech+"/"+tt.pass, func(t *testing.T) {
			cfg := testConfig(addr, t.TempDir())
			cfg.Client.SASL = SASLConfig{Mechanism: tt.mech, Username: tt.user, Password: tt.pass}
			p, err := New(cfg)
			if !tt.ok {
				if err == nil {
					p.Close()
					t.Fatal("New with a wrong password succeeded")
				}
				if !strings.Contains(strings.ToLower(err.Error()), "sasl") && !strings.Contains(strings.ToLower(err.Error()), "auth") {
					t.Errorf("error does not say authentication failed: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			publishAll(t, p, testAlerts(0, 10, 2))
			closeWithin(t, p, 30*time.Second)
			if st := p.Stats(); st.Delivered != 10 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no brokers", func(c *Config) { c.Client.Brokers = nil }},
		{"acks", func(c *Config) { c.Producer.Acks = "most" }},
		{"compression", func(c *Config) { c.Producer.Compression = "brotli" }},
		{"encoding", func(c *Config) { c.Encoding = "xml" }},
		{"topic", func(c *Config) { c.Topic = "" }},
		{"queue", func(c *Config) { c.Producer.QueueRecords = 0 }},
		{"segment", func(c *Config) { c.Producer.SpoolSegmentBytes = c.Producer.SpoolMaxBytes + 1 }},
		{"backoff", func(c *Config) { c.Producer.RetryBackoffMax = c.Producer.RetryBackoffMin / 2 }},
	}
	for _, tt := range tests {
		cfg := testConfig("127.0.0.1:9092", "")
		tt.edit(&cfg)
		if err := cfg.Validate(); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Validate = %v, want ErrConfig", tt.name, err)
		}
	}
	if _, err := publish.New(Name, publish.Config{}); !errors.Is(err, ErrConfig) {
		t.Errorf("publish.New without a kafka section: %v", err)
	}
}

// TestSettings produces with every acks and compression setting.
func TestSettings(t *testing.T) {
	_, addr := startCluster(t, kfake.SeedTopics(1, testTopic))
	total := 0
	for _, acks := range []string{"all", "one", "none"} {
		for _, comp := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
			cfg := testConfig(addr, "")
			cfg.Producer.Acks, cfg.Producer.Compression = acks, comp
			p, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			publishAll(t, p, testAlerts(total, 5, 2))
			total += 5
			closeWithin(t, p, 30*time.Second)
			if st := p.Stats(); st.Delivered != 5 {
				t.Fatalf("acks=%s compression=%s: %+v", acks, comp, st)
			}
		}
	}
	waitFor(t, "all records readable", func() bool {
		return len(readAll(t, addr, testTopic, nil)) == total
	})
}
