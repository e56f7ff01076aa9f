package ops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Serve listens on cfg.Listen and serves until ctx is cancelled, then shuts
// down gracefully (at most cfg.ShutdownTimeout). It returns nil after a
// shutdown asked by ctx, and an error when it cannot listen or serve. An
// empty cfg.Listen serves nothing: Serve waits for ctx and returns nil.
//
// ready says whether the sensor does its job: nil, or the reason it does
// not (capture sockets not open yet, Kafka unreachable with the spool
// filling, …). It is called on every /readyz request, from the server's
// goroutines, so it must be cheap and safe for concurrent use; nil means
// always ready.
func Serve(ctx context.Context, cfg Config, gatherer prometheus.Gatherer, ready func() error, log *slog.Logger) error {
	if cfg.Listen == "" {
		<-ctx.Done()
		return nil
	}
	ln, err := Listen(ctx, cfg)
	if err != nil {
		return err
	}
	return ServeListener(ctx, ln, cfg, gatherer, ready, log)
}

// Listen binds cfg.Listen: the caller can then report the address (port 0
// picks a free one) before serving with ServeListener.
func Listen(ctx context.Context, cfg Config) (net.Listener, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("metrics listener: %w", err)
	}
	return ln, nil
}

// ServeListener is Serve on a listener the caller opened; it closes ln.
func ServeListener(ctx context.Context, ln net.Listener, cfg Config, gatherer prometheus.Gatherer, ready func() error, log *slog.Logger) error {
	if log == nil {
		log = slog.Default()
	}
	srv := &http.Server{
		Handler:           Handler(cfg, gatherer, ready, log),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("metrics listening", "addr", ln.Addr().String(), "pprof", cfg.Pprof)
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	// ctx is done: give requests in flight a bounded time of their own.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("metrics server shutdown: %w", err)
	}
	return nil
}

// Handler returns the endpoints:
//
//	/metrics        Prometheus text or protobuf exposition of gatherer
//	/healthz        200 while the process serves HTTP (liveness)
//	/readyz         200 when ready() is nil, else 503 with the reason
//	/debug/pprof/   Go profiles, only when cfg.Pprof
func Handler(cfg Config, gatherer prometheus.Gatherer, ready func() error, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	maxInFlight := cfg.MaxRequestsInFlight
	if maxInFlight <= 0 {
		maxInFlight = DefaultConfig().MaxRequestsInFlight
	}
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{
		// A failing collector should not hide the others.
		ErrorHandling:       promhttp.ContinueOnError,
		ErrorLog:            slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		MaxRequestsInFlight: maxInFlight,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		plain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if ready != nil {
			if err := ready(); err != nil {
				plain(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
				return
			}
		}
		plain(w, http.StatusOK, "ready")
	})
	if cfg.Pprof {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		body := "sensor: /metrics /healthz /readyz"
		if cfg.Pprof {
			body += " /debug/pprof/"
		}
		plain(w, http.StatusOK, body)
	})
	return mux
}

func plain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, body)
}
