package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The live tests build network namespaces joined by veth pairs, run real
// servers, clients and the sensor in them (this test binary re-executed under
// `ip netns exec`, see TestNetnsHelper) and compare what `sensor run` saw
// with what `sensor replay` makes of the same traffic. They need root and
// iproute2; without them they skip.

const helperEnv = "SENSOR_NETNS_HELPER"

// TestNetnsHelper is not a test: it is the entry point of the helper
// processes (server, client, sensor) the live tests start inside namespaces.
func TestNetnsHelper(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	args := strings.Split(os.Getenv(helperEnv+"_ARGS"), "\x1f")
	switch mode {
	case "server":
		os.Exit(helperServer(args))
	case "client":
		os.Exit(helperClient(args))
	case "sensor":
		os.Exit(run(args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(2)
}

// helperServer serves HTTP/1.1 and h2c (prior knowledge) on every address
// in args until SIGTERM, at most a minute.
func helperServer(addrs []string) int {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/users/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"name":"user-%s"}`, r.PathValue("id"), r.PathValue("id"))
	})
	mux.HandleFunc("GET /api/search", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		if strings.Contains(q, "'") {
			http.Error(w, "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '"+q+"' at line 1", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `{"results":[],"q":%q}`, q)
	})
	mux.HandleFunc("POST /api/orders", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<16))
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"created":true,"bytes":%d}`, len(b))
	})
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	var srvs []*http.Server
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			return 1
		}
		s := &http.Server{Handler: mux, Protocols: &protos, ReadHeaderTimeout: 5 * time.Second}
		srvs = append(srvs, s)
		go s.Serve(ln)
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-sig:
	case <-time.After(time.Minute):
	}
	for _, s := range srvs {
		s.Close()
	}
	return 0
}

// helperClient sends the same requests over HTTP/1.1 and over h2c to each
// base URL in args, then closes its connections.
func helperClient(bases []string) int {
	h1 := &http.Transport{}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	h2 := &http.Transport{Protocols: &p}
	for _, tr := range []*http.Transport{h1, h2} {
		c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
		for _, base := range bases {
			reqs := []struct{ method, path, body string }{
				{"GET", "/api/users/1", ""},
				{"GET", "/api/users/2", ""},
				{"GET", "/api/search?q=widgets", ""},
				{"GET", "/api/search?q=1%27%20OR%20%271%27%3D%271", ""},
				{"POST", "/api/orders", `{"item":"book","qty":1}`},
			}
			for _, r := range reqs {
				req, err := http.NewRequest(r.method, base+r.path, strings.NewReader(r.body))
				if err != nil {
					fmt.Fprintln(os.Stderr, "client:", err)
					return 1
				}
				if r.body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				resp, err := c.Do(req)
				if err != nil {
					fmt.Fprintln(os.Stderr, "client:", err)
					return 1
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				fmt.Println(resp.Proto, resp.StatusCode, r.method, r.path)
			}
		}
		tr.CloseIdleConnections()
	}
	return 0
}

// needNetns skips unless the test can make network namespaces.
func needNetns(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("live capture tests: not in -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("live capture tests need root (network namespaces, AF_PACKET)")
	}
	for _, tool := range append([]string{"ip"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("live capture tests need %s: %v", tool, err)
		}
	}
}

var nsSeq atomic.Int32

// uniqueName returns a short name unique to this process and call (network
// interface names have at most 15 bytes).
func uniqueName(tag string) string {
	return fmt.Sprintf("lv%d%s%d", os.Getpid()%100000, tag, nsSeq.Add(1))
}

// sh runs a command and fails the test on error.
func sh(t *testing.T, args ...string) {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// addNetns makes a namespace with lo up, removed when the test ends.
func addNetns(t *testing.T) string {
	t.Helper()
	ns := uniqueName("n")
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Skipf("cannot make network namespaces here: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
	return ns
}

// addVeth joins namespaces a and b with a veth pair addressed ipA/ipB
// (CIDR), MTU 65535 so that captures of offloaded segments replay whole.
func addVeth(t *testing.T, a, b, ipA, ipB string) (ifA, ifB string) {
	t.Helper()
	ifA, ifB = uniqueName("a"), uniqueName("b")
	sh(t, "ip", "link", "add", ifA, "netns", a, "mtu", "65535", "type", "veth", "peer", "name", ifB, "netns", b, "mtu", "65535")
	for _, x := range []struct{ ns, ifc, ip string }{{a, ifA, ipA}, {b, ifB, ipB}} {
		if x.ip != "" {
			sh(t, "ip", "-n", x.ns, "addr", "add", x.ip, "dev", x.ifc)
		}
		sh(t, "ip", "-n", x.ns, "link", "set", x.ifc, "up")
	}
	return ifA, ifB
}

// proc is a process started in a namespace, its output kept, its lines
// watched for a readiness message.
type proc struct {
	cmd    *exec.Cmd
	stdout bytes.Buffer
	mu     sync.Mutex
	lines  []string
	newLn  chan struct{}
	done   chan struct{}
}

// start runs argv in namespace ns (no namespace when ns is ""); stdout goes
// to the buffer, or to file when it is not "".
func start(t *testing.T, ns, file string, env []string, argv ...string) *proc {
	t.Helper()
	if ns != "" {
		argv = append([]string{"ip", "netns", "exec", ns}, argv...)
	}
	p := &proc{cmd: exec.Command(argv[0], argv[1:]...), newLn: make(chan struct{}, 1), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	if file != "" {
		f, err := os.Create(file)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		p.cmd.Stdout = f
	} else {
		p.cmd.Stdout = &lockedWriter{mu: &p.mu, w: &p.stdout}
	}
	pr, pw := io.Pipe()
	p.cmd.Stderr = pw
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, sc.Text())
			p.mu.Unlock()
			select {
			case p.newLn <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		p.cmd.Wait()
		pw.Close()
		<-scanned // done: stderr is all in lines
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

func (p *proc) out() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String()
}

// waitFor waits until a line of stderr (or stdout, for the server's
// "ready") contains s, the process exits, or 20 s pass.
func (p *proc) waitFor(t *testing.T, s string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		if strings.Contains(p.stderr(), s) || strings.Contains(p.out(), s) {
			return
		}
		select {
		case <-p.newLn:
		case <-p.done:
			if strings.Contains(p.stderr(), s) || strings.Contains(p.out(), s) {
				return
			}
			t.Fatalf("%v exited before %q: %s\n%s", p.cmd.Args, s, p.stderr(), p.out())
		case <-deadline:
			t.Fatalf("%v: no %q within 20 s: %s", p.cmd.Args, s, p.stderr())
		case <-time.After(50 * time.Millisecond):
			// stdout has no line watcher: look again.
		}
	}
}

// stop signals the process and waits for it, at most 20 s; it returns the
// exit code.
func (p *proc) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v did not stop on %v: %s", p.cmd.Args, sig, p.stderr())
	}
	return p.cmd.ProcessState.ExitCode()
}

// wait waits for the process to exit by itself, at most 60 s.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v did not finish: %s", p.cmd.Args, p.stderr())
	}
	return p.cmd.ProcessState.ExitCode()
}

// helper returns the argv and environment that run this test binary as a
// helper of the given mode.
func helper(mode string, args ...string) ([]string, []string) {
	exe, _ := os.Executable()
	return []string{exe, "-test.run=^TestNetnsHelper$"}, []string{helperEnv + "=" + mode, helperEnv + "_ARGS=" + strings.Join(args, "\x1f")}
}

func startHelper(t *testing.T, ns, file, mode string, args ...string) *proc {
	t.Helper()
	argv, env := helper(mode, args...)
	return start(t, ns, file, env, argv...)
}

// volatile are the fields that differ between a live capture and a replay
// of the same traffic: times, frame numbers, file names; and the ids of
// alerts, which are derived from them.
var volatile = map[string]bool{"timestamp": true, "flow_id": true, "source": true, "frames": true, "start": true, "end": true, "frames_total": true}

// normalise parses JSON lines and returns them without the volatile
// fields, sorted, for comparing as multisets.
func normalise(t *testing.T, text string) []string {
	t.Helper()
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		if l == "" {
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("not JSON: %v: %s", err, l)
		}
		if m, ok := v.(map[string]any); ok {
			delete(m, "id") // an alert's
		}
		b, _ := json.Marshal(strip(v))
		out = append(out, string(b))
	}
	slices.Sort(out)
	return out
}

func strip(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["rule_id"]; ok {
			delete(x, "id") // an alert reference's
		}
		for k, e := range x {
			if volatile[k] {
				delete(x, k)
				continue
			}
			x[k] = strip(e)
		}
	case []any:
		for i := range x {
			x[i] = strip(x[i])
		}
	}
	return v
}

func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if slices.Equal(got, want) {
		return
	}
	var b strings.Builder
	for _, l := range want {
		if !slices.Contains(got, l) {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}
	for _, l := range got {
		if !slices.Contains(want, l) {
			fmt.Fprintf(&b, "+ %s\n", l)
		}
	}
	t.Fatalf("%s: live has %d lines, replay %d; - only in the replay, + only live:\n%s", what, len(got), len(want), b.String())
}

// twoHosts makes a client and a server namespace joined by a veth pair.
func twoHosts(t *testing.T) (cli, srv, cliIf, srvIf string) {
	cli, srv = addNetns(t), addNetns(t)
	cliIf, srvIf = addVeth(t, cli, srv, "10.97.0.1/24", "10.97.0.2/24")
	return
}

// TestRunMatchesTcpdump: HTTP/1.1 and h2c between two namespaces, captured
// live by `sensor run` and by tcpdump at once; the live exchanges and alerts
// equal those of replaying tcpdump's capture.
func TestRunMatchesTcpdump(t *testing.T) {
	needNetns(t, "tcpdump")
	dir := t.TempDir()
	cli, srv, _, srvIf := twoHosts(t)
	server := startHelper(t, srv, "", "server", ":8080")
	server.waitFor(t, "ready")

	exch := filepath.Join(dir, "live.json")
	sensor := startHelper(t, srv, exch, "sensor", "run", "-i", srvIf, "--workers", "2", "--exchanges")
	pcap := filepath.Join(dir, "tcpdump.pcap")
	// -Z root: tcpdump drops privileges and must still write into dir;
	// --immediate-mode: nothing waits in a half-full ring block at SIGINT;
	// -B 65536: in immediate mode libpcap's ring (TPACKET_V2) has one frame
	// per packet, sized for the 64 KiB MTU: the default 2 MiB hold 32
	// packets, fewer than the client's burst, which overflows them when
	// tcpdump is slow to get the CPU.
	td := start(t, srv, "", nil, "tcpdump", "--immediate-mode", "-B", "65536", "-Z", "root", "-U", "-s", "0", "-i", srvIf, "-w", pcap, "tcp")
	sensor.waitFor(t, "msg=capturing")
	td.waitFor(t, "listening on")

	client := startHelper(t, cli, "", "client", "http://10.97.0.2:8080")
	if code := client.wait(t); code != 0 {
		t.Fatalf("client exit %d: %s", code, client.stderr())
	}
	if !strings.Contains(client.out(), "HTTP/2.0 200") || !strings.Contains(client.out(), "HTTP/1.1 200") {
		t.Fatalf("client did not speak both HTTP/1.1 and h2c:\n%s", client.out())
	}
	if code := sensor.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("sensor run exit %d: %s", code, sensor.stderr())
	}
	td.stop(t, syscall.SIGINT)
	server.stop(t, syscall.SIGTERM)
	// The reference must be whole: what tcpdump lost would show as a
	// difference that is not the sensor's.
	if m := regexp.MustCompile(`(\d+) packets? dropped by kernel`).FindStringSubmatch(td.stderr()); m == nil || m[1] != "0" {
		t.Fatalf("tcpdump's capture is not whole: %s", td.stderr())
	}

	live, err := os.ReadFile(exch)
	if err != nil {
		t.Fatal(err)
	}
	code, replayed, errs := runSensor(t, nil, "replay", "--exchanges", "--workers", "2", pcap)
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, errs)
	}
	got, want := normalise(t, string(live)), normalise(t, replayed)
	if len(want) != 10 {
		t.Fatalf("replay of tcpdump's capture has %d exchanges, want 10 (5 HTTP/1.1, 5 h2c): %s", len(want), errs)
	}
	diffLines(t, "exchanges", got, want)
	if !strings.Contains(string(live), `"rule_id":"sqli"`) {
		t.Error("no SQL injection alert in the live exchanges")
	}
	if !strings.Contains(sensor.stderr(), "10 exchanges") {
		t.Errorf("run report: %s", sensor.stderr())
	}
}

// TestRunFilterExcludes: with --filter 'not port 8081' nothing of the
// traffic to port 8081 reaches the sensor; port 8080's does.
func TestRunFilterExcludes(t *testing.T) {
	needNetns(t)
	dir := t.TempDir()
	cli, srv, _, srvIf := twoHosts(t)
	server := startHelper(t, srv, "", "server", ":8080", ":8081")
	server.waitFor(t, "ready")
	exch := filepath.Join(dir, "live.json")
	stats := filepath.Join(dir, "stats.json")
	sensor := startHelper(t, srv, exch, "sensor", "run", "-i", srvIf, "--exchanges", "--filter", "not port 8081", "--stats-json", stats)
	sensor.waitFor(t, "msg=capturing")
	client := startHelper(t, cli, "", "client", "http://10.97.0.2:8080", "http://10.97.0.2:8081")
	if code := client.wait(t); code != 0 {
		t.Fatalf("client exit %d: %s", code, client.stderr())
	}
	if code := sensor.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("sensor run exit %d: %s", code, sensor.stderr())
	}
	server.stop(t, syscall.SIGTERM)
	live, err := os.ReadFile(exch)
	if err != nil {
		t.Fatal(err)
	}
	ports := map[float64]int{}
	for _, l := range strings.Split(strings.TrimSpace(string(live)), "\n") {
		var x struct {
			Flow struct {
				DestPort float64 `json:"dest_port"`
			}
		}
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		ports[x.Flow.DestPort]++
	}
	if ports[8081] != 0 || ports[8080] != 10 {
		t.Fatalf("exchanges by server port: %v, want 10 on 8080 and none on 8081", ports)
	}
	var rep struct{ Counters map[string]uint64 }
	b, err := os.ReadFile(stats)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Counters["capture.kernel_packets"] == 0 {
		t.Errorf("no kernel packet counter in the run report: %v", rep.Counters)
	}
}

// TestRunTcpreplay: a capture replayed onto a veth by tcpreplay, the sensor
// on the peer, gives the alerts `sensor replay` gives for the file.
func TestRunTcpreplay(t *testing.T) {
	live, replayed := tcpreplayLive(t, "../../testdata/http-curl.pcap", 2)
	if len(replayed) == 0 {
		t.Fatal("the replay raised no alert")
	}
	diffLines(t, "alerts", live, replayed)
}

// TestRunVLANTenants: testdata/vlan-tenants.pcap (two tenants on VLANs 1001
// and 1002 with the same addresses, ports and sequence numbers, packets
// interleaved) sent onto a veth with tcpreplay and captured live on its peer,
// where the kernel hands the tag out of band (veth strips it on receive):
// each tenant's exchange comes out whole with its zone, as in the replay of
// the file. One socket and one worker, so that both tenants meet in one
// tracker. (This kernel has no VLAN devices, tc vlan action or bridge VLAN
// filtering to make tagged traffic with real TCP stacks.)
func TestRunVLANTenants(t *testing.T) {
	live, replayed := tcpreplayLive(t, "../../testdata/vlan-tenants.pcap", 1, "--exchanges")
	if all := strings.Join(replayed, "\n"); len(replayed) != 2 || !strings.Contains(all, `"zone":"vlan:1001"`) || !strings.Contains(all, `"zone":"vlan:1002"`) {
		t.Fatalf("the replay has not the two tenants' exchanges: %s", all)
	}
	diffLines(t, "exchanges", live, replayed)
}

// TestRunFragmentsWebSocket: live capture gives what the replay gives for a
// request in IPv6 fragments (the kernel's packet socket hands them over
// one by one; with two sockets the fanout program sends every fragment of a
// datagram to one, by addresses, and the rebuilt packet is sharded by its
// flow like the others) and for a WebSocket conversation.
func TestRunFragmentsWebSocket(t *testing.T) {
	for _, tc := range []struct {
		capture string
		workers int
		want    []string
	}{
		{"../../testdata/ipv6-frag.pcap", 1, []string{`"uri":"/search?q=1%27%20OR%20%271%27%3D%271"`, `"uri":"/api/users/42"`}},
		{"../../testdata/ipv6-frag.pcap", 2, []string{`"uri":"/search?q=1%27%20OR%20%271%27%3D%271"`, `"uri":"/api/users/42"`}},
		{"../../testdata/websocket.pcap", 1, []string{`"method":"WEBSOCKET"`, `connection_init`, `x' OR '1'='1`, `alert(1)`, `"exchange_seq":3`}},
	} {
		t.Run(fmt.Sprintf("%s/%d", filepath.Base(tc.capture), tc.workers), func(t *testing.T) {
			live, replayed := tcpreplayLive(t, tc.capture, tc.workers, "--exchanges")
			all := strings.Join(replayed, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Fatalf("the replay lacks %s: %s", w, all)
				}
			}
			diffLines(t, "exchanges", live, replayed)
		})
	}
}

// tcpreplayLive sends capture onto a veth with tcpreplay, at the capture's
// own pace (detectors that look at rates see the times the file has), while
// `sensor run` with flags and workers workers (and sockets) captures the
// peer, and returns what it wrote and what `sensor replay` with flags writes
// for the file, normalised.
func tcpreplayLive(t *testing.T, capture string, workers int, flags ...string) (live, replayed []string) {
	t.Helper()
	needNetns(t, "tcpreplay")
	ns := addNetns(t)
	ifA, ifB := addVeth(t, ns, ns, "", "")
	out := filepath.Join(t.TempDir(), "out.json")
	// Sockets in a fanout group: the kernel's hash is symmetric for plain
	// TCP, so each connection stays on one socket.
	n := strconv.Itoa(workers)
	sensor := startHelper(t, ns, out, "sensor", append([]string{"run", "-i", ifB, "--workers", n, "--sockets", n}, flags...)...)
	sensor.waitFor(t, "msg=capturing")
	rp := start(t, ns, "", nil, "tcpreplay", "-q", "-i", ifA, capture)
	if code := rp.wait(t); code != 0 {
		t.Fatalf("tcpreplay exit %d: %s", code, rp.stderr())
	}
	if code := sensor.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("sensor run exit %d: %s", code, sensor.stderr())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	code, text, errs := runSensor(t, nil, append(append([]string{"replay"}, flags...), capture)...)
	if code != 0 {
		t.Fatalf("replay exit %d: %s", code, errs)
	}
	return normalise(t, string(b)), normalise(t, text)
}

// TestRunVXLAN: traffic through Linux VXLAN interfaces, captured raw on the
// underlay and, as a cloud mirror target, on a UDP socket that every VXLAN
// frame is also sent to; both give the inner exchanges with the VNI.
func TestRunVXLAN(t *testing.T) {
	needNetns(t, "bridge")
	a, b, c := addNetns(t), addNetns(t), addNetns(t)
	_, ifBA := addVeth(t, a, b, "10.96.0.1/24", "10.96.0.2/24")
	_, _ = addVeth(t, a, c, "10.96.1.1/24", "10.96.1.2/24")
	_, _ = addVeth(t, b, c, "10.96.2.1/24", "10.96.2.2/24")
	vxA, vxB := uniqueName("x"), uniqueName("x")
	macA, macB := "02:00:00:96:00:01", "02:00:00:96:00:02"
	// No "dev": the copies to the sensor leave by another interface.
	for _, x := range []struct{ ns, dev, mac, inner string }{{a, vxA, macA, "10.95.0.1/24"}, {b, vxB, macB, "10.95.0.2/24"}} {
		if out, err := exec.Command("ip", "-n", x.ns, "link", "add", x.dev, "type", "vxlan", "id", "42", "dstport", "4789", "nolearning").CombinedOutput(); err != nil {
			t.Skipf("no VXLAN interfaces in this kernel: %v: %s", err, out)
		}
		sh(t, "ip", "-n", x.ns, "link", "set", x.dev, "address", x.mac, "mtu", "1400", "up")
		sh(t, "ip", "-n", x.ns, "addr", "add", x.inner, "dev", x.dev)
	}
	// Every frame to the peer also goes to the sensor's namespace, as a
	// cloud mirror session sends it: without learning, every frame takes
	// the default FDB entry, which has two remotes (only the all-zeros
	// entry may have several).
	zero := "00:00:00:00:00:00"
	sh(t, "ip", "netns", "exec", a, "bridge", "fdb", "append", zero, "dev", vxA, "dst", "10.96.0.2")
	sh(t, "ip", "netns", "exec", a, "bridge", "fdb", "append", zero, "dev", vxA, "dst", "10.96.1.2")
	sh(t, "ip", "netns", "exec", b, "bridge", "fdb", "append", zero, "dev", vxB, "dst", "10.96.0.1")
	sh(t, "ip", "netns", "exec", b, "bridge", "fdb", "append", zero, "dev", vxB, "dst", "10.96.2.2")
	sh(t, "ip", "-n", a, "neigh", "add", "10.95.0.2", "lladdr", macB, "dev", vxA)
	sh(t, "ip", "-n", b, "neigh", "add", "10.95.0.1", "lladdr", macA, "dev", vxB)

	dir := t.TempDir()
	server := startHelper(t, b, "", "server", "10.95.0.2:8080")
	server.waitFor(t, "ready")
	raw := filepath.Join(dir, "raw.json")
	udp := filepath.Join(dir, "udp.json")
	// Two sockets: the fanout program hashes the inner flow, so both
	// directions of each connection, in two VXLAN flows, reach one socket.
	rawSensor := startHelper(t, b, raw, "sensor", "run", "-i", ifBA, "--exchanges", "--sockets", "2", "--workers", "2")
	udpSensor := startHelper(t, c, udp, "sensor", "run", "--listen-udp", ":4789", "--exchanges")
	rawSensor.waitFor(t, "msg=capturing")
	udpSensor.waitFor(t, "msg=capturing")
	client := startHelper(t, a, "", "client", "http://10.95.0.2:8080")
	if code := client.wait(t); code != 0 {
		t.Fatalf("client exit %d: %s", code, client.stderr())
	}
	for _, s := range []*proc{rawSensor, udpSensor} {
		if code := s.stop(t, syscall.SIGTERM); code != 0 {
			t.Fatalf("sensor run exit %d: %s", code, s.stderr())
		}
	}
	server.stop(t, syscall.SIGTERM)
	var sets [][]string
	for _, f := range []string{raw, udp} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := normalise(t, string(b))
		if len(lines) != 10 {
			t.Fatalf("%s: %d exchanges, want 10; raw: %s\nudp: %s", filepath.Base(f), len(lines), rawSensor.stderr(), udpSensor.stderr())
		}
		for _, l := range lines {
			if !strings.Contains(l, `"tunnels":[{"id":42,"kind":"vxlan"}]`) || !strings.Contains(l, `"dest_ip":"10.95.0.2"`) {
				t.Fatalf("%s: exchange without the inner flow or the VNI: %s", filepath.Base(f), l)
			}
		}
		sets = append(sets, lines)
	}
	diffLines(t, "raw underlay vs UDP mirror target", sets[1], sets[0])
	if strings.Contains(rawSensor.stderr(), "response_without_request") {
		t.Errorf("a response reached its worker before its request: %s", rawSensor.stderr())
	}
}

// TestRunUsage: no source is a usage error; a bad filter is caught at start.
func TestRunUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"run"}, 2, "nothing to capture"},
		{[]string{"run", "--listen-udp", "nope"}, 2, "listen_udp"},
		{[]string{"run", "--listen-udp", "127.0.0.1:0", "--ring-blocks", "0"}, 2, "blocks"},
		{[]string{"run", "-i", "lo", "extra"}, 2, "unexpected argument"},
	} {
		code, _, errs := runSensor(t, nil, c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) {
			t.Errorf("%v: exit %d, %q; want %d and %q", c.args, code, errs, c.code, c.msg)
		}
	}
}

// TestRunListenUDPStops: a UDP mirror target needs no privilege; the run
// ends on its context with exit 0 and a report.
func TestRunListenUDPStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	done := make(chan int)
	go func() {
		// No metrics listener: this runs in the host's namespace.
		done <- runCmd(ctx, []string{"--listen-udp", "vxlan=127.0.0.1:0", "--poll-timeout", "20ms", "--metrics-listen", ""}, &out, &errb)
	}()
	cancel()
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(errb.String(), "0 exchanges") {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sensor run did not stop")
	}
}

// TestRunInterfaceGone: when the captured interface disappears the run
// stops with exit status 1 and says why, instead of capturing nothing.
func TestRunInterfaceGone(t *testing.T) {
	needNetns(t)
	ns := addNetns(t)
	ifA, ifB := addVeth(t, ns, ns, "", "")
	sensor := startHelper(t, ns, "", "sensor", "run", "-i", ifB, "--poll-timeout", "20ms")
	sensor.waitFor(t, "msg=capturing")
	sh(t, "ip", "-n", ns, "link", "del", ifA) // takes its peer with it
	if code := sensor.wait(t); code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, sensor.stderr())
	}
	if !strings.Contains(sensor.stderr(), "error: capture "+ifB) {
		t.Fatalf("no capture error in the report: %s", sensor.stderr())
	}
}
