// Command server is the small authenticated API the behavioural scenario
// captures (testdata/bots-*.pcap) were made against: a login endpoint with a
// user table that hands out signed bearer tokens, objects that need a token
// or an API key, a health endpoint, and 404 for everything else.
//
//	POST /api/login        {"username":…,"password":…} → 200 {"token":…} | 401
//	GET  /api/users/{id}   bearer token or X-API-Key   → 200 | 401 | 404
//	GET  /api/orders       bearer token or X-API-Key   → 200 | 401
//	GET  /health                                        → 200
//
// Test fixture only: the signing key and passwords are constants.
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var signingKey = []byte("authapp-test-signing-key")

// users is the user table: username → password.
var users = map[string]string{
	"alice":   "wonderland",
	"mallory": "correct-horse",
	"person0": "right-0",
	"person1": "right-1",
	"person2": "right-2",
	"person3": "right-3",
	"person4": "right-4",
}

// apiKeys are the partner integrations' keys.
var apiKeys = map[string]string{"pk_live_partner_7f3a9c": "partner"}

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/login", login)
	mux.HandleFunc("GET /api/users/{id}", authed(user))
	mux.HandleFunc("GET /api/orders", authed(orders))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { reply(w, 200, `{"status":"ok"}`) })
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { reply(w, 404, `{"error":"not found"}`) })
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintln(w, body)
}

func login(w http.ResponseWriter, r *http.Request) {
	var in struct{ Username, Password string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
		reply(w, 400, `{"error":"bad request"}`)
		return
	}
	if p, ok := users[in.Username]; !ok || p != in.Password {
		reply(w, 401, `{"error":"invalid credentials"}`)
		return
	}
	reply(w, 200, `{"token":"`+token(in.Username)+`"}`)
}

// token is a HS256 JWT for sub.
func token(sub string) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	body := enc.EncodeToString([]byte(`{"sub":"` + sub + `","iat":1798365600,"exp":1893456000}`))
	m := hmac.New(sha256.New, signingKey)
	m.Write([]byte(head + "." + body))
	return head + "." + body + "." + enc.EncodeToString(m.Sum(nil))
}

// caller returns who the request authenticates as, or "".
func caller(r *http.Request) string {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return apiKeys[k]
	}
	t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	parts := strings.Split(t, ".")
	if len(parts) != 3 {
		return ""
	}
	m := hmac.New(sha256.New, signingKey)
	m.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return ""
	}
	var claims struct{ Sub string }
	if json.Unmarshal(b, &claims) != nil {
		return ""
	}
	return claims.Sub
}

func authed(h func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		who := caller(r)
		if who == "" {
			reply(w, 401, `{"error":"unauthorized"}`)
			return
		}
		h(w, r, who)
	}
}

// user answers any id from 1 to 5000: the object-level authorisation bug
// the enumeration scenario walks.
func user(w http.ResponseWriter, r *http.Request, _ string) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil || id < 1 || id > 5000 {
		reply(w, 404, `{"error":"not found"}`)
		return
	}
	reply(w, 200, `{"id":`+strconv.Itoa(id)+`,"name":"user`+strconv.Itoa(id)+`"}`)
}

func orders(w http.ResponseWriter, _ *http.Request, who string) {
	reply(w, 200, `{"owner":"`+who+`","orders":[]}`)
}
