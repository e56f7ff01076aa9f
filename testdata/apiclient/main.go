// Command apiclient is the Go client that testdata/make-captures.sh runs against
// testdata/apiserver to produce http-gonet.pcap.gz. It sends hand-written requests over
// raw TCP for the protocol anomalies net/http refuses to emit (pipelining, request
// smuggling shapes, obs-fold, bare LF, trailers, h2c upgrade), then an ordinary
// keep-alive net/http session. It prints one line per response status to stdout.
//
// It is test scaffolding, not part of the sensor.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// rawCase is one connection: the bytes are written in a single Write, then every
// response is read until the server closes or the deadline passes.
type rawCase struct {
	name string
	data string
}

func rawCases(host string) []rawCase {
	h := "Host: " + host + "\r\n"
	return []rawCase{
		{"pipelined", "" +
			"GET /api/users/1 HTTP/1.1\r\n" + h + "User-Agent: apiclient-raw\r\n\r\n" +
			"GET /api/users/2 HTTP/1.1\r\n" + h + "User-Agent: apiclient-raw\r\n\r\n" +
			"GET /api/search?q=pipelined HTTP/1.1\r\n" + h + "User-Agent: apiclient-raw\r\nConnection: close\r\n\r\n"},
		// CL.TE: by Content-Length the body is "0\r\n\r\nG"; by chunked it ends before
		// the "G", which then prefixes the next request.
		{"cl-te", "" +
			"POST /api/echo HTTP/1.1\r\n" + h + "Content-Type: text/plain\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n" +
			"0\r\n\r\nG" +
			"GET /api/users/1 HTTP/1.1\r\n" + h + "Connection: close\r\n\r\n"},
		{"dup-cl", "" +
			"POST /api/echo HTTP/1.1\r\n" + h + "Content-Type: text/plain\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\n" +
			"hello!"},
		{"obs-fold", "" +
			"GET /api/users/3 HTTP/1.1\r\n" + h + "X-Folded: first part\r\n second part\r\nConnection: close\r\n\r\n"},
		{"bare-lf", "" +
			"GET /api/users/4 HTTP/1.1\n" + h[:len(h)-2] + "\nUser-Agent: apiclient-raw\nConnection: close\n\n"},
		{"chunked-trailer", "" +
			"POST /api/echo HTTP/1.1\r\n" + h + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\nConnection: close\r\n\r\n" +
			"d\r\n{\"item\":\"abc\"\r\n" + "1\r\n}\r\n" + "0\r\nX-Checksum: 9f86d081\r\n\r\n"},
		{"h2c-upgrade", "" +
			"GET /api/users/5 HTTP/1.1\r\n" + h + "Connection: Upgrade, HTTP2-Settings, close\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n"},
	}
}

func main() {
	addr := flag.String("addr", "10.99.0.2:8080", "server address")
	flag.Parse()
	if err := run(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "apiclient:", err)
		os.Exit(1)
	}
}

func run(addr string) error {
	for _, c := range rawCases(addr) {
		statuses, err := sendRaw(addr, c.data)
		if err != nil {
			return fmt.Errorf("raw %s: %w", c.name, err)
		}
		fmt.Printf("raw %-16s %s\n", c.name, strings.Join(statuses, " "))
	}
	return session(addr)
}

func sendRaw(addr, data string) ([]string, error) {
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(3 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(conn, data); err != nil {
		return nil, err
	}
	// Every case ends with Connection: close (or an error the server closes on), so
	// reading to EOF collects all responses; the deadline bounds a misbehaving server.
	all, err := io.ReadAll(conn)
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, err
	}
	var statuses []string
	br := bufio.NewReader(bytes.NewReader(all))
	for range 8 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			break
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.Status[:3])
	}
	return statuses, nil
}

// session is an ordinary client: one keep-alive connection, gzip negotiated by the
// transport.
func session(addr string) error {
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1},
	}
	base := "http://" + addr
	type req struct{ method, path, ctype, body string }
	reqs := []req{
		{"GET", "/api/users/1", "", ""},
		{"GET", "/api/users/2", "", ""},
		{"GET", "/static/big", "", ""},
		{"POST", "/api/orders", "application/json", `{"item":"book","qty":2,"note":"gift"}`},
		{"POST", "/api/login", "application/json", `{"username":"alice","password":"s3cret"}`},
		{"GET", "/api/search?q=1%27%20OR%20%271%27%3D%271", "", ""},
		{"GET", "/api/config", "", ""},
		{"GET", "/nope", "", ""},
	}
	for _, r := range reqs {
		var body io.Reader
		if r.body != "" {
			body = strings.NewReader(r.body)
		}
		hr, err := http.NewRequest(r.method, base+r.path, body)
		if err != nil {
			return err
		}
		hr.Header.Set("User-Agent", "apiclient/1.0")
		if r.ctype != "" {
			hr.Header.Set("Content-Type", r.ctype)
		}
		resp, err := client.Do(hr)
		if err != nil {
			return fmt.Errorf("%s %s: %w", r.method, r.path, err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", r.path, err)
		}
		fmt.Printf("go  %-6s %-45s %d (%d bytes)\n", r.method, r.path, resp.StatusCode, n)
	}
	client.CloseIdleConnections()
	return nil
}
