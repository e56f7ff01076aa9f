// Command loadclient puts benchmark load on the demo.v1.Users server for
// testdata/bench-gen-h2.sh, which captures the traffic into testdata/bench/grpc-bench.pcap.
//
// It opens -conns gRPC connections (one TCP connection each) and keeps -streams calls in
// flight on every one of them until -calls calls have started or -duration has passed,
// whichever comes first; calls in flight then finish normally, so the capture ends with
// complete streams. Most calls are unary GetUser; a -streaming fraction are ListUsers,
// UploadUsers or Chat, and an -inject fraction carry SQLi/XSS payloads in string fields for
// the detectors. Requests come from a seeded generator, so a run with the same flags makes
// the same calls. A summary of calls by kind and status goes to stderr; the exit status is
// 1 when no call succeeded or more than 1% failed unexpectedly.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	demov1 "github.com/apisensor/sensor/testdata/grpcdemo/demov1"
)

// callTimeout bounds one call, streaming ones included, so a stuck server cannot hold the
// run past -duration by more than this.
const callTimeout = 10 * time.Second

// payloads are what the injection detector must find inside protobuf string fields.
var payloads = []string{
	"' OR '1'='1' --",
	"1' UNION SELECT username,password FROM users--",
	"admin'--",
	"1; DROP TABLE users;--",
	"<script>alert(document.cookie)</script>",
	"\"><img src=x onerror=alert(1)>",
}

var (
	words  = []string{"lamp", "kettle", "keyboard", "backpack", "headphones", "notebook", "planter", "bicycle", "chess", "garden hose"}
	cities = []string{"Lyon", "Porto", "Leipzig", "Gdansk", "Tampere", "Ghent", "Bologna", "Brno"}
	fields = []string{"", "", "name,email", "name,email,address", "id,name,tags", "role"}
)

type config struct {
	addr      string
	conns     int
	streams   int
	calls     int64
	duration  time.Duration
	rate      float64
	streaming float64
	inject    float64
	seed      uint64
}

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "10.96.0.1:50051", "server address")
	flag.IntVar(&c.conns, "conns", 32, "gRPC connections")
	flag.IntVar(&c.streams, "streams", 8, "calls in flight per connection")
	flag.Int64Var(&c.calls, "calls", 200000, "stop after starting this many calls")
	flag.DurationVar(&c.duration, "duration", 60*time.Second, "stop starting calls after this long")
	flag.Float64Var(&c.rate, "rate", 0, "calls per second over all connections (0: as fast as the server answers)")
	flag.Float64Var(&c.streaming, "streaming", 0.05, "fraction of calls that are streaming RPCs")
	flag.Float64Var(&c.inject, "inject", 0.005, "fraction of calls carrying an injection payload")
	flag.Uint64Var(&c.seed, "seed", 1, "request generator seed")
	flag.Parse()
	if err := c.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "loadclient:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fmt.Fprintln(os.Stderr, "loadclient:", err)
		os.Exit(1)
	}
}

func (c config) validate() error {
	switch {
	case c.conns < 1 || c.conns > 1000:
		return fmt.Errorf("-conns %d: want 1..1000", c.conns)
	case c.streams < 1 || c.streams > 1000:
		return fmt.Errorf("-streams %d: want 1..1000", c.streams)
	case c.calls < 1:
		return fmt.Errorf("-calls %d: want at least 1", c.calls)
	case c.duration <= 0:
		return fmt.Errorf("-duration %s: want a positive duration", c.duration)
	case c.rate < 0:
		return fmt.Errorf("-rate %g: want 0 or more", c.rate)
	case c.streaming < 0 || c.streaming > 1 || c.inject < 0 || c.inject > 1:
		return errors.New("-streaming and -inject are fractions between 0 and 1")
	}
	return nil
}

// tally counts finished calls by "method code"; workers add to it under its mutex once per
// call, which is cheap next to a network round trip.
type tally struct {
	mu     sync.Mutex
	byKind map[string]int64
	failed int64 // statuses other than OK and the NOT_FOUND asked for with id 0
	ok     int64
	first  error
}

func (t *tally) add(method string, err error, expected codes.Code) {
	code := status.Code(err)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byKind[method+" "+code.String()]++
	switch {
	case code == codes.OK:
		t.ok++
	case code != expected:
		t.failed++
		if t.first == nil {
			t.first = fmt.Errorf("%s: %w", method, err)
		}
	}
}

func run(ctx context.Context, c config) error {
	conns := make([]*grpc.ClientConn, c.conns)
	for i := range conns {
		conn, err := grpc.NewClient(c.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return fmt.Errorf("dial %s: %w", c.addr, err)
		}
		defer conn.Close()
		conns[i] = conn
	}

	var started atomic.Int64
	t := &tally{byKind: make(map[string]int64)}
	deadline := time.Now().Add(c.duration)
	begin := time.Now()
	workers := c.conns * c.streams
	// Each worker paces itself to its share of -rate.
	var interval time.Duration
	if c.rate > 0 {
		interval = time.Duration(float64(workers) / c.rate * float64(time.Second))
	}

	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := &gen{
				rng:    rand.New(rand.NewPCG(c.seed, uint64(w))),
				c:      demov1.NewUsersClient(conns[w%c.conns]),
				cfg:    &c,
				worker: w,
			}
			next := time.Now()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				n := started.Add(1)
				if n > c.calls {
					return
				}
				if interval > 0 {
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
					next = next.Add(interval)
				}
				g.call(n, t)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(begin)

	report(t, elapsed)
	if t.ok == 0 {
		return fmt.Errorf("no call succeeded: %w", t.first)
	}
	if t.failed*100 > t.ok {
		return fmt.Errorf("%d calls failed unexpectedly, first: %w", t.failed, t.first)
	}
	return nil
}

func report(t *tally, elapsed time.Duration) {
	kinds := make([]string, 0, len(t.byKind))
	var calls int64
	for k, n := range t.byKind {
		kinds = append(kinds, k)
		calls += n
	}
	sort.Strings(kinds)
	fmt.Fprintf(os.Stderr, "loadclient: %d calls in %.1fs (%.0f/s), %d unexpected failures\n",
		calls, elapsed.Seconds(), float64(calls)/elapsed.Seconds(), t.failed)
	for _, k := range kinds {
		fmt.Fprintf(os.Stderr, "  %-28s %d\n", k, t.byKind[k])
	}
}

// gen makes one worker's calls; it is not shared between goroutines.
type gen struct {
	rng    *rand.Rand
	c      demov1.UsersClient
	cfg    *config
	worker int
}

// text returns a payload for an -inject fraction of calls and clean otherwise.
func (g *gen) text(clean string) string {
	if g.rng.Float64() < g.cfg.inject {
		return payloads[g.rng.IntN(len(payloads))]
	}
	return clean
}

func (g *gen) address(id int64) *demov1.Address {
	return &demov1.Address{
		Street: g.text(strconv.FormatInt(id%400+1, 10) + " Rue de la Republique"),
		City:   cities[id%int64(len(cities))],
	}
}

// call makes call number n and records its outcome.
func (g *gen) call(n int64, t *tally) {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx,
		"authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.c2lnbmF0dXJl",
		"x-request-id", "bench-"+strconv.FormatInt(n, 36))
	if g.rng.Float64() >= g.cfg.streaming {
		// One GetUser in a hundred asks for id 0, which the server answers NOT_FOUND.
		id := 1 + g.rng.Int64N(500000)
		if g.rng.IntN(100) == 0 {
			id = 0
		}
		_, err := g.c.GetUser(ctx, &demov1.GetUserRequest{Id: id, Fields: g.text(fields[g.rng.IntN(len(fields))])})
		expected := codes.OK
		if id == 0 {
			expected = codes.NotFound
		}
		t.add("GetUser", err, expected)
		return
	}
	switch g.rng.IntN(3) {
	case 0:
		t.add("ListUsers", g.list(ctx), codes.OK)
	case 1:
		t.add("UploadUsers", g.upload(ctx), codes.OK)
	default:
		t.add("Chat", g.chat(ctx), codes.OK)
	}
}

func (g *gen) list(ctx context.Context) error {
	st, err := g.c.ListUsers(ctx, &demov1.ListUsersRequest{
		PageSize: int32(5 + g.rng.IntN(16)),
		Filter:   g.text(words[g.rng.IntN(len(words))]),
	})
	if err != nil {
		return err
	}
	for {
		if _, err := st.Recv(); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
	}
}

func (g *gen) upload(ctx context.Context) error {
	st, err := g.c.UploadUsers(ctx)
	if err != nil {
		return err
	}
	for range 3 + g.rng.IntN(6) {
		id := 1 + g.rng.Int64N(500000)
		u := &demov1.User{
			Id:      id,
			Name:    g.text("imported-" + strconv.FormatInt(id, 10)),
			Email:   "imported" + strconv.FormatInt(id, 10) + "@example.com",
			Address: g.address(id),
			Tags:    []string{"import", "batch-" + strconv.Itoa(g.worker)},
			Role:    demov1.Role(1 + id%2),
		}
		if err := st.Send(u); err != nil {
			// The status is in the stream's result, not in Send's io.EOF.
			_, err = st.CloseAndRecv()
			return err
		}
	}
	_, err = st.CloseAndRecv()
	return err
}

// chat waits for each echo before sending the next message, as a chatty client would.
func (g *gen) chat(ctx context.Context) error {
	st, err := g.c.Chat(ctx)
	if err != nil {
		return err
	}
	for i := range 3 + g.rng.IntN(3) {
		m := &demov1.ChatMessage{
			Seq:  int64(i + 1),
			From: "worker-" + strconv.Itoa(g.worker),
			Text: g.text(strings.Join([]string{"looking for a", words[g.rng.IntN(len(words))], "near", cities[g.rng.IntN(len(cities))]}, " ")),
		}
		if i == 1 {
			m.Location = g.address(int64(g.worker))
		}
		if err := st.Send(m); err != nil {
			_, err = st.Recv()
			return err
		}
		if _, err := st.Recv(); err != nil {
			return err
		}
	}
	if err := st.CloseSend(); err != nil {
		return err
	}
	if _, err := st.Recv(); !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
