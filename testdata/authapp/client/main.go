// Command client plays one scenario against testdata/authapp/server, from
// the source address given, for the behavioural scenario captures
// (testdata/make-bot-captures.sh). Every scenario is bounded in requests
// and every request in time.
//
//	stuffing     one address, 60 usernames with one password
//	distributed  one of ten addresses: 8 usernames from -offset
//	brute        one username, 50 passwords
//	enumeration  logs in, then walks /api/users/1..-n with the token
//	scanner      probe paths with sqlmap's User-Agent
//	monitor      GET /health -n times
//	partner      -n calls with an API key over a few objects
//	user         -user logs in after -failures failures, then browses
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

type client struct {
	base  string
	hc    *http.Client
	pause time.Duration
	agent string
}

func main() {
	var (
		addr     = flag.String("addr", "10.98.0.2:8080", "server address")
		src      = flag.String("src", "", "source address to bind")
		scenario = flag.String("scenario", "", "stuffing, distributed, brute, enumeration, scanner, monitor, partner or user")
		n        = flag.Int("n", 0, "requests (enumeration, monitor, partner)")
		offset   = flag.Int("offset", 0, "first username index (distributed)")
		who      = flag.String("user", "person0", "user (user scenario)")
		failures = flag.Int("failures", 1, "failed logins before the right one (user scenario)")
		pause    = flag.Duration("pause", 5*time.Millisecond, "pause between requests (real time; the capture is retimed)")
	)
	flag.Parse()
	d := &net.Dialer{Timeout: 5 * time.Second}
	if *src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(*src)}
	}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 1, DisableCompression: true}
	c := &client{base: "http://" + *addr, hc: &http.Client{Transport: tr, Timeout: 5 * time.Second}, pause: *pause, agent: "authapp-client/1.0"}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var err error
	switch *scenario {
	case "stuffing":
		for i := range 60 {
			c.login(ctx, fmt.Sprintf("user%03d@example.com", i), "Summer2024!")
		}
	case "distributed":
		for i := range 8 {
			c.login(ctx, fmt.Sprintf("victim%03d@example.com", *offset+i), "Winter2025")
		}
	case "brute":
		for i := range 50 {
			c.login(ctx, "alice", fmt.Sprintf("guess-%02d", i))
		}
	case "enumeration":
		tok := c.login(ctx, "mallory", "correct-horse")
		for i := 1; i <= *n; i++ {
			c.get(ctx, "/api/users/"+strconv.Itoa(i), "Authorization", "Bearer "+tok)
		}
	case "scanner":
		c.agent = "sqlmap/1.7.2#stable (https://sqlmap.org)"
		for _, p := range []string{"/.env", "/.git/config", "/wp-admin/", "/wp-login.php", "/actuator/env", "/phpmyadmin/",
			"/server-status", "/admin", "/backup.zip", "/api/v1/debug", "/console", "/config.php", "/api/users/1%27%20OR%201=1"} {
			c.get(ctx, p)
		}
	case "monitor":
		c.agent = "uptime-monitor/2.1"
		for range *n {
			c.get(ctx, "/health")
		}
	case "partner":
		c.agent = "partner-sync/3.4 (+https://partner.example)"
		for i := range *n {
			if i%2 == 0 {
				c.get(ctx, "/api/users/"+strconv.Itoa(1+i/2%5), "X-API-Key", "pk_live_partner_7f3a9c")
			} else {
				c.get(ctx, "/api/orders", "X-API-Key", "pk_live_partner_7f3a9c")
			}
		}
	case "user":
		c.agent = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
		for i := range *failures {
			c.login(ctx, *who, "typo-"+strconv.Itoa(i))
		}
		idx := (*who)[len(*who)-1:]
		tok := c.login(ctx, *who, "right-"+idx)
		for i := range 10 {
			if i%3 == 0 {
				c.get(ctx, "/api/orders", "Authorization", "Bearer "+tok)
			} else {
				c.get(ctx, "/api/users/10"+idx, "Authorization", "Bearer "+tok)
			}
		}
	default:
		err = fmt.Errorf("unknown scenario %q", *scenario)
	}
	if err != nil {
		log.Fatal(err)
	}
}

// login posts credentials and returns the token, or "" when refused.
func (c *client) login(ctx context.Context, user, pass string) string {
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	b := c.do(ctx, "POST", "/api/login", bytes.NewReader(body), "Content-Type", "application/json")
	var out struct{ Token string }
	_ = json.Unmarshal(b, &out)
	return out.Token
}

func (c *client) get(ctx context.Context, path string, headers ...string) {
	c.do(ctx, "GET", path, nil, headers...)
}

func (c *client) do(ctx context.Context, method, path string, body io.Reader, headers ...string) []byte {
	time.Sleep(c.pause)
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("User-Agent", c.agent)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		fmt.Fprintln(os.Stderr, method, path, err)
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	fmt.Fprintln(os.Stderr, resp.StatusCode, method, path)
	return b
}
