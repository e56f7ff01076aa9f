// Command server is the loopback target of the detection evaluation
// (testdata/eval/run.sh): a JSON API over HTTP/1.1 and prior-knowledge h2c on
// one port (with WebSocket upgrades on /ws) and the eval.v1.Search gRPC
// service on another. It answers every
// request with a fixed, realistic JSON body that never echoes the request, so
// response-based confirmation adds nothing and the score measures request
// detection alone. It stops on SIGINT/SIGTERM or after -lifetime.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/net/websocket"
	"google.golang.org/grpc"

	"github.com/apisensor/sensor/testdata/eval/evalkit"
	"github.com/apisensor/sensor/testdata/eval/evalpb"
)

// maxBody bounds what a handler reads of a request body.
const maxBody = 1 << 20

func main() {
	httpAddr := flag.String("http", "127.0.0.1:18080", "HTTP/1.1 and h2c listen address (loopback)")
	grpcAddr := flag.String("grpc", "127.0.0.1:18081", "gRPC listen address (loopback)")
	lifetime := flag.Duration("lifetime", 15*time.Minute, "stop by itself after this long")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*httpAddr, *grpcAddr, *lifetime, log); err != nil {
		log.Error("server", "err", err)
		os.Exit(1)
	}
}

func run(httpAddr, grpcAddr string, lifetime time.Duration, log *slog.Logger) error {
	hl, err := listenLoopback(httpAddr)
	if err != nil {
		return err
	}
	gl, err := listenLoopback(grpcAddr)
	if err != nil {
		return err
	}
	var protos http.Protocols
	protos.SetHTTP1(true)
	protos.SetUnencryptedHTTP2(true)
	mux := http.NewServeMux()
	mux.Handle(evalkit.WebSocketPath, websocket.Handler(socket))
	mux.HandleFunc("/", handle)
	hs := &http.Server{Handler: mux, Protocols: &protos, ReadHeaderTimeout: 10 * time.Second}
	gs := grpc.NewServer()
	evalpb.RegisterSearchServer(gs, searchServer{})

	errc := make(chan error, 2)
	go func() { errc <- hs.Serve(hl) }()
	go func() { errc <- gs.Serve(gl) }()
	log.Info("listening", "http", hl.Addr().String(), "grpc", gl.Addr().String())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
	case <-time.After(lifetime):
		log.Warn("lifetime over: stopping")
	case err = <-errc:
	}
	gs.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if serr := hs.Shutdown(ctx); err == nil && serr != nil {
		err = fmt.Errorf("shutdown http: %w", serr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// listenLoopback refuses any address but a loopback one: the evaluation sends
// attack payloads and must never leave the machine.
func listenLoopback(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("listen %s: not a loopback address", addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	return l, nil
}

// Fixed answers per endpoint, as a small catalogue API would give.
var answers = map[string]string{
	"/api/v1/search":   `{"total":3,"page":1,"items":[{"id":"p-1001","title":"Oak desk","price":249.0},{"id":"p-1002","title":"Desk lamp","price":39.9},{"id":"p-1003","title":"Office chair","price":189.0}]}`,
	"/api/v1/comments": `{"id":"c-88412","status":"published","created_at":"2026-11-27T10:00:00Z"}`,
	"/api/v1/contact":  `{"status":"received","ticket":"T-20931"}`,
	"/api/v1/upload":   `{"status":"stored","files":1,"bytes":38}`,
	"/api/v1/orders":   `{"order_id":1001,"status":"accepted"}`,
	"/api/v1/profile":  `{"user":"sam","plan":"pro","locale":"en-GB"}`,
	"/graphql":         `{"data":{"search":[{"id":"p-1001","title":"Oak desk","price":249.0}]}}`,
}

const reviewsAnswer = `{"item":"p-1001","reviews":[{"stars":5,"text":"Sturdy and easy to assemble."}]}`

func handle(w http.ResponseWriter, r *http.Request) {
	// Read the body whole, as an application would, so that the capture
	// holds the complete request before the answer.
	_, _ = io.Copy(io.Discard, http.MaxBytesReader(w, r.Body, maxBody))
	body, ok := answers[r.URL.Path]
	if !ok {
		body = reviewsAnswer
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, body)
}

// socket answers each message of a WebSocket (the websocket placement's
// subscriptions) with a fixed "next" message, until the client closes.
func socket(ws *websocket.Conn) {
	defer ws.Close()
	_ = ws.SetDeadline(time.Now().Add(10 * time.Second))
	for {
		var msg struct{ ID string }
		if err := websocket.JSON.Receive(ws, &msg); err != nil {
			return
		}
		if err := websocket.Message.Send(ws, `{"id":"`+msg.ID+`","type":"next","payload":{"data":{"search":[{"id":"p-1001","title":"Oak desk","price":249.0}]}}}`); err != nil {
			return
		}
	}
}

type searchServer struct {
	evalpb.UnimplementedSearchServer
}

func (searchServer) Query(context.Context, *evalpb.QueryRequest) (*evalpb.QueryReply, error) {
	return &evalpb.QueryReply{Hits: 3, Ids: []string{"p-1001", "p-1002", "p-1003"}}, nil
}
