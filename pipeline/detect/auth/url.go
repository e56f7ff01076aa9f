package auth

import (
	"math"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/jwt"
)

// Rules of the "credentials-in-url" detector. A URL is written to access
// logs, proxy logs, browser history and Referer headers: a credential in
// it is exposed to all of them.
var (
	ruleQueryCreds = detect.Rule{ID: "credentials-in-query", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_MEDIUM, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	ruleQueryCredsGuess = detect.Rule{ID: "credentials-in-query-likely", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_MEDIUM, Confidence: alert.Confidence_CONFIDENCE_MEDIUM}
	ruleURLJWT = detect.Rule{ID: "jwt-in-url", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_MEDIUM, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	rulePathCreds = detect.Rule{ID: "credentials-in-path", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_MEDIUM, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	ruleUserinfo = detect.Rule{ID: "userinfo-in-url", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_HIGH}
)

// Query parameter names, normalised by normName (lower case, '-' and '_'
// removed), that name a credential whatever the value.
var secretNames = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "pass": true, "passphrase": true,
	"secret": true, "clientsecret": true, "appsecret": true, "apisecret": true,
	"apikey": true, "xapikey": true, "appkey": true, "accesskey": true, "secretkey": true,
	"privatekey": true, "accesstoken": true, "refreshtoken": true, "idtoken": true,
	"authtoken": true, "sessiontoken": true, "bearertoken": true, "oauthtoken": true,
	"sessionid": true, "jsessionid": true, "phpsessid": true, "aspsessionid": true,
	"awssecretaccesskey": true,
}

// Names that hold a credential only sometimes (a search "key", a
// pagination "token"): flagged when the value looks like one.
var maybeSecretNames = map[string]bool{
	"token": true, "key": true, "auth": true, "session": true, "sid": true,
	"authorization": true, "credential": true, "credentials": true,
}

// Names never flagged: values that are credentials by protocol design and
// short-lived (OAuth authorization codes and state, pre-signed URL
// signatures, OpenID Connect id_token_hint on logout) or not credentials
// (pagination and CSRF tokens).
var benignNameParts = []string{"page", "next", "cursor", "continuation", "csrf", "xsrf", "hint", "sync", "nonce"}

// normName lower-cases a parameter name and drops '-', '_' and '.', so
// that api_key, api-key and apiKey compare equal.
func normName(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b [64]byte
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == '_' || c == '.':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b[n] = c
		n++
	}
	return string(b[:n])
}

// report records a credential found in p's value, which the alert's URL
// then hides.
func (f *findings) report(p *decoders.Param, r *detect.Rule, summary, loc, name, value, matched string) {
	f.hide = append(f.hide, p.Value)
	f.add(r, summary, loc, name, value, matched)
}

type urlCheck struct {
	cfg detect.Config
}

func (c *urlCheck) inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	f := findings{cfg: &c.cfg, detector: "credentials-in-url", x: x}
	req := x.Request
	if user, pass, raw, ok := userinfo(req.URI); ok {
		f.hide = append(f.hide, raw)
		matched := "user " + mask(user, 0) + " without a password"
		if pass {
			matched = "user and password in the authority"
		}
		a := f.add(&ruleUserinfo, "credentials in the request URL's authority (user:password@)", "uri", "userinfo", alert.Redacted, matched)
		if !pass {
			a.Severity = alert.Severity_SEVERITY_MEDIUM
		}
	}
	for i := range x.Params {
		p := &x.Params[i]
		switch p.Loc {
		case decoders.LocQuery:
			c.query(&f, p)
		case decoders.LocPath:
			c.path(&f, p)
		}
	}
	return f.done(out)
}

func (c *urlCheck) query(f *findings, p *decoders.Param) {
	v := p.Best()
	if len(v) > c.cfg.ScanBytes {
		v = v[:c.cfg.ScanBytes]
	}
	if trivial(v) {
		return
	}
	n := normName(p.Name)
	for _, part := range benignNameParts {
		if strings.Contains(n, part) {
			return
		}
	}
	loc, title := string(p.Loc), "query parameter "+p.Name
	if jwt.Looks(v) {
		f.report(p, &ruleURLJWT, "JWT in the URL ("+title+")", loc, p.Name, jwt.Redact(v), "JWT in the query string")
		return
	}
	if kind := keyPattern(v); kind != "" {
		f.report(p, &ruleQueryCreds, "credential in the URL ("+title+")", loc, p.Name, mask(v, 4), kind)
		return
	}
	if secretNames[n] || strings.HasSuffix(n, "password") || strings.HasSuffix(n, "passwd") {
		keep := 4
		if strings.Contains(n, "pass") || n == "pwd" || strings.Contains(n, "secret") {
			keep = 0 // never a prefix of a password
		}
		f.report(p, &ruleQueryCreds, "credential in the URL ("+title+")", loc, p.Name, mask(v, keep), "parameter named for a credential")
		return
	}
	if maybeSecretNames[n] || strings.HasSuffix(n, "token") || strings.HasSuffix(n, "apikey") {
		if credentialLike(v) {
			f.report(p, &ruleQueryCredsGuess, "likely credential in the URL ("+title+")", loc, p.Name, mask(v, 4), "long random value in a parameter named for a credential")
		}
	}
}

func (c *urlCheck) path(f *findings, p *decoders.Param) {
	v := p.Best()
	if len(v) < jwt.MinLen {
		return
	}
	if len(v) > c.cfg.ScanBytes {
		v = v[:c.cfg.ScanBytes]
	}
	// Matrix parameters (";jsessionid=…") ride in path segments.
	if i := strings.IndexByte(v, ';'); i >= 0 {
		for _, mp := range strings.Split(v[i+1:], ";") {
			k, val, _ := strings.Cut(mp, "=")
			if n := normName(k); secretNames[n] && !trivial(val) {
				f.report(p, &rulePathCreds, "credential in the URL path (matrix parameter "+k+")", string(p.Loc), p.Name, mask(val, 4), "path parameter named for a credential")
			}
		}
		v = v[:i]
	}
	if jwt.Looks(v) {
		f.report(p, &ruleURLJWT, "JWT in the URL (path segment "+p.Name+")", string(p.Loc), p.Name, jwt.Redact(v), "JWT as a path segment")
		return
	}
	if kind := keyPattern(v); kind != "" {
		f.report(p, &rulePathCreds, "credential in the URL path (segment "+p.Name+")", string(p.Loc), p.Name, mask(v, 4), kind)
	}
}

// userinfo reports whether an absolute-form request target carries
// user[:password]@ before its host.
func userinfo(uri string) (user string, pass bool, raw string, ok bool) {
	i := strings.Index(uri, "://")
	if i <= 0 || i > 16 {
		return "", false, "", false
	}
	auth := uri[i+3:]
	if j := strings.IndexAny(auth, "/?#"); j >= 0 {
		auth = auth[:j]
	}
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return "", false, "", false
	}
	raw = auth[:at]
	user, pw, hasPass := strings.Cut(raw, ":")
	return user, hasPass && pw != "", raw, user != "" || hasPass
}

var placeholders = []string{"null", "none", "undefined", "true", "false", "redacted", "[redacted]", "hidden", "masked"}

// trivial reports values that hold no credential: empty, placeholders,
// booleans, short numbers.
func trivial(v string) bool {
	if len(v) < 4 {
		return true
	}
	for _, p := range placeholders {
		if strings.EqualFold(v, p) {
			return true
		}
	}
	if strings.HasPrefix(v, "${") || strings.HasPrefix(v, "{{") || strings.HasPrefix(v, "<") {
		return true // a template placeholder
	}
	// A mask: asterisks, bullets, x's.
	return strings.Trim(v, "*•xX.") == ""
}

// credentialLike reports whether v looks like a generated secret: at least
// 20 characters from a token alphabet, mixing letters and digits, with the
// character entropy of random text (an English phrase or a slug stays
// below it).
func credentialLike(v string) bool {
	if len(v) < 20 || len(v) > 4096 {
		return false
	}
	var counts [256]uint16
	var lower, upper, digit bool
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z':
			lower = true
		case 'A' <= c && c <= 'Z':
			upper = true
		case '0' <= c && c <= '9':
			digit = true
		case c == '-' || c == '_' || c == '.' || c == '~' || c == '+' || c == '/' || c == '=' || c == '%':
		default:
			return false
		}
		counts[c]++
	}
	if !digit || !(lower || upper) {
		return false
	}
	return entropy(&counts, len(v)) >= 3.5
}

// entropy is the Shannon entropy, in bits per byte, of a text of n bytes
// with the given byte counts.
func entropy(counts *[256]uint16, n int) float64 {
	var h float64
	for _, k := range counts {
		if k == 0 {
			continue
		}
		p := float64(k) / float64(n)
		h -= p * math.Log2(p)
	}
	return h
}
