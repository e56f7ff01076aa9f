// Command apiserver is the small HTTP API that testdata/make-captures.sh runs inside a
// network namespace so that real clients (curl, hey, Go) produce the committed captures.
// It reads nothing but its flags and requests; it writes responses and nothing else.
//
// Its responses are deterministic apart from the Date header, so re-running the script
// gives equivalent captures. It is test scaffolding, not part of the sensor.
package main

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// bigBody is served by /static/big: about 21 KB of hex lines, so that even gzipped
// (to about half) the response spans several TCP segments.
var bigBody = func() string {
	var b strings.Builder
	for i := range 300 {
		sum := sha256.Sum256([]byte(strconv.Itoa(i)))
		fmt.Fprintf(&b, "%05d %x\n", i, sum)
	}
	return b.String()
}()

const etag = `"v1-3f2a"`

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()

	srv := &http.Server{
		Addr:              *addr,
		Handler:           routes(),
		ReadHeaderTimeout: 5 * time.Second,
		IdleTimeout:       10 * time.Second,
	}
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, "apiserver:", err)
		os.Exit(1)
	}
}

func routes() *http.ServeMux {
	mux := http.NewServeMux()
	// "GET" patterns also match HEAD; net/http drops the body for HEAD.
	mux.HandleFunc("GET /api/users/{id}", user)
	mux.HandleFunc("GET /api/search", search)
	mux.HandleFunc("POST /api/login", login)
	mux.HandleFunc("POST /api/orders", orders)
	mux.HandleFunc("POST /api/upload", upload)
	mux.HandleFunc("GET /static/big", big)
	mux.HandleFunc("GET /api/stream", stream)
	mux.HandleFunc("DELETE /api/sessions/{id}", noContent)
	mux.HandleFunc("GET /api/ping", noContent)
	mux.HandleFunc("GET /api/config", config)
	mux.HandleFunc("POST /api/echo", echo)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func user(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad id"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id": id, "name": fmt.Sprintf("user%d", id), "email": fmt.Sprintf("user%d@example.com", id), "roles": []string{"reader"},
	})
}

// search imitates a vulnerable endpoint: a quote in q "breaks" the SQL and the error
// leaks, which is what response-confirmation detectors look for.
func search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	if strings.ContainsAny(q, `'"`) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near '%s' at line 1\n", q)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"q": q, "results": []string{"alpha", "beta"}})
}

func login(w http.ResponseWriter, r *http.Request) {
	var user, pass string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var body struct {
			Username string `json:"username"`
			Password string `json:"password"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad json"})
			return
		}
		user, pass = body.Username, body.Password
	} else {
		user, pass = r.PostFormValue("username"), r.PostFormValue("password")
	}
	if user == "alice" && pass == "s3cret" {
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "abc123", Path: "/", HttpOnly: true})
		writeJSON(w, http.StatusOK, map[string]string{"token": "tok-abc123"})
		return
	}
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid credentials"})
}

func orders(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad json"})
		return
	}
	w.Header().Set("Location", "/api/orders/1001")
	writeJSON(w, http.StatusCreated, map[string]any{"id": 1001, "order": body})
}

func upload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad multipart"})
		return
	}
	files := map[string]int64{}
	for _, fhs := range r.MultipartForm.File {
		for _, fh := range fhs {
			files[fh.Filename] = fh.Size
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"fields": r.MultipartForm.Value, "files": files})
}

func big(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Length", strconv.Itoa(len(bigBody)))
		_, _ = io.WriteString(w, bigBody)
		return
	}
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Vary", "Accept-Encoding")
	zw := gzip.NewWriter(w)
	_, _ = io.WriteString(zw, bigBody)
	_ = zw.Close()
}

// stream flushes after each line so the response goes out chunked, in several segments.
func stream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-ndjson")
	f, _ := w.(http.Flusher)
	for i := range 5 {
		fmt.Fprintf(w, "{\"event\":%d}\n", i)
		if f != nil {
			f.Flush()
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func noContent(w http.ResponseWriter, r *http.Request) {
	w.WriteHeader(http.StatusNoContent)
}

func config(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "max-age=60")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"feature_x": true, "limit": 10})
}

// echo reads the whole body (so chunked requests and trailers are consumed) and says
// how much it got.
func echo(w http.ResponseWriter, r *http.Request) {
	n, err := io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "bad body"})
		return
	}
	trailers := map[string]string{}
	for k := range r.Trailer {
		trailers[k] = r.Trailer.Get(k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"bytes": n, "trailers": trailers})
}
