package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTsharkCrossCheck compares, for every testdata capture, the multiset of
// (method, URI, status, and grpc-status on HTTP/2) the sensor rebuilds with
// what tshark dissects, and the WebSocket messages clients sent.
// tshark is the reference dissector; CI installs it.
func TestTsharkCrossCheck(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal("tshark not found: install Debian's tshark package (.ci/run does)")
	}
	for _, file := range captures(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			name := filepath.Base(file)
			var want []string
			for _, part := range splitCapture(t, tshark, file, splitBy[name]) {
				want = append(want, tsharkExchanges(t, tshark, part, outOfOrder[name])...)
				want = append(want, tsharkH2Exchanges(t, tshark, part, decodeAs[name])...)
				want = append(want, tsharkWebSocketMessages(t, tshark, part)...)
			}
			slices.Sort(want)
			_, lines, _ := replay(t, testConfig(2), file)
			var got []string
			for _, l := range lines {
				var x struct {
					Proto    string `json:"app_proto"`
					Request  *struct{ Method, URI, Body string }
					Response *struct{ Status int }
					GRPC     *struct {
						Status *int
						Web    bool
					}
				}
				if err := json.Unmarshal([]byte(l), &x); err != nil {
					t.Fatal(err)
				}
				if x.Request == nil {
					continue
				}
				if x.Proto == "websocket" {
					got = append(got, x.Request.Method+" "+x.Request.Body)
					continue
				}
				status := ""
				if x.Response != nil {
					status = fmt.Sprint(x.Response.Status)
				}
				line := x.Request.Method + " " + x.Request.URI + " " + status
				// grpc-web carries grpc-status in the body, where tshark's
				// HTTP/2 headers do not show it.
				if x.Proto == "http/2" && x.GRPC != nil && !x.GRPC.Web && x.GRPC.Status != nil {
					line += fmt.Sprintf(" grpc-status=%d", *x.GRPC.Status)
				}
				got = append(got, line)
			}
			for _, d := range knownDivergence[filepath.Base(file)] {
				got = removeLine(t, got, d.sensor, "sensor")
				want = removeLine(t, want, d.tshark, "tshark")
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("sensor and tshark disagree\nsensor (%d):\n  %s\ntshark (%d):\n  %s",
					len(got), strings.Join(got, "\n  "), len(want), strings.Join(want, "\n  "))
			}
		})
	}
}

// knownDivergence lists, per capture, exchanges the sensor rebuilds and
// tshark does not, each with the reason the sensor is right.
var knownDivergence = map[string][]struct{ sensor, tshark, why string }{
	"http-gonet.pcap.gz": {{
		sensor: "GGET /api/users/1 405",
		why: "CL.TE request smuggling: with both Content-Length and Transfer-Encoding the " +
			"sensor, like the server that answered 405, follows Transfer-Encoding (RFC 9112 " +
			"section 6.3); tshark follows Content-Length and misses the smuggled request",
	}},
	"h2c-upgrade.pcap": {{
		sensor: "GET /api/users/3 200",
		why:    upgradeWhy,
	}, {
		sensor: "POST /api/orders 201",
		why:    upgradeWhy,
	}},
	"rst.pcap": {{
		sensor: "GET /search?q=1%27%20OR%20%271%27%3D%271 200",
		tshark: "GET /search?q=1%27%20OR%20%271%27%3D%271 ",
		why: "the response is cut by a reset: the sensor reports the status line it saw " +
			"and marks the response incomplete; tshark shows no response",
	}},
	"websocket-midstream.pcap": {{
		sensor: `WEBSOCKET {"type":"connection_init","payload":{"authToken":"t0k3n"}}`,
		why:    wsMidstreamWhy,
	}, {
		sensor: `WEBSOCKET {"id":"1","type":"subscribe","payload":{"query":"subscription { orders(status: \"x' OR '1'='1\") { id } }"}}`,
		why:    wsMidstreamWhy,
	}, {
		sensor: `WEBSOCKET {"id":"2","type":"subscribe","payload":{"query":"subscription { chat(room: \"<script>alert(1)</script>\") { text } }"}}`,
		why:    wsMidstreamWhy,
	}},
	"gap.pcap": {{
		sensor: "GET /api/users/42 200",
		tshark: "GET /api/users/42 ",
		why: "a segment of the first response body was lost: the sensor ends that response " +
			"as incomplete and resynchronises on the next status line; tshark takes the next " +
			"response as more body of the first",
	}},
}

const wsMidstreamWhy = "the capture starts after the WebSocket upgrade: the sensor recognises the " +
	"socket from its masked text frames (websocket.Sniff); tshark knows WebSocket only from an upgrade"

const upgradeWhy = "after an h2c Upgrade the server answers the HTTP/1.1 request on HTTP/2 " +
	"stream 1 (RFC 9113 section 3.2): the sensor pairs the two; tshark shows the response alone"

// decodeAs gives tshark the port of captures whose HTTP/2 runs on a port it
// does not try by itself (gRPC's 50051).
var decodeAs = map[string]string{
	"grpc-unary.pcap":     "tcp.port==50051,http2",
	"grpc-streams.pcap":   "tcp.port==50051,http2",
	"grpc-injection.pcap": "tcp.port==50051,http2",
	"grpc-midstream.pcap": "tcp.port==50051,http2",
}

// outOfOrder lists the captures that tshark must read with its out-of-order
// reassembly on. It is off by default in tshark, and turning it on for
// every capture makes tshark hold back requests of connections that end in
// a reset.
var outOfOrder = map[string]bool{"reorder.pcap": true}

// splitBy gives, for captures whose connections tshark would merge, a
// display filter per part: tshark keys TCP conversations by addresses and
// ports only, so the two tenants of vxlan-tenants.pcap and vlan-tenants.pcap,
// which reuse the same ones, are one conversation to it. Each part is
// dissected alone.
var splitBy = map[string][]string{
	"vxlan-tenants.pcap": {"vxlan.vni == 1001", "vxlan.vni == 1002"},
	"vlan-tenants.pcap":  {"vlan.id == 1001", "vlan.id == 1002"},
}

// splitCapture writes the packets of file that match each filter into a
// capture of their own and returns their paths; no filters returns file.
func splitCapture(t *testing.T, tshark, file string, filters []string) []string {
	t.Helper()
	if len(filters) == 0 {
		return []string{file}
	}
	var parts []string
	for i, f := range filters {
		part := filepath.Join(t.TempDir(), fmt.Sprintf("part%d.pcap", i))
		if out, err := exec.Command(tshark, "-n", "-r", file, "-Y", f, "-F", "pcap", "-w", part).CombinedOutput(); err != nil {
			t.Fatalf("tshark -Y %q -w: %v\n%s", f, err, out)
		}
		parts = append(parts, part)
	}
	return parts
}

// removeLine removes one occurrence of line from lines; an empty line is
// nothing to remove. A known divergence that is no longer seen fails, so the
// list stays true.
func removeLine(t *testing.T, lines []string, line, who string) []string {
	t.Helper()
	if line == "" {
		return lines
	}
	i := slices.Index(lines, line)
	if i < 0 {
		t.Errorf("known divergence: %s no longer gives %q: update knownDivergence", who, line)
		return lines
	}
	return slices.Delete(lines, i, i+1)
}

// tsharkExchanges returns tshark's sorted "method uri status" lines.
// tshark links only the first of pipelined responses to its request, so
// requests and final responses are paired here by their order in each TCP
// stream, the HTTP/1.1 rule. Interim 1xx responses are left out, as the
// sensor folds them into the exchange of the final response; 101 is final.
// tsharkWebSocketMessages lists the data messages clients sent over
// WebSocket as tshark rebuilds them (joined from their fragments, inflated),
// each as the sensor's exchange of it shows: "WEBSOCKET <text>". It reads
// the last message of each packet: the captures hold one a packet.
func tsharkWebSocketMessages(t *testing.T, tshark, file string) []string {
	t.Helper()
	args := []string{"-n", "-r", file, "-Y", "websocket.mask == 1 && websocket.fin == 1 && websocket.opcode <= 2",
		"-T", "fields", "-E", "occurrence=l", "-e", "websocket.payload.text"}
	out, err := exec.Command(tshark, args...).Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 2) {
		// tshark exits 2 on a damaged file after printing what it read.
		t.Fatalf("tshark %v: %v", args, err)
	}
	var msgs []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		if l != "" {
			msgs = append(msgs, "WEBSOCKET "+l)
		}
	}
	return msgs
}

func tsharkExchanges(t *testing.T, tshark, file string, outOfOrder bool) []string {
	t.Helper()
	// Fields that occur several times in a frame (pipelined requests) are
	// joined with an aggregator that URIs do not contain.
	args := []string{"-n", "-o", fmt.Sprintf("tcp.reassemble_out_of_order:%t", outOfOrder), "-r", file, "-Y", "http",
		"-T", "fields", "-E", "separator=\t", "-E", "aggregator=\x1f",
		"-e", "tcp.stream", "-e", "http.request.method", "-e", "http.request.uri", "-e", "http.response.code"}
	out, err := exec.Command(tshark, args...).Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && len(out) > 0) {
		// tshark exits 2 on a damaged file after printing what it read.
		t.Fatalf("tshark %v: %v", args, err)
	}
	type stream struct{ reqs, codes []string }
	streams := map[string]*stream{}
	var order []string
	for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
		r := strings.Split(l, "\t")
		if len(r) != 4 {
			continue
		}
		st := streams[r[0]]
		if st == nil {
			st = &stream{}
			streams[r[0]] = st
			order = append(order, r[0])
		}
		if r[1] != "" {
			methods, uris := strings.Split(r[1], "\x1f"), strings.Split(r[2], "\x1f")
			for i := range min(len(methods), len(uris)) {
				st.reqs = append(st.reqs, methods[i]+" "+uris[i])
			}
		}
		if r[3] != "" {
			for _, c := range strings.Split(r[3], "\x1f") {
				if c >= "200" || c == "101" { // 101 ends HTTP/1 on the connection
					st.codes = append(st.codes, c)
				}
			}
		}
	}
	var lines []string
	for _, id := range order {
		st := streams[id]
		for i, req := range st.reqs {
			code := ""
			if i < len(st.codes) {
				code = st.codes[i]
			}
			lines = append(lines, req+" "+code)
		}
	}
	slices.Sort(lines)
	return lines
}

// tsharkH2Exchanges returns tshark's "method path status" lines for the
// HTTP/2 streams of a capture, from its JSON dissection: the request HEADERS
// give :method and :path, the first final response HEADERS :status.
func tsharkH2Exchanges(t *testing.T, tshark, file, decodeAs string) []string {
	t.Helper()
	args := []string{"-n", "-r", file, "-Y", "http2.type == 1 || http2.type == 5", "-T", "json", "--no-duplicate-keys", "-J", "tcp http2"}
	if decodeAs != "" {
		args = append(args, "-d", decodeAs)
	}
	out, err := exec.Command(tshark, args...).Output()
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && len(out) > 0) {
		// tshark exits 2 on a damaged file after printing what it read.
		t.Fatalf("tshark %v: %v", args, err)
	}
	if len(bytes.TrimSpace(out)) == 0 {
		return nil
	}
	var pkts []struct {
		Source struct {
			Layers struct {
				TCP   map[string]any `json:"tcp"`
				HTTP2 any            `json:"http2"`
			} `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(out, &pkts); err != nil {
		t.Fatalf("tshark JSON: %v", err)
	}
	type stream struct{ method, path, status, grpcStatus string }
	streams := map[string]*stream{}
	var order []string
	for _, p := range pkts {
		conn, _ := p.Source.Layers.TCP["tcp.stream"].(string)
		for _, layer := range asList(p.Source.Layers.HTTP2) {
			l, _ := layer.(map[string]any)
			for _, fr := range asList(l["http2.stream"]) {
				f, _ := fr.(map[string]any)
				id, _ := f["http2.streamid"].(string)
				if typ, _ := f["http2.type"].(string); typ == "5" {
					id, _ = f["http2.push_promise.promised_stream_id"].(string)
				}
				key := conn + "/" + id
				st := streams[key]
				for _, h := range asList(f["http2.header"]) {
					hm, _ := h.(map[string]any)
					name, _ := hm["http2.header.name"].(string)
					value, _ := hm["http2.header.value"].(string)
					if st == nil && strings.HasPrefix(name, ":") {
						st = &stream{}
						streams[key] = st
						order = append(order, key)
					}
					switch {
					case st == nil:
					case name == ":method":
						st.method = value
					case name == ":path":
						st.path = value
					case name == ":status" && st.status == "" && value >= "200":
						st.status = value
					case name == "grpc-status" && st.grpcStatus == "":
						st.grpcStatus = value
					}
				}
			}
		}
	}
	var lines []string
	for _, k := range order {
		if st := streams[k]; st.method != "" {
			line := st.method + " " + st.path + " " + st.status
			if st.grpcStatus != "" {
				line += " grpc-status=" + st.grpcStatus
			}
			lines = append(lines, line)
		}
	}
	return lines
}

// asList returns v as a list: tshark's JSON has an object where a field
// occurs once and an array where it repeats.
func asList(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

// TestTsharkProtobuf checks, on the gRPC captures, that every protobuf
// string field tshark dissects (with the demo service's .proto) is decoded
// to the same value by the sensor (with the same service's descriptor set).
// The sensor shows more strings than tshark: protojson writes 64-bit
// integers and enum names as strings.
func TestTsharkProtobuf(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err != nil {
		t.Fatal("tshark not found: install Debian's tshark package (.ci/run does)")
	}
	protoDir, err := filepath.Abs(filepath.Join("..", "testdata", "grpcdemo"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(2)
	cfg.ProtoDescriptors = []string{filepath.Join(protoDir, "demo.pb")}
	for _, name := range []string{"grpc-unary.pcap", "grpc-streams.pcap", "grpc-injection.pcap", "grpc-web.pcap"} {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("..", "testdata", name)
			args := []string{"-n", "-r", file, "-o", fmt.Sprintf("uat:protobuf_search_paths:%q,\"TRUE\"", protoDir),
				"-o", "protobuf.pbf_as_hf:TRUE", "-Y", "grpc", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=\x1f",
				"-e", "protobuf.field.value.string"}
			if d := decodeAs[name]; d != "" {
				args = append(args, "-d", d)
			}
			out, err := exec.Command(tshark, args...).Output()
			if err != nil {
				t.Fatalf("tshark %v: %v", args, err)
			}
			var want []string
			for _, l := range strings.Split(strings.TrimRight(string(out), "\n"), "\n") {
				if l != "" {
					want = append(want, strings.Split(l, "\x1f")...)
				}
			}
			if len(want) == 0 {
				t.Fatal("tshark dissected no protobuf string: check the search path option")
			}
			_, lines, _ := replay(t, cfg, file)
			got := map[string]int{}
			for _, l := range lines {
				var x struct {
					GRPC *struct {
						Requests, Responses []struct{ Message any }
					}
				}
				if err := json.Unmarshal([]byte(l), &x); err != nil {
					t.Fatal(err)
				}
				if x.GRPC == nil {
					continue
				}
				for _, m := range append(x.GRPC.Requests, x.GRPC.Responses...) {
					jsonStrings(m.Message, got)
				}
			}
			for _, w := range want {
				if got[w] == 0 {
					t.Errorf("tshark decoded %q; the sensor did not (or fewer times)", w)
					continue
				}
				got[w]--
			}
		})
	}
}

// jsonStrings counts the string values in a decoded JSON value.
func jsonStrings(v any, into map[string]int) {
	switch x := v.(type) {
	case string:
		into[x]++
	case []any:
		for _, e := range x {
			jsonStrings(e, into)
		}
	case map[string]any:
		for _, e := range x {
			jsonStrings(e, into)
		}
	}
}
