package identity

import (
	"encoding/base64"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/sensor"
)

func conn(src string) *sensor.ConnMeta {
	return &sensor.ConnMeta{Key: sensor.FlowKey{SrcIP: netip.MustParseAddr(src), DstIP: netip.MustParseAddr("10.0.0.2"), SrcPort: 40000, DstPort: 443}}
}

// exchange builds a request from "Name: value" header lines and params.
func exchange(src, method, uri string, headers []string, params ...decoders.Param) *decoders.Exchange {
	req := &decoders.Message{Method: method, URI: uri}
	req.Path, req.Query, _ = strings.Cut(uri, "?")
	for _, h := range headers {
		n, v, _ := strings.Cut(h, ": ")
		req.Headers = append(req.Headers, decoders.Header{Name: n, Value: v})
	}
	return &decoders.Exchange{Conn: conn(src), Request: req, Params: params, Proto: "http/1.1"}
}

func q(name, value string) decoders.Param {
	return decoders.Param{Loc: decoders.LocQuery, Name: name, Value: value}
}

func cookie(name, value string) decoders.Param {
	return decoders.Param{Loc: decoders.LocCookie, Name: name, Value: value}
}

// jwtOf builds an unsigned token with the given JSON payload.
func jwtOf(payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc([]byte(payload)) + ".c2ln"
}

func TestIdentify(t *testing.T) {
	id, err := New(Config{TrustedProxies: NewList("10.1.0.0/16", "192.0.2.7", "2001:db8::/32"), HashKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	h := func(kind, v string) string { return id.Hash(kind, v) }
	tok := jwtOf(`{"sub":"user-42","iat":1}`)
	svc := jwtOf(`{"client_id":"svc-a"}`)
	tests := []struct {
		name string
		x    *decoders.Exchange
		want *alert.Client
	}{
		{"plain peer", exchange("203.0.113.9", "GET", "/", []string{"User-Agent: curl/8"}),
			&alert.Client{Ip: "203.0.113.9", UserAgent: "curl/8"}},
		{"xff from untrusted peer ignored", exchange("203.0.113.9", "GET", "/", []string{"X-Forwarded-For: 1.2.3.4"}),
			&alert.Client{Ip: "203.0.113.9"}},
		{"xff from trusted proxy", exchange("10.1.2.3", "GET", "/", []string{"X-Forwarded-For: 198.51.100.1, 10.1.9.9"}),
			&alert.Client{Ip: "198.51.100.1", PeerIp: "10.1.2.3"}},
		{"xff right-most untrusted wins over forged left", exchange("10.1.2.3", "GET", "/", []string{"X-Forwarded-For: 6.6.6.6, 198.51.100.1", "X-Forwarded-For: 192.0.2.7"}),
			&alert.Client{Ip: "198.51.100.1", PeerIp: "10.1.2.3"}},
		{"xff all trusted: left-most", exchange("10.1.2.3", "GET", "/", []string{"X-Forwarded-For: 10.1.0.5, 192.0.2.7"}),
			&alert.Client{Ip: "10.1.0.5", PeerIp: "10.1.2.3"}},
		{"xff unknown entry", exchange("10.1.2.3", "GET", "/", []string{"X-Forwarded-For: unknown"}),
			&alert.Client{Ip: "10.1.2.3"}},
		// X-Forwarded-For, which nearly every proxy writes, over a
		// Forwarded the client may have sent itself.
		{"xff preferred over forwarded", exchange("10.1.2.3", "GET", "/", []string{"X-Forwarded-For: 9.9.9.9", `Forwarded: for="[2001:db9::1]:4711";proto=https, for=192.0.2.7`}),
			&alert.Client{Ip: "9.9.9.9", PeerIp: "10.1.2.3"}},
		{"forwarded, v6 with port", exchange("10.1.2.3", "GET", "/", []string{`Forwarded: for="[2001:db9::1]:4711";proto=https, for=192.0.2.7`}),
			&alert.Client{Ip: "2001:db9::1", PeerIp: "10.1.2.3"}},
		// Forged entries past the hop bound push out none of the right-
		// most: the proxy's own stays read.
		{"xff flooded with forged trusted entries", exchange("10.1.2.3", "GET", "/", []string{"X-Forwarded-For: " + strings.Repeat("10.1.0.5, ", 40) + "203.0.113.66"}),
			&alert.Client{Ip: "203.0.113.66", PeerIp: "10.1.2.3"}},
		{"x-real-ip", exchange("192.0.2.7", "GET", "/", []string{"X-Real-IP: 198.51.100.77"}),
			&alert.Client{Ip: "198.51.100.77", PeerIp: "192.0.2.7"}},
		{"api key header", exchange("203.0.113.9", "GET", "/", []string{"X-API-Key: abc123"}),
			&alert.Client{Ip: "203.0.113.9", ApiKey: h(KindAPIKey, "abc123"), Auth: AuthAPIKey}},
		{"api key query", exchange("203.0.113.9", "GET", "/?apikey=abc123", nil, q("apikey", "abc123")),
			&alert.Client{Ip: "203.0.113.9", ApiKey: h(KindAPIKey, "abc123"), Auth: AuthAPIKey}},
		{"bearer jwt sub", exchange("203.0.113.9", "GET", "/", []string{"Authorization: Bearer " + tok}),
			&alert.Client{Ip: "203.0.113.9", Token: h(KindToken, tok), Subject: "user-42", Auth: AuthBearer}},
		{"bearer jwt client_id", exchange("203.0.113.9", "GET", "/", []string{"authorization: bearer " + svc}),
			&alert.Client{Ip: "203.0.113.9", Token: h(KindToken, svc), Subject: "svc-a", Auth: AuthBearer}},
		{"bearer opaque", exchange("203.0.113.9", "GET", "/", []string{"Authorization: Bearer opaque-token"}),
			&alert.Client{Ip: "203.0.113.9", Token: h(KindToken, "opaque-token"), Auth: AuthBearer}},
		{"access_token in query", exchange("203.0.113.9", "GET", "/?access_token="+tok, nil, q("access_token", tok)),
			&alert.Client{Ip: "203.0.113.9", Token: h(KindToken, tok), Subject: "user-42", Auth: AuthBearer}},
		{"basic", exchange("203.0.113.9", "GET", "/", []string{"Authorization: Basic YWxpY2U6czNjcmV0"}),
			&alert.Client{Ip: "203.0.113.9", Token: h(KindToken, "YWxpY2U6czNjcmV0"), Auth: AuthBasic}},
		{"other scheme", exchange("203.0.113.9", "GET", "/", []string{"Authorization: AWS4-HMAC-SHA256 Credential=x"}),
			&alert.Client{Ip: "203.0.113.9", Token: h(KindToken, "AWS4-HMAC-SHA256 Credential=x"), Auth: "aws4-hmac-sha256"}},
		{"session cookie", exchange("203.0.113.9", "GET", "/", nil, cookie("theme", "dark"), cookie("JSESSIONID", "s1")),
			&alert.Client{Ip: "203.0.113.9", Session: h(KindSession, "s1"), Auth: AuthCookie}},
		{"bearer and cookie: bearer is the auth", exchange("203.0.113.9", "GET", "/", []string{"Authorization: Bearer t"}, cookie("session", "s1")),
			&alert.Client{Ip: "203.0.113.9", Token: h(KindToken, "t"), Session: h(KindSession, "s1"), Auth: AuthBearer}},
		{"no conn, no request", &decoders.Exchange{}, nil},
	}
	for _, tt := range tests {
		got := id.Identify(tt.x)
		if !proto.Equal(got, tt.want) {
			t.Errorf("%s:\n got  %v\n want %v", tt.name, prototext.Format(got), prototext.Format(tt.want))
		}
	}
}

func TestJA4Correlation(t *testing.T) {
	id, err := New(Config{TrustedProxies: NewList("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	hello := &decoders.Exchange{Conn: conn("198.51.100.1"), Proto: "tls", TLS: &decoders.TLSInfo{JA4: "t13d1516h2_8daaf6152771_d8a2da3f94cd"}}
	if c := id.Identify(hello); c.GetJa4() != hello.TLS.JA4 || c.GetIp() != "198.51.100.1" {
		t.Errorf("TLS exchange: %v", c)
	}
	// The same client behind the load balancer, in plaintext.
	x := exchange("10.1.0.9", "GET", "/", []string{"X-Forwarded-For: 198.51.100.1"})
	x.ClientFingerprint = "1:65536;4:131072|12517377|0|m,p,a,s"
	c := id.Identify(x)
	if c.GetJa4() != hello.TLS.JA4 || c.GetH2Fingerprint() != x.ClientFingerprint {
		t.Errorf("forwarded exchange: %v", c)
	}
	if c := id.Identify(exchange("198.51.100.2", "GET", "/", nil)); c.GetJa4() != "" {
		t.Errorf("other client got JA4 %q", c.GetJa4())
	}
}

func TestHash(t *testing.T) {
	a, _ := New(Config{HashKey: "one"})
	b, _ := New(Config{HashKey: "one"})
	c, _ := New(Config{HashKey: "two"})
	if a.Hash(KindAPIKey, "v") != b.Hash(KindAPIKey, "v") {
		t.Error("same key, different hashes")
	}
	if a.Hash(KindAPIKey, "v") == c.Hash(KindAPIKey, "v") || a.Hash(KindAPIKey, "v") == a.Hash(KindToken, "v") {
		t.Error("hash does not depend on key or kind")
	}
	if got := a.Hash(KindAPIKey, "v"); len(got) != 18 || !strings.HasPrefix(got, "h:") {
		t.Errorf("Hash = %q", got)
	}
	if got := a.ShortHash(KindPassword, "v"); len(got) != 10 {
		t.Errorf("ShortHash = %q", got)
	}
}

func TestConfig(t *testing.T) {
	bad := []Config{
		{TrustedProxies: "10.0.0.0/33"},
		{TrustedProxies: "proxy.local"},
		{LoginPaths: "login"},
		{JA4Cache: 3},
	}
	for _, c := range bad {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
		if err := c.Prepare(); err == nil {
			t.Errorf("%+v: Prepare: no error", c)
		}
	}
	var c Config
	if c.Identifier() != defaultIdentifier() {
		t.Error("zero Config does not use the shared default")
	}
	c.HashKey = "x"
	if first := c.Identifier(); c.Identifier() != first {
		t.Error("unprepared Config: a new Identifier each call")
	}
	if err := c.Prepare(); err != nil {
		t.Fatal(err)
	}
	cp := c
	if cp.Identifier() != c.Identifier() {
		t.Error("copy of a prepared Config has another Identifier")
	}
}

func TestListYAML(t *testing.T) {
	var c Config
	doc := "trusted_proxies: [10.0.0.0/8, \"192.0.2.7\"]\napi_key_headers: x-key, x-other\n"
	if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	if got := c.TrustedProxies.Items(); !slices.Equal(got, []string{"10.0.0.0/8", "192.0.2.7"}) {
		t.Errorf("trusted_proxies = %q", got)
	}
	if got := c.APIKeyHeaders.Items(); !slices.Equal(got, []string{"x-key", "x-other"}) {
		t.Errorf("api_key_headers = %q", got)
	}
	out, err := yaml.Marshal(&c)
	if err != nil || !strings.Contains(string(out), "trusted_proxies:\n    - 10.0.0.0/8\n") {
		t.Errorf("marshal: %v\n%s", err, out)
	}
}

// TestForwardedHeaderSetting: with the proxy's header named, the other is
// the client's and is not believed.
func TestForwardedHeaderSetting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.TrustedProxies = NewList("10.1.0.0/16")
	cfg.ForwardedHeader = "Forwarded"
	id, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := exchange("10.1.2.3", "GET", "/", []string{"X-Forwarded-For: 10.20.0.5", "Forwarded: for=203.0.113.66"})
	if c := id.Identify(x); c.GetIp() != "203.0.113.66" {
		t.Errorf("client %q, want the Forwarded one", c.GetIp())
	}
	cfg.ForwardedHeader = "via"
	if _, err := New(cfg); err == nil {
		t.Error("forwarded_header via accepted")
	}
}
