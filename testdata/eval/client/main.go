// Command client sends the detection-evaluation traffic (testdata/eval/run.sh):
// every sampled corpus entry in every placement, over HTTP/1.1 and h2c to the
// evaluation server and as a gRPC call for the protobuf placement. Each request
// carries its tag (evalkit.Tag) in x-request-id. It writes a manifest, one
// JSON line per request sent or skipped, that the scoring joins with the
// sensor's exchanges. Loopback targets only; the run is bounded by -timeout.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"golang.org/x/net/websocket"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/apisensor/sensor/testdata/eval/evalkit"
	"github.com/apisensor/sensor/testdata/eval/evalpb"
)

// options are the command's flags.
type options struct {
	corpus, httpAddr, grpcAddr, placements, manifest string
	perClass, workers                                int
	h2c                                              bool
	timeout                                          time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.corpus, "corpus", "testdata/eval/corpus.jsonl", "labelled corpus (JSON lines)")
	flag.StringVar(&o.httpAddr, "http", "127.0.0.1:18080", "evaluation server, HTTP/1.1 and h2c (loopback)")
	flag.StringVar(&o.grpcAddr, "grpc", "127.0.0.1:18081", "evaluation server, gRPC (loopback)")
	flag.IntVar(&o.perClass, "max-per-class", 0, "entries kept per attack class, chosen by payload hash (0: all); benign entries are all sent")
	flag.StringVar(&o.placements, "placements", "all", "comma-separated placements (query,path,json,form,multipart,xml,header,cookie,graphql,protobuf)")
	flag.BoolVar(&o.h2c, "h2c", true, "also send every HTTP placement over prior-knowledge h2c")
	flag.IntVar(&o.workers, "workers", 4, "concurrent requests")
	flag.StringVar(&o.manifest, "manifest", "manifest.jsonl", "where the manifest of sent requests goes")
	flag.DurationVar(&o.timeout, "timeout", 6*time.Minute, "bound of the whole run")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// job is one request to send.
type job struct {
	e     *evalkit.Entry
	p     evalkit.Placement
	proto string
}

func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("address %s: not a loopback address", addr)
	}
	return nil
}

func run(o options) error {
	httpAddr, workers := o.httpAddr, max(o.workers, 1)
	for _, a := range []string{o.httpAddr, o.grpcAddr} {
		if err := checkLoopback(a); err != nil {
			return err
		}
	}
	corpus, err := evalkit.ReadCorpusFile(o.corpus)
	if err != nil {
		return err
	}
	pls, err := evalkit.ParsePlacements(o.placements)
	if err != nil {
		return err
	}
	entries := evalkit.Sample(corpus, o.perClass)
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	var p1, p2 http.Protocols
	p1.SetHTTP1(true)
	p2.SetUnencryptedHTTP2(true)
	clients := map[string]*http.Client{
		evalkit.ProtoH1:  {Transport: &http.Transport{Protocols: &p1, MaxIdleConnsPerHost: workers, DisableCompression: true}},
		evalkit.ProtoH2C: {Transport: &http.Transport{Protocols: &p2, DisableCompression: true}},
	}
	gc, err := grpc.NewClient(o.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("grpc client: %w", err)
	}
	defer gc.Close()
	search := evalpb.NewSearchClient(gc)

	mf, err := os.Create(o.manifest)
	if err != nil {
		return err
	}
	defer mf.Close()
	mw := bufio.NewWriter(mf)
	var mu sync.Mutex
	enc := json.NewEncoder(mw)
	record := func(s evalkit.Sent) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(&s) // buffered; the flush below reports write errors
	}

	jobs := make(chan job)
	var wg sync.WaitGroup
	var failures sync.Map
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				s := evalkit.Sent{ID: j.e.ID, Placement: j.p, Proto: j.proto}
				if !evalkit.Applicable(j.p, j.e.Payload) {
					s.Skipped = true
					record(s)
					continue
				}
				var err error
				switch {
				case j.proto == evalkit.ProtoGRPC:
					err = callGRPC(ctx, search, j.e, j.p)
					s.Status = 200
				case j.p == evalkit.WebSocket:
					err = sendWebSocket(ctx, httpAddr, j.e)
					s.Status = http.StatusSwitchingProtocols
				default:
					s.Status, err = sendHTTP(ctx, clients[j.proto], httpAddr, j.e, j.p)
				}
				if err != nil {
					s.Err = err.Error()
					failures.Store(j.p, err.Error())
				}
				record(s)
			}
		}()
	}
	n := 0
feed:
	for i := range entries {
		for _, p := range pls {
			protos := []string{evalkit.ProtoH1}
			if o.h2c {
				protos = append(protos, evalkit.ProtoH2C)
			}
			switch p {
			case evalkit.Protobuf:
				protos = []string{evalkit.ProtoGRPC}
			case evalkit.WebSocket:
				protos = []string{evalkit.ProtoH1} // an Upgrade is HTTP/1.1's
			}
			for _, pr := range protos {
				select {
				case jobs <- job{&entries[i], p, pr}:
					n++
				case <-ctx.Done():
					break feed
				}
			}
		}
	}
	close(jobs)
	wg.Wait()
	if err := mw.Flush(); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	failures.Range(func(k, v any) bool {
		fmt.Fprintf(os.Stderr, "client: %s: e.g. %s\n", k, v)
		return true
	})
	fmt.Fprintf(os.Stderr, "client: %d requests for %d entries × %d placements\n", n, len(entries), len(pls))
	if ctx.Err() != nil {
		return fmt.Errorf("run stopped after %s: raise -timeout or lower -max-per-class", o.timeout)
	}
	return nil
}

func sendHTTP(ctx context.Context, c *http.Client, addr string, e *evalkit.Entry, p evalkit.Placement) (int, error) {
	req, err := evalkit.NewRequest(ctx, p, "http://"+addr, e.ID, e.Payload)
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// sendWebSocket opens a WebSocket to the server's /ws, sends the
// placement's message and reads the answer.
func sendWebSocket(ctx context.Context, addr string, e *evalkit.Entry) error {
	cfg, err := websocket.NewConfig("ws://"+addr+evalkit.WebSocketPath, "http://"+addr+"/")
	if err != nil {
		return err
	}
	cfg.Header.Set("User-Agent", evalkit.ClientUserAgent)
	ws, err := cfg.DialContext(ctx)
	if err != nil {
		return fmt.Errorf("websocket: %w", err)
	}
	defer ws.Close()
	_ = ws.SetDeadline(time.Now().Add(10 * time.Second))
	if err := websocket.Message.Send(ws, string(evalkit.WebSocketMessage(e.ID, e.Payload))); err != nil {
		return fmt.Errorf("websocket send: %w", err)
	}
	var answer string
	if err := websocket.Message.Receive(ws, &answer); err != nil {
		return fmt.Errorf("websocket receive: %w", err)
	}
	return nil
}

func callGRPC(ctx context.Context, c evalpb.SearchClient, e *evalkit.Entry, p evalkit.Placement) error {
	ctx = metadata.AppendToOutgoingContext(ctx, evalkit.TagHeader, evalkit.Tag(e.ID, p))
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := c.Query(ctx, &evalpb.QueryRequest{Query: e.Payload, Page: 1}); err != nil {
		return fmt.Errorf("grpc query: %w", err)
	}
	return nil
}
