package identity

import (
	"net/netip"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/jwt"
)

// Bounds on values copied from traffic.
const (
	maxUserAgent = 256
	maxSubject   = 256
	maxScheme    = 16
	// maxForwardHops bounds the forwarding-header entries looked at.
	maxForwardHops = 32
)

// Authentication kinds of alert.Client.Auth.
const (
	AuthBearer = "bearer"
	AuthBasic  = "basic"
	AuthAPIKey = "api-key"
	AuthCookie = "cookie"
)

// Identify returns who sent x: its address (from the forwarding headers
// when the TCP peer is a trusted proxy), hashed API key, token and session,
// token subject, user agent and fingerprints. It returns nil when x tells
// nothing (no connection and no request).
//
// A TLS exchange (x.TLS set) also records its JA4 for the client address:
// later exchanges from that address whose own connection shows no
// ClientHello (TLS terminated at a load balancer that forwards the client
// in X-Forwarded-For, or plaintext read by a TLS probe) report it. The
// record is only as fresh as the order in which workers see exchanges: a
// ClientHello and a request from the same address on another worker may be
// handled in either order, so the JA4 of a client's first request can be
// missing or a previous connection's.
func (id *Identifier) Identify(x *decoders.Exchange) *alert.Client {
	var peer netip.Addr
	if x.Conn != nil {
		peer = x.Conn.Key.SrcIP.Unmap()
	}
	c := &alert.Client{}
	if peer.IsValid() {
		c.Ip = peer.String()
	}
	if t := x.TLS; t != nil {
		c.Ja4 = t.JA4
		if peer.IsValid() && t.JA4 != "" {
			id.ja4.Add(peer, t.JA4)
		}
		return c
	}
	req := x.Request
	if req == nil {
		if c.Ip == "" {
			return nil
		}
		return c
	}
	client := peer
	var authz, apiKey string
	var fwd, xff, realIP []string
	trusted := id.trusted(peer)
	for i := range req.Headers {
		h := &req.Headers[i]
		switch {
		case strings.EqualFold(h.Name, "authorization"):
			if authz == "" {
				authz = h.Value
			}
		case strings.EqualFold(h.Name, "user-agent"):
			if c.UserAgent == "" {
				c.UserAgent = alert.Snippet(h.Value, maxUserAgent)
			}
		case trusted && strings.EqualFold(h.Name, "forwarded"):
			fwd = append(fwd, h.Value)
		case trusted && strings.EqualFold(h.Name, "x-forwarded-for"):
			xff = append(xff, h.Value)
		case trusted && strings.EqualFold(h.Name, "x-real-ip"):
			realIP = append(realIP, h.Value)
		case apiKey == "" && h.Value != "" && nameIn(h.Name, id.apiKeyHeaders):
			apiKey = h.Value
		}
	}
	if trusted {
		if a, ok := id.forwarded(fwd, xff, realIP); ok && a != peer {
			client = a
			c.Ip, c.PeerIp = a.String(), peer.String()
		}
	}

	var session, queryToken string
	for i := range x.Params {
		p := &x.Params[i]
		switch p.Loc {
		case decoders.LocQuery:
			switch {
			case apiKey == "" && p.Value != "" && nameIn(p.Name, id.apiKeyQuery):
				apiKey = p.Best()
			case queryToken == "" && p.Value != "" && strings.EqualFold(p.Name, "access_token"):
				queryToken = p.Best()
			}
		case decoders.LocCookie:
			if session == "" && p.Value != "" && nameIn(p.Name, id.sessionCookies) {
				session = p.Value
			}
		}
	}

	if authz == "" && queryToken != "" {
		// RFC 6750 section 2.3: a bearer token in the query.
		authz = "Bearer " + queryToken
	}
	if authz != "" {
		id.authorization(c, authz)
	}
	if apiKey != "" {
		c.ApiKey = id.Hash(KindAPIKey, apiKey)
		if c.Auth == "" {
			c.Auth = AuthAPIKey
		}
	}
	if session != "" {
		c.Session = id.Hash(KindSession, session)
		if c.Auth == "" {
			c.Auth = AuthCookie
		}
	}
	c.H2Fingerprint = alert.Snippet(x.ClientFingerprint, maxUserAgent)
	if client.IsValid() {
		c.Ja4, _ = id.ja4.Get(client)
	}
	if c.Ip == "" && c.UserAgent == "" && c.Auth == "" && c.H2Fingerprint == "" {
		return nil
	}
	return c
}

// authorization fills the token, scheme and subject from an Authorization
// header value.
func (id *Identifier) authorization(c *alert.Client, v string) {
	scheme, cred, _ := strings.Cut(strings.TrimSpace(v), " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "bearer"):
		c.Auth = AuthBearer
		if cred == "" {
			return
		}
		c.Token = id.Hash(KindToken, cred)
		c.Subject = id.subject(c.Token, cred)
	case strings.EqualFold(scheme, "basic"):
		c.Auth = AuthBasic
		if cred != "" {
			c.Token = id.Hash(KindToken, cred)
		}
	default:
		c.Auth = schemeName(scheme)
		c.Token = id.Hash(KindToken, strings.TrimSpace(v))
	}
}

// subject returns the subject of a bearer token: the JWT's sub, else its
// client_id or azp, unverified (who the token says it is, not who it is).
// Parsing is cached by token hash: a client presents the same token many
// times.
func (id *Identifier) subject(hash, token string) string {
	if s, ok := id.subjects.Get(hash); ok {
		return s
	}
	var s string
	if jwt.Looks(token) {
		if t, err := jwt.Parse(token); err == nil {
			switch {
			case t.Subject != "":
				s = t.Subject
			case t.ClientID != "":
				s = t.ClientID
			default:
				s = t.AZP
			}
		}
	}
	s = alert.Snippet(s, maxSubject)
	id.subjects.Add(hash, s)
	return s
}

// schemeName is an Authorization scheme as a bounded lower-case token.
func schemeName(s string) string {
	var b []byte
	for i := 0; i < len(s) && len(b) < maxScheme; i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
			b = append(b, c)
		}
	}
	if len(b) == 0 {
		return "other"
	}
	return string(b)
}

func (id *Identifier) trusted(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	for _, p := range id.proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwarded returns the client address the forwarding headers name: the
// right-most address that is not a trusted proxy (RFC 7239 section 7.4
// practice: entries left of it may be forged by the client). Of the right-
// most maxForwardHops entries: a client that sends hundreds of forged ones
// pushes nothing out. The header is the one Config.ForwardedHeader names,
// else X-Forwarded-For, then Forwarded, then X-Real-IP: nearly every proxy
// writes X-Forwarded-For (nginx, HAProxy, Envoy, cloud load balancers) and
// fewer Forwarded, so when both come, the other may be the client's own. An entry that is not an
// address ("unknown", an obfuscated id) ends the walk with no answer.
func (id *Identifier) forwarded(fwd, xff, realIP []string) (netip.Addr, bool) {
	var hops []string
	add := func(vals []string, pick func(string) (string, bool)) {
		for _, v := range vals {
			for el := range strings.SplitSeq(v, ",") {
				if h, ok := pick(el); ok {
					if len(hops) == maxForwardHops {
						hops = append(hops[:0], hops[1:]...)
					}
					hops = append(hops, h)
				}
			}
		}
	}
	h := id.fwdHeader
	switch {
	case h == "x-forwarded-for" || h == "" && len(xff) > 0:
		add(xff, func(s string) (string, bool) { return s, true })
	case h == "forwarded" || h == "" && len(fwd) > 0:
		add(fwd, forParam)
	case len(realIP) > 0 && (h == "x-real-ip" || h == ""):
		hops = realIP[len(realIP)-1:]
	}
	var last netip.Addr
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseHop(hops[i])
		if !ok {
			return netip.Addr{}, false
		}
		if !id.trusted(a) {
			return a, true
		}
		last = a
	}
	// Every hop is a trusted proxy: the left-most is the closest to the
	// client that is known.
	return last, last.IsValid()
}

// forParam returns the for= value of one Forwarded element.
func forParam(el string) (string, bool) {
	for pair := range strings.SplitSeq(el, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "for") {
			return strings.Trim(strings.TrimSpace(v), `"`), true
		}
	}
	return "", false
}

// parseHop parses an address as forwarding headers write it: bare,
// "[v6]", "[v6]:port" or "v4:port".
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
