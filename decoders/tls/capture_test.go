package tls

import (
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/sensor"
)

const capture = "testdata/tls-clients.pcap"

// replay runs a capture through reassembly and the dispatcher and returns
// the exchanges.
func replay(t *testing.T, pcap string) ([]*decoders.Exchange, sensor.Counts) {
	t.Helper()
	counts := sensor.Counts{}
	l := decoders.DefaultLimits()
	var out []*decoders.Exchange
	tr := sensor.NewTracker(sensor.DefaultTrackerConfig(), func(meta *sensor.ConnMeta) sensor.ConnHandler {
		return decoders.NewConn(meta, &l, counts, func(x *decoders.Exchange) { out = append(out, x) })
	}, counts)
	r := sensor.NewFileReader([]string{pcap}, nil, counts)
	if err := r.Each(func(p *sensor.Packet) bool { tr.Packet(p); return true }); err != nil {
		t.Fatal(err)
	}
	tr.CloseAll(sensor.EndCapture)
	return out, counts
}

// TestCapture checks the ClientHellos of real clients (testdata/
// make-tls-captures.sh; each hello split over several TCP segments) against
// known JA4s and, field by field, against tshark's dissection.
func TestCapture(t *testing.T) {
	xs, counts := replay(t, capture)
	// curl's is the JA4 published for curl 7.88 with OpenSSL 3.0; the
	// others follow from the same code on lists tshark agrees with.
	want := []struct{ client, ja4 string }{
		{"curl 7.88 (OpenSSL 3.0), h2", "t13d3112h2_e8f1e7e78f70_b26ce05bbdd6"},
		{"curl 7.88, --http1.1", "t13d3112h1_e8f1e7e78f70_b26ce05bbdd6"},
		{"openssl s_client, -alpn h2", "t13d3111h2_e8f1e7e78f70_1f22a2ca17c4"},
		{"openssl s_client, -tls1_2 -noservername", "t12i280600_d943125447b4_e7e480e5a997"},
		{"node 20", "t13d591000_a33745022dd6_1f22a2ca17c4"},
	}
	if len(xs) != len(want) {
		t.Fatalf("%d exchanges, want %d (counts %v)", len(xs), len(want), counts)
	}
	slices.SortFunc(xs, func(a, b *decoders.Exchange) int { return int(a.TLS.Frames[0]) - int(b.TLS.Frames[0]) })
	if counts[CountHellos] != uint64(len(want)) || counts[CountEncryptedBytes] == 0 {
		t.Errorf("counts %v", counts)
	}

	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal("tshark not found: install Debian's tshark package (.ci/run does)")
	}
	out, err := exec.Command(tshark, "-r", capture, "-Y", "tls.handshake.type==1", "-T", "fields", "-E", "separator=|",
		"-e", "frame.number", "-e", "tls.handshake.version", "-e", "tls.handshake.extensions_server_name",
		"-e", "tls.handshake.extensions_alpn_str", "-e", "tls.handshake.ciphersuite", "-e", "tls.handshake.extension.type",
		"-e", "tls.handshake.sig_hash_alg", "-e", "tls.handshake.extensions.supported_version").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(xs) {
		t.Fatalf("tshark sees %d ClientHellos, the decoder %d", len(lines), len(xs))
	}
	for i, line := range lines {
		f := strings.Split(line, "|")
		info := xs[i].TLS
		frame, _ := strconv.ParseUint(f[0], 10, 64)
		got := []string{
			fmt.Sprint(slices.Contains(info.Frames, frame)), fmt.Sprintf("0x%04x", info.LegacyVersion), info.SNI,
			strings.Join(info.ALPN, ","), hex4(info.Ciphers), decimal(info.Extensions),
			hex4(info.SignatureAlgorithms), hex4(info.SupportedVersions),
		}
		wantF := append([]string{"true"}, f[1:]...)
		if !slices.Equal(got, wantF) {
			t.Errorf("hello %d (frame %d):\n got  %q\n want %q", i, frame, got, wantF)
		}
		if info.JA4 != want[i].ja4 {
			t.Errorf("%s: JA4 %s, want %s", want[i].client, info.JA4, want[i].ja4)
		}
	}
}

func hex4(vs []uint16) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = fmt.Sprintf("0x%04x", v)
	}
	return strings.Join(s, ",")
}

func decimal(vs []uint16) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = strconv.Itoa(int(v))
	}
	return strings.Join(s, ",")
}
