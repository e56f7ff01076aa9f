// Command benchserver is the JSON API that testdata/bench-gen.sh puts under load with hey
// while tcpdump records the traffic; the resulting pcap is what `make bench` replays through
// the sensor and Suricata. It serves a small, realistic HTTP/1.1 API:
//
//	GET  /api/v1/users/{id}          200 user profile, or 404 for ids that do not exist
//	GET  /api/v1/search?q=...&page=N 200 result page (gzip when the client accepts it), 404 past the last page
//	POST /api/v1/orders              201 created order echoing the JSON body, 400 on a bad body
//	GET  /healthz                    200, used by the script to wait for readiness
//
// Responses are deterministic functions of the request (seeded by id, query and page) so two
// captures of the same load differ only in timing. It logs only startup and shutdown.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	maxUserID   = 500_000
	lastPage    = 40
	maxBodySize = 64 << 10
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	gzipMin := flag.Int("gzip-min", 1024, "gzip JSON responses of at least this many bytes when the client accepts gzip; 0 disables gzip")
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil)).With("component", "benchserver")
	if err := run(*addr, *gzipMin, log); err != nil {
		log.Error("exit", "err", err)
		os.Exit(1)
	}
}

func run(addr string, gzipMin int, log *slog.Logger) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv := &http.Server{
		Addr:              addr,
		Handler:           newAPI(gzipMin).routes(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	log.Info("listening", "addr", addr, "gzip_min", gzipMin)

	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", addr, err)
	}
	log.Info("stopped")
	return nil
}

type api struct {
	gzipMin   int
	nextOrder atomic.Uint64
	nextReq   atomic.Uint64
	gzipPool  sync.Pool
}

func newAPI(gzipMin int) *api {
	a := &api{gzipMin: gzipMin}
	a.nextOrder.Store(1_000_000)
	a.gzipPool.New = func() any {
		zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed) // the level is valid, so no error
		return zw
	}
	return a
}

func (a *api) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users/{id}", a.getUser)
	mux.HandleFunc("GET /api/v1/search", a.search)
	mux.HandleFunc("POST /api/v1/orders", a.createOrder)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		a.writeJSON(w, r, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		a.writeError(w, r, http.StatusNotFound, "not_found", "no route for "+r.Method+" "+r.URL.Path)
	})
	return mux
}

type address struct {
	Street   string `json:"street"`
	City     string `json:"city"`
	Postcode string `json:"postcode"`
	Country  string `json:"country"`
}

type orderSummary struct {
	ID       string  `json:"id"`
	Total    float64 `json:"total"`
	Currency string  `json:"currency"`
	Status   string  `json:"status"`
	PlacedAt string  `json:"placed_at"`
}

type user struct {
	ID           int            `json:"id"`
	Username     string         `json:"username"`
	Name         string         `json:"name"`
	Email        string         `json:"email"`
	CreatedAt    string         `json:"created_at"`
	Roles        []string       `json:"roles"`
	Verified     bool           `json:"verified"`
	Address      address        `json:"address"`
	Preferences  map[string]any `json:"preferences"`
	RecentOrders []orderSummary `json:"recent_orders"`
}

var (
	firstNames = []string{"Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Edsger", "Radia", "Alan", "Hedy"}
	lastNames  = []string{"Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Dijkstra", "Perlman", "Turing", "Lamarr"}
	cities     = []string{"Lyon", "Porto", "Leipzig", "Gdansk", "Tampere", "Ghent", "Bologna", "Brno", "Cork", "Aarhus"}
	countries  = []string{"FR", "PT", "DE", "PL", "FI", "BE", "IT", "CZ", "IE", "DK"}
	streets    = []string{"Rue de la Republique", "Avenida da Boavista", "Karl-Liebknecht-Strasse", "Ulica Dluga", "Hameenkatu", "Veldstraat", "Via Zamboni", "Masarykova", "Oliver Plunkett Street", "Strøget"}
	statuses   = []string{"pending", "paid", "shipped", "delivered", "refunded"}
	currencies = []string{"EUR", "EUR", "EUR", "USD", "GBP"}
	categories = []string{"books", "electronics", "garden", "kitchen", "toys", "sports", "office"}
	adjectives = []string{"compact", "wireless", "organic", "ergonomic", "stainless", "refurbished", "handmade", "recycled"}
	nouns      = []string{"kettle", "keyboard", "backpack", "lamp", "notebook", "headphones", "planter", "bicycle bell", "chess set"}
)

func seeded(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
}

func pick[T any](r *rand.Rand, s []T) T { return s[r.IntN(len(s))] }

func timestamp(r *rand.Rand) string {
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	return base.Add(time.Duration(r.Int64N(int64(700 * 24 * time.Hour)))).Format(time.RFC3339)
}

func (a *api) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	// Every 13th id is "deleted" so a steady share of lookups answers 404.
	if err != nil || id <= 0 || id > maxUserID || id%13 == 0 {
		a.writeError(w, r, http.StatusNotFound, "not_found", "user "+r.PathValue("id")+" not found")
		return
	}
	rnd := seeded("user", strconv.Itoa(id))
	first, last := pick(rnd, firstNames), pick(rnd, lastNames)
	u := user{
		ID:        id,
		Username:  strings.ToLower(first[:1]+last) + strconv.Itoa(id%1000),
		Name:      first + " " + last,
		Email:     strings.ToLower(first+"."+last) + "@example.org",
		CreatedAt: timestamp(rnd),
		Roles:     []string{"customer"},
		Verified:  rnd.IntN(4) != 0,
		Address: address{
			Street:   strconv.Itoa(1+rnd.IntN(200)) + " " + pick(rnd, streets),
			City:     pick(rnd, cities),
			Postcode: fmt.Sprintf("%05d", rnd.IntN(100000)),
			Country:  pick(rnd, countries),
		},
		Preferences: map[string]any{
			"newsletter": rnd.IntN(2) == 0,
			"language":   pick(rnd, []string{"en", "fr", "de", "pt", "it"}),
			"theme":      pick(rnd, []string{"light", "dark", "system"}),
		},
	}
	if id%7 == 0 {
		u.Roles = append(u.Roles, "support")
	}
	// 0..12 orders spreads bodies over roughly 450..1900 bytes.
	u.RecentOrders = make([]orderSummary, rnd.IntN(13))
	for i := range u.RecentOrders {
		u.RecentOrders[i] = orderSummary{
			ID:       fmt.Sprintf("ord_%08x", rnd.Uint32()),
			Total:    float64(rnd.IntN(50000)) / 100,
			Currency: pick(rnd, currencies),
			Status:   pick(rnd, statuses),
			PlacedAt: timestamp(rnd),
		}
	}
	a.writeJSON(w, r, http.StatusOK, u)
}

type product struct {
	SKU      string  `json:"sku"`
	Title    string  `json:"title"`
	Category string  `json:"category"`
	Price    float64 `json:"price"`
	Rating   float64 `json:"rating"`
	InStock  bool    `json:"in_stock"`
}

type searchPage struct {
	Query   string    `json:"query"`
	Page    int       `json:"page"`
	Pages   int       `json:"pages"`
	Total   int       `json:"total"`
	Results []product `json:"results"`
}

func (a *api) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			a.writeError(w, r, http.StatusNotFound, "page_not_found", "page "+p+" does not exist")
			return
		}
		page = n
	}
	rnd := seeded("search", q)
	pages := 1 + rnd.IntN(lastPage)
	if page > pages {
		a.writeError(w, r, http.StatusNotFound, "page_not_found", fmt.Sprintf("page %d of %d does not exist", page, pages))
		return
	}
	rnd = seeded("search", q, strconv.Itoa(page))
	res := searchPage{Query: q, Page: page, Pages: pages, Total: pages*10 - rnd.IntN(10)}
	// 2..14 products of ~130 bytes each keeps pages within about 300..2000 bytes.
	res.Results = make([]product, 2+rnd.IntN(13))
	for i := range res.Results {
		res.Results[i] = product{
			SKU:      fmt.Sprintf("SKU-%06d", rnd.IntN(1_000_000)),
			Title:    pick(rnd, adjectives) + " " + pick(rnd, nouns),
			Category: pick(rnd, categories),
			Price:    float64(100+rnd.IntN(30000)) / 100,
			Rating:   float64(10+rnd.IntN(41)) / 10,
			InStock:  rnd.IntN(5) != 0,
		}
	}
	a.writeJSON(w, r, http.StatusOK, res)
}

type orderItem struct {
	SKU      string  `json:"sku"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
}

type orderRequest struct {
	CustomerID      int         `json:"customer_id"`
	Items           []orderItem `json:"items"`
	Currency        string      `json:"currency"`
	ShippingAddress address     `json:"shipping_address"`
	CouponCode      string      `json:"coupon_code,omitempty"`
	Note            string      `json:"note,omitempty"`
}

type order struct {
	ID              string      `json:"id"`
	Status          string      `json:"status"`
	CustomerID      int         `json:"customer_id"`
	Items           []orderItem `json:"items"`
	Subtotal        float64     `json:"subtotal"`
	Shipping        float64     `json:"shipping"`
	Total           float64     `json:"total"`
	Currency        string      `json:"currency"`
	ShippingAddress address     `json:"shipping_address"`
	CreatedAt       string      `json:"created_at"`
}

func (a *api) createOrder(w http.ResponseWriter, r *http.Request) {
	var req orderRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodySize))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		a.writeError(w, r, http.StatusBadRequest, "invalid_body", "decode order: "+err.Error())
		return
	}
	if req.CustomerID <= 0 || len(req.Items) == 0 {
		a.writeError(w, r, http.StatusBadRequest, "invalid_order", "customer_id and items are required")
		return
	}
	o := order{
		ID:              fmt.Sprintf("ord_%08x", a.nextOrder.Add(1)),
		Status:          "pending",
		CustomerID:      req.CustomerID,
		Items:           req.Items,
		Currency:        req.Currency,
		ShippingAddress: req.ShippingAddress,
		CreatedAt:       time.Now().UTC().Format(time.RFC3339Nano),
	}
	for _, it := range req.Items {
		o.Subtotal += it.Price * float64(it.Quantity)
	}
	if o.Subtotal < 50 {
		o.Shipping = 4.90
	}
	o.Total = o.Subtotal + o.Shipping
	w.Header().Set("Location", "/api/v1/orders/"+o.ID)
	a.writeJSON(w, r, http.StatusCreated, o)
}

type apiError struct {
	Error     string `json:"error"`
	Message   string `json:"message"`
	Status    int    `json:"status"`
	Path      string `json:"path"`
	RequestID string `json:"request_id"`
	Docs      string `json:"documentation_url"`
}

func (a *api) writeError(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	a.writeJSON(w, r, status, apiError{
		Error:     code,
		Message:   msg,
		Status:    status,
		Path:      r.URL.Path,
		RequestID: a.requestID(w),
		Docs:      "https://api.example.org/docs/errors#" + code,
	})
}

func (a *api) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	a.requestID(w)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if a.gzipMin > 0 && len(body) >= a.gzipMin {
		h.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			var buf bytes.Buffer
			zw := a.gzipPool.Get().(*gzip.Writer)
			zw.Reset(&buf)
			_, _ = zw.Write(body) // writes to a bytes.Buffer cannot fail
			_ = zw.Close()
			a.gzipPool.Put(zw)
			body = buf.Bytes()
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // a client that went away is not the server's problem
}

// requestID returns the response's X-Request-Id, assigning one on first use.
func (a *api) requestID(w http.ResponseWriter) string {
	h := w.Header()
	id := h.Get("X-Request-Id")
	if id == "" {
		id = fmt.Sprintf("req_%012x", a.nextReq.Add(1))
		h.Set("X-Request-Id", id)
	}
	return id
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
				return true
			}
		}
	}
	return false
}
