package auth

import (
	"hash/maphash"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/jwt"
)

// Rules of the "jwt" detector.
var (
	ruleJWTNone = detect.Rule{ID: "jwt-alg-none", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_CRITICAL, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	ruleJWTStripped = detect.Rule{ID: "jwt-signature-stripped", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	ruleJWTWeak = detect.Rule{ID: "jwt-weak-secret", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_CRITICAL, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	ruleJWTKeyInjection = detect.Rule{ID: "jwt-header-key-injection", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_MEDIUM}
	ruleJWTKid = detect.Rule{ID: "jwt-kid-injection", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_MEDIUM}
	ruleJWTExpired = detect.Rule{ID: "jwt-expired", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_LOW, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	ruleJWTNotYetValid = detect.Rule{ID: "jwt-not-yet-valid", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_LOW, Confidence: alert.Confidence_CONFIDENCE_MEDIUM}
	ruleJWTNoExp = detect.Rule{ID: "jwt-no-exp", Category: catAuth, OWASP: owaspAuth,
		Severity: alert.Severity_SEVERITY_LOW, Confidence: alert.Confidence_CONFIDENCE_HIGH}
)

const (
	// DefaultCacheSize is how many token verdicts the "jwt" detector keeps.
	DefaultCacheSize = 4096
	// ClockSkew is the leeway before a token's nbf counts as in the future,
	// as verifiers commonly allow.
	ClockSkew = time.Minute
	// maxTokensPerExchange bounds the tokens checked in one request.
	maxTokensPerExchange = 16
	// maxHeaderField bounds header facts kept in a verdict.
	maxHeaderField = 200
)

// verdict is what one token's content says, independent of when and where
// it was sent: computed once per distinct token and cached.
type verdict struct {
	valid    bool   // parsed as a JWT
	alg      string // header alg, bounded
	none     bool
	stripped bool
	// weakLine is the line of weak-secrets.txt whose secret signs the
	// token; 0 when none does or the token is not HMAC-signed.
	weakLine int
	hasExp   bool
	exp      time.Time
	hasNbf   bool
	nbf      time.Time
	// Header key sources: jku, x5u (bounded URLs with their hosts), jwk.
	jku, jkuHost string
	x5u, x5uHost string
	jwk          bool
	issHost      string
	kid, kidWhy  string
	// dpop is set for a DPoP proof (typ dpop+jwt), which has no exp.
	dpop bool
	// clean is set when nothing but the time checks can raise an alert:
	// the common case, which then costs no string building.
	clean bool
	// reported holds a bit per weakness rule already reported for this
	// token (see once).
	reported atomic.Uint32
}

// Weakness rules: facts about how a token was issued, not about one use of
// it. A client sends its token on every call, so they are reported once
// per token while the verdict is cached, not once per request (a bench
// client with a no-exp token would otherwise raise an alert per call).
// With several workers, which exchange carries that one alert depends on
// which worker sees the token first.
const (
	onceWeak uint32 = 1 << iota
	onceNoExp
)

// once reports whether the weakness bit has not been reported yet for the
// token, and marks it reported.
func (v *verdict) once(bit uint32) bool {
	for {
		old := v.reported.Load()
		if old&bit != 0 {
			return false
		}
		if v.reported.CompareAndSwap(old, old|bit) {
			return true
		}
	}
}

// JWTStats counts the "jwt" detector's work since it was built.
type JWTStats struct {
	// Tokens counts tokens looked at; Analysed those that missed the cache
	// and were parsed; SecretsTried the HMAC computations of the
	// weak-secret check.
	Tokens, Analysed, SecretsTried uint64
}

type jwtCheck struct {
	cfg     detect.Config
	seed    maphash.Seed
	cache   *lru.Cache[uint64, *verdict]
	secrets *secretList

	tokens, analysed, tried atomic.Uint64
}

func newJWTCheck(cfg detect.Config, cacheSize int) *jwtCheck {
	c, err := lru.New[uint64, *verdict](cacheSize)
	if err != nil {
		// Only a size <= 0 fails, and the callers pass a constant.
		panic("auth: " + err.Error())
	}
	return &jwtCheck{cfg: cfg, seed: maphash.MakeSeed(), cache: c, secrets: weakSecrets()}
}

// Stats returns the counters of d's "jwt" detector, zero when d has none.
func (d *Detector) Stats() JWTStats {
	for _, c := range d.checks {
		if j, ok := c.(*jwtCheck); ok {
			return JWTStats{Tokens: j.tokens.Load(), Analysed: j.analysed.Load(), SecretsTried: j.tried.Load()}
		}
	}
	return JWTStats{}
}

// tokenOf returns the JWT a parameter carries, or "". A header may prefix
// it with an authentication scheme.
func tokenOf(p *decoders.Param) string {
	v := p.Value
	if p.Loc == decoders.LocHeader {
		if sp := strings.IndexByte(v, ' '); sp > 0 && sp < 10 {
			if s := v[:sp]; strings.EqualFold(s, "bearer") || strings.EqualFold(s, "jwt") ||
				strings.EqualFold(s, "token") || strings.EqualFold(s, "dpop") {
				v = strings.TrimLeft(v[sp+1:], " ")
			}
		}
	}
	if len(v) < jwt.MinLen || v[0] != 'e' {
		return ""
	}
	if jwt.Looks(v) {
		return v
	}
	if p.Decodes > 0 && jwt.Looks(p.Decoded) {
		return p.Decoded
	}
	return ""
}

func (c *jwtCheck) inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	f := findings{cfg: &c.cfg, detector: "jwt", x: x}
	n := 0
	for i := range x.Params {
		p := &x.Params[i]
		if p.Loc == decoders.LocBody {
			continue
		}
		tok := tokenOf(p)
		if tok == "" {
			continue
		}
		if n++; n > maxTokensPerExchange {
			break
		}
		c.check(&f, p, tok, c.verdict(tok))
	}
	return f.done(out)
}

// verdict returns tok's cached verdict, computing it on a miss.
func (c *jwtCheck) verdict(tok string) *verdict {
	c.tokens.Add(1)
	h := maphash.String(c.seed, tok)
	if v, ok := c.cache.Get(h); ok {
		return v
	}
	v := c.analyse(tok)
	c.analysed.Add(1)
	// Two workers may analyse a new token at once: the first verdict
	// cached wins, so its once-per-token bits are shared.
	if prev, ok, _ := c.cache.PeekOrAdd(h, v); ok {
		return prev
	}
	return v
}

// analyse parses tok and judges its content. Its cost is bounded by
// jwt.MaxTokenLen and the weak-secret list's length.
func (c *jwtCheck) analyse(tok string) *verdict {
	t, err := jwt.Parse(tok)
	if err != nil {
		return &verdict{}
	}
	h := &t.Header
	v := &verdict{
		valid:    true,
		alg:      alert.Snippet(h.Alg, 32),
		none:     t.IsNone(),
		hasExp:   t.HasExp,
		exp:      t.ExpiresAt,
		hasNbf:   t.HasNbf,
		nbf:      t.NotBefore,
		jku:      alert.Snippet(h.JKU, maxHeaderField),
		jkuHost:  urlHost(h.JKU),
		x5u:      alert.Snippet(h.X5U, maxHeaderField),
		x5uHost:  urlHost(h.X5U),
		issHost:  urlHost(t.Issuer),
		kid:      alert.Snippet(h.Kid, 64),
		kidWhy:   kidProblem(h.Kid),
		stripped: len(t.Signature) == 0 && !t.IsNone(),
	}
	// A DPoP proof carries its public key in the header and lives by its
	// iat and jti, not exp, by design (RFC 9449).
	v.dpop = strings.EqualFold(h.Typ, "dpop+jwt")
	v.jwk = len(h.JWK) > 0 && !v.dpop
	if hv := t.NewHMACVerifier(); hv != nil {
		for i, s := range c.secrets.secrets {
			if hv.Verify(s) {
				v.weakLine = c.secrets.lines[i]
				c.tried.Add(uint64(i + 1))
				return v
			}
		}
		c.tried.Add(uint64(len(c.secrets.secrets)))
	}
	v.clean = !v.none && !v.stripped && v.weakLine == 0 && v.jku == "" && v.x5u == "" && !v.jwk && v.kidWhy == "" && (v.hasExp || v.dpop)
	return v
}

func (c *jwtCheck) check(f *findings, p *decoders.Param, tok string, v *verdict) {
	if !v.valid {
		return
	}
	x := f.x
	at := x.Request.Start
	expired := v.hasExp && !at.IsZero() && v.exp.Before(at)
	early := v.hasNbf && !at.IsZero() && v.nbf.After(at.Add(ClockSkew))
	if v.clean && !expired && !early {
		return
	}
	if p.Loc == decoders.LocQuery || p.Loc == decoders.LocPath {
		f.hide = append(f.hide, p.Value)
	}
	where := detect.LocationTitle(p.Loc) + " " + p.Name
	loc, name, val := string(p.Loc), p.Name, jwt.Redact(tok)
	attempt := func(r *detect.Rule, summary, matched string) {
		a := f.add(r, summary, loc, name, val, matched)
		if a.Outcome == alert.Outcome_OUTCOME_UNSPECIFIED {
			detect.SetOutcome(a, outcome(x))
			if a.Outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
				a.Summary += " (answered 2xx)"
			}
		}
	}
	switch {
	case v.none:
		attempt(&ruleJWTNone, "unsigned JWT (alg "+strconv.Quote(v.alg)+") in "+where, "alg "+strconv.Quote(v.alg))
	case v.stripped:
		attempt(&ruleJWTStripped, "JWT with its signature stripped in "+where, "alg "+strconv.Quote(v.alg)+", empty signature")
	}
	if v.weakLine > 0 && f.once(v, onceWeak) {
		f.add(&ruleJWTWeak, "JWT signed with a known weak secret in "+where, loc, name, val,
			v.alg+" key is weak-secrets.txt line "+strconv.Itoa(v.weakLine))
	}
	for _, k := range [...]struct{ field, u, host string }{{"jku", v.jku, v.jkuHost}, {"x5u", v.x5u, v.x5uHost}} {
		if k.u != "" && k.host != v.issHost && k.host != requestHost(x.Request) {
			attempt(&ruleJWTKeyInjection, "JWT header points to a foreign key ("+k.field+") in "+where,
				k.field+" "+strconv.Quote(k.u)+" (host is neither the request's nor the issuer's)")
		}
	}
	if v.jwk {
		attempt(&ruleJWTKeyInjection, "JWT header embeds its own key (jwk) in "+where, "embedded jwk, alg "+strconv.Quote(v.alg))
	}
	if v.kidWhy != "" {
		attempt(&ruleJWTKid, "JWT kid with "+v.kidWhy+" in "+where, "kid "+strconv.Quote(v.kid)+" ("+v.kidWhy+")")
	}
	switch {
	case !v.hasExp && !v.dpop:
		if !f.once(v, onceNoExp) {
			break
		}
		f.add(&ruleJWTNoExp, "JWT without expiry (no exp claim) in "+where, loc, name, val, "no exp claim, alg "+strconv.Quote(v.alg))
	case expired:
		attempt(&ruleJWTExpired, "expired JWT in "+where, "exp "+v.exp.Format(time.RFC3339)+", "+span(at.Sub(v.exp))+" before the request")
	}
	if early {
		attempt(&ruleJWTNotYetValid, "JWT not yet valid (nbf in the future) in "+where, "nbf "+v.nbf.Format(time.RFC3339)+", "+span(v.nbf.Sub(at))+" after the request")
	}
}

// span formats a duration for evidence: to the second up to two days, in
// days beyond.
func span(d time.Duration) string {
	if d > 48*time.Hour {
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + " days"
	}
	return d.Round(time.Second).String()
}

// requestHost returns the request's host without port, lower-cased.
func requestHost(m *decoders.Message) string {
	h, ok := decoders.Get(m.Headers, "host")
	if !ok {
		h = m.Authority
	}
	return hostOnly(h)
}

// urlHost returns the host of an absolute URL, lower-cased, without port.
func urlHost(s string) string {
	if s == "" || len(s) > 2048 {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return hostOnly(u.Host)
}

func hostOnly(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return lowerASCII(h[1:i])
		}
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		h = h[:i]
	}
	return lowerASCII(h)
}

// kidProblem says what makes a kid header an injection attempt: key ids
// are opaque identifiers (random strings, hashes, UUIDs, sometimes URLs),
// but verifiers that look them up in files or databases have been made to
// read /dev/null or run SQL through them.
func kidProblem(kid string) string {
	if kid == "" {
		return ""
	}
	k := lowerASCII(kid)
	switch {
	case strings.Contains(k, "../") || strings.Contains(k, `..\`) || strings.HasPrefix(k, "/dev/") ||
		strings.HasPrefix(k, "/etc/") || strings.HasPrefix(k, "/proc/") || strings.HasPrefix(k, "file:") ||
		strings.IndexByte(k, 0) >= 0:
		return "path traversal"
	case strings.ContainsAny(k, `'";`) || strings.Contains(k, "--") || strings.Contains(k, "/*") ||
		strings.Contains(k, "union select") || strings.Contains(k, " or "):
		return "SQL injection"
	case strings.ContainsAny(k, "`|") || strings.Contains(k, "$("):
		return "command injection"
	}
	return ""
}
