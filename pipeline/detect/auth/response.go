package auth

import (
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/jwt"
)

// Rules of the "secrets-in-response" detector: credentials a response
// hands to whoever asked (OWASP API3:2023, excessive data exposure).
var (
	rulePrivateKey = detect.Rule{ID: "private-key-in-response", Category: catExposure, OWASP: owaspExposure,
		Severity: alert.Severity_SEVERITY_CRITICAL, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	ruleCloudKey = detect.Rule{ID: "cloud-credentials-in-response", Category: catExposure, OWASP: owaspExposure,
		Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	ruleAPIToken = detect.Rule{ID: "api-token-in-response", Category: catExposure, OWASP: owaspExposure,
		Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_HIGH}
	rulePasswordField = detect.Rule{ID: "password-in-response", Category: catExposure, OWASP: owaspExposure,
		Severity: alert.Severity_SEVERITY_MEDIUM, Confidence: alert.Confidence_CONFIDENCE_MEDIUM}
	ruleRespJWT = detect.Rule{ID: "jwt-in-response", Category: catExposure, OWASP: owaspExposure,
		Severity: alert.Severity_SEVERITY_LOW, Confidence: alert.Confidence_CONFIDENCE_MEDIUM}
)

// Evidence locations of response matches, as pipeline/detect/confirm
// names them.
const (
	locRespBody   = "response_body"
	locRespHeader = "response_header"
)

// hit is one secret found in response text.
type hit struct {
	rule *detect.Rule
	kind string // "AWS access key id", "JSON field", …
	name string // the field name for field matches
	// value is the masked secret, safe for an alert.
	value string
	off   int
}

// Which hits a scan may report: scanning HTML or JavaScript, or an
// authentication endpoint's answer, drops the classes that those carry by
// design.
type scanMode uint8

const (
	scanKeysOnly scanMode = 1 << iota // private keys, cloud keys, API tokens
	scanJWT
	scanFields   // password and secret fields
	scanWebKeys  // Google API keys, which web pages embed by design
	scanAll      = scanKeysOnly | scanJWT | scanFields | scanWebKeys
	scanHeaders  = scanKeysOnly | scanWebKeys
	scanWebPages = scanKeysOnly
)

// maxHits bounds the matches one text yields.
const maxHits = 32

// Where matches are looked for. Each pass finds its byte or literal with
// strings.IndexByte or strings.Index, which skip text holding none many
// bytes at a time, so a benign response costs a few vectorised passes,
// not a loop over its bytes. Literals start with bytes that are rare in
// API text ('y' of "eyJ", not 'e'); back is how far before the found byte
// a match starts.
type pass struct {
	lit  string
	back int
	mode scanMode
}

var passes = []pass{
	{"-----BEGIN ", 0, scanKeysOnly},
	{"A", 0, scanKeysOnly}, // AKIA, ASIA, AIza, AccountKey=, AWS_SECRET_ACCESS_KEY
	{"_", 0, scanKeysOnly}, // ghp_ and kin, github_pat_, sk_live_, aws_secret_access_key
	{"xox", 0, scanKeysOnly},
	{"yJ", 1, scanJWT},
}

// hits collects one scan's matches.
type hits struct {
	s    string
	list [maxHits]hit
	n    int
	// serviceAccount caches whether s mentions a GCP service account: 0
	// unknown, 1 no, 2 yes.
	serviceAccount int8
}

func (hs *hits) add(h hit) bool {
	if hs.n == maxHits {
		return false
	}
	hs.list[hs.n] = h
	hs.n++
	return true
}

// scanText reports the secrets in s to fn in the order they appear, at
// most maxHits; fn returns false to stop.
func scanText(s string, mode scanMode, fn func(h hit) bool) {
	var hs hits
	hs.s = s
	for _, p := range passes {
		if p.mode&mode != 0 && !hs.pass(p, mode) {
			break
		}
	}
	if mode&scanFields != 0 {
		hs.fields()
	}
	// Insertion sort: few hits, and stable for equal offsets.
	l := hs.list[:hs.n]
	for a := 1; a < len(l); a++ {
		for b := a; b > 0 && l[b].off < l[b-1].off; b-- {
			l[b], l[b-1] = l[b-1], l[b]
		}
	}
	for k, h := range l {
		// Two passes can find one match (AWS_SECRET_ACCESS_KEY from its
		// 'A' and its '_').
		if k > 0 && h.off == l[k-1].off && h.rule == l[k-1].rule {
			continue
		}
		if !fn(h) {
			return
		}
	}
}

// pass runs one pass; it reports false when the hit list is full.
func (hs *hits) pass(p pass, mode scanMode) bool {
	s := hs.s
	for from := 0; from < len(s); {
		var k int
		if len(p.lit) == 1 {
			k = strings.IndexByte(s[from:], p.lit[0])
		} else {
			k = strings.Index(s[from:], p.lit)
		}
		if k < 0 {
			return true
		}
		at := from + k
		from = at + 1
		var h hit
		end := 0
		switch p.lit {
		case "_":
			// The underscore is the 4th byte of ghp_, the 3rd of sk_live_,
			// the 4th of aws_secret_access_key and the 7th of github_pat_.
			for _, c := range [...]struct {
				back  int
				first string
			}{{3, "gaA"}, {2, "sr"}, {6, "g"}} {
				if i := at - c.back; i >= 0 && strings.IndexByte(c.first, s[i]) >= 0 && boundary(s, i) {
					if h, end = keyAt(s, i, false); end > 0 {
						break
					}
				}
			}
		default:
			i := at - p.back
			if i < 0 || !boundary(s, i) {
				continue
			}
			h, end = keyAt(s, i, p.lit == "yJ")
		}
		if end == 0 || h.kind == kindGoogleKey && mode&scanWebKeys == 0 {
			continue
		}
		if !hs.add(h) {
			return false
		}
		from = end
	}
	return true
}

// fieldWords are fragments every field name fieldRule accepts holds, in
// the case forms names take ("password", "Password", "PASSWORD", "pwd"),
// chosen to start with bytes rare in API text so strings.Index skips fast.
var fieldWords = []string{"word", "WORD", "wd", "WD", "cret", "CRET", "phrase", "PHRASE", "_key_id"}

// keyAt matches a key format or, when jwtOnly, a JWT at s[i].
func keyAt(s string, i int, jwtOnly bool) (hit, int) {
	if jwtOnly {
		if e := jwtAt(s, i); e > 0 {
			return hit{rule: &ruleRespJWT, kind: "JWT", value: jwt.Redact(s[i:e]), off: i}, e
		}
		return hit{}, 0
	}
	kind, r, end := matchKey(s, i)
	if end == 0 {
		return hit{}, 0
	}
	return hit{rule: r, kind: kind, value: keyMask(kind, s[i:end]), off: i}, end
}

// fields finds password and secret fields, JSON members and env-file
// lines, from the fragments of their names (fieldWords): those are rare in
// API text, where colons and quotes are everywhere.
func (hs *hits) fields() {
	s := hs.s
	for _, w := range fieldWords {
		for from := 0; from < len(s); {
			k := strings.Index(s[from:], w)
			if k < 0 {
				break
			}
			at := from + k
			from = at + len(w)
			if h, end := hs.jsonFieldAround(at); end > 0 {
				if !hs.add(h) {
					return
				}
				from = max(from, end)
				continue
			}
			line := strings.LastIndexByte(s[max(0, at-64):at], '\n') + 1
			if line == 0 && at > 64 {
				continue
			}
			line += max(0, at-64)
			if h, end := envLine(s, line); end > 0 {
				if !hs.add(h) {
					return
				}
			}
		}
	}
}

// jsonFieldAround matches a secret JSON member whose name holds s[at].
func (hs *hits) jsonFieldAround(at int) (hit, int) {
	const maxKey = 48
	s := hs.s
	if strings.LastIndexByte(s[max(0, at-maxKey):at], '"') < 0 {
		return hit{}, 0
	}
	q := strings.IndexByte(s[at:min(len(s), at+maxKey)], '"')
	if q < 0 {
		return hit{}, 0
	}
	colon := run(s, at+q+1, isSpace)
	if colon >= len(s) || s[colon] != ':' {
		return hit{}, 0
	}
	h, end := jsonField(s, colon)
	if end > 0 && h.rule == &ruleCloudKey {
		if hs.serviceAccount == 0 {
			hs.serviceAccount = 1
			if strings.Contains(s, "service_account") {
				hs.serviceAccount = 2
			}
		}
		if hs.serviceAccount == 1 {
			return hit{}, 0
		}
	}
	return h, end
}

// jwtAt returns the end of the JWT starting at s[i], or 0.
func jwtAt(s string, i int) int {
	e := run(s, i, func(c byte) bool { return isKeyChar(c) || c == '.' || c == '=' })
	for e > i && s[e-1] == '.' {
		e--
	}
	if !jwt.Looks(s[i:e]) {
		return 0
	}
	return e
}

// boundary reports whether a match may start at s[i]: not inside a longer
// word or base64 run.
func boundary(s string, i int) bool {
	return i == 0 || !isWord(s[i-1])
}

func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '+' || c == '/'
}

// run returns the end of the run of bytes from s[i] that ok accepts.
func run(s string, i int, ok func(byte) bool) int {
	for i < len(s) && ok(s[i]) {
		i++
	}
	return i
}

func isUpperDigit(c byte) bool { return 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' }
func isAlnum(c byte) bool      { return isUpperDigit(c) || 'a' <= c && c <= 'z' }
func isKeyChar(c byte) bool    { return isAlnum(c) || c == '_' || c == '-' }
func isB64(c byte) bool        { return isAlnum(c) || c == '+' || c == '/' || c == '=' }

const kindGoogleKey = "Google API key"

// Private key PEM labels.
var pemLabels = []string{
	"PRIVATE KEY-----", "RSA PRIVATE KEY-----", "EC PRIVATE KEY-----", "OPENSSH PRIVATE KEY-----",
	"DSA PRIVATE KEY-----", "ENCRYPTED PRIVATE KEY-----", "PGP PRIVATE KEY BLOCK-----",
}

// matchKey matches a key format at s[i]: it returns the kind, the rule and
// the end of the key, or end 0.
func matchKey(s string, i int) (kind string, r *detect.Rule, end int) {
	t := s[i:]
	exact := func(prefix string, n int, ok func(byte) bool) int {
		if !strings.HasPrefix(t, prefix) {
			return 0
		}
		e := run(s, i+len(prefix), ok)
		if e-i-len(prefix) != n {
			return 0
		}
		return e
	}
	atLeast := func(prefix string, n int, ok func(byte) bool) int {
		if !strings.HasPrefix(t, prefix) {
			return 0
		}
		e := run(s, i+len(prefix), ok)
		if e-i-len(prefix) < n {
			return 0
		}
		return e
	}
	switch t[0] {
	case '-':
		if strings.HasPrefix(t, "-----BEGIN ") {
			rest := t[len("-----BEGIN "):]
			for _, l := range pemLabels {
				if strings.HasPrefix(rest, l) {
					return "PEM private key", &rulePrivateKey, i + len("-----BEGIN ") + len(l)
				}
			}
		}
	case 'A':
		if e := exact("AKIA", 16, isUpperDigit); e > 0 {
			return "AWS access key id", &ruleCloudKey, e
		}
		if e := exact("ASIA", 16, isUpperDigit); e > 0 {
			return "AWS temporary access key id", &ruleCloudKey, e
		}
		if e := exact("AIza", 35, isKeyChar); e > 0 {
			return kindGoogleKey, &ruleAPIToken, e
		}
		if e := atLeast("AccountKey=", 40, isB64); e > 0 {
			return "Azure storage account key", &ruleCloudKey, e
		}
		if e := awsSecret(s, i); e > 0 {
			return "AWS secret access key", &ruleCloudKey, e
		}
	case 'a':
		if e := awsSecret(s, i); e > 0 {
			return "AWS secret access key", &ruleCloudKey, e
		}
	case 'g':
		for _, p := range [...]string{"ghp_", "gho_", "ghu_", "ghs_", "ghr_"} {
			if e := exact(p, 36, isAlnum); e > 0 {
				return "GitHub token", &ruleAPIToken, e
			}
		}
		if e := atLeast("github_pat_", 22, func(c byte) bool { return isAlnum(c) || c == '_' }); e > 0 {
			return "GitHub fine-grained token", &ruleAPIToken, e
		}
	case 'x':
		if len(t) > 5 && strings.HasPrefix(t, "xox") && strings.IndexByte("baprs", t[3]) >= 0 && t[4] == '-' {
			if e := run(s, i+5, func(c byte) bool { return isAlnum(c) || c == '-' }); e-i-5 >= 10 {
				return "Slack token", &ruleAPIToken, e
			}
		}
	case 's', 'r':
		if e := atLeast(t[:1]+"k_live_", 16, isAlnum); e > 0 {
			return "Stripe live secret key", &ruleAPIToken, e
		}
	}
	return "", nil, 0
}

// awsSecret matches aws_secret_access_key (any case) followed by a
// separator and a 40-character secret: in env files, INI files, JSON.
func awsSecret(s string, i int) int {
	const name = "aws_secret_access_key"
	if len(s)-i < len(name)+41 || !strings.EqualFold(s[i:i+len(name)], name) {
		return 0
	}
	j := i + len(name)
	j = run(s, j, func(c byte) bool { return c == '"' || c == '\'' || c == ' ' || c == '\t' })
	if j >= len(s) || (s[j] != '=' && s[j] != ':') {
		return 0
	}
	j = run(s, j+1, func(c byte) bool { return c == '"' || c == '\'' || c == ' ' || c == '\t' })
	e := run(s, j, func(c byte) bool { return isAlnum(c) || c == '+' || c == '/' })
	if e-j != 40 {
		return 0
	}
	return e
}

// keyMask shows a key's well-known prefix and nothing of its secret part.
func keyMask(kind, key string) string {
	switch kind {
	case "PEM private key":
		return key
	case "AWS secret access key":
		return "aws_secret_access_key=" + alert.Redacted
	case "Azure storage account key":
		return "AccountKey=" + alert.Redacted
	case "GitHub fine-grained token":
		return "github_pat_…"
	case "Stripe live secret key":
		return key[:8] + "…"
	}
	return key[:4] + "…"
}

// keyPattern returns the kind of key v is, when the whole of v is one.
func keyPattern(v string) string {
	if v == "" {
		return ""
	}
	kind, _, end := matchKey(v, 0)
	if end != len(v) {
		return ""
	}
	return kind
}

// jsonField matches `"name": "value"` around the ':' at s[colon] when
// name is a password or secret field and value is not empty or masked.
func jsonField(s string, colon int) (hit, int) {
	const maxKey, maxValue = 48, 1024
	q := colon - 1
	for q >= 0 && isSpace(s[q]) {
		q--
	}
	if q < 1 || s[q] != '"' {
		return hit{}, 0
	}
	open := strings.LastIndexByte(s[max(0, q-maxKey):q], '"')
	if open < 0 {
		return hit{}, 0
	}
	open += max(0, q-maxKey)
	key := s[open+1 : q]
	r, what := fieldRule(key)
	if r == nil {
		return hit{}, 0
	}
	j := run(s, colon+1, isSpace)
	if j >= len(s) || s[j] != '"' {
		return hit{}, 0
	}
	e := j + 1
	for e < len(s) && e-j < maxValue && s[e] != '"' {
		if s[e] == '\\' {
			e++
		}
		e++
	}
	if e >= len(s) || s[e] != '"' {
		return hit{}, 0
	}
	v := s[j+1 : e]
	if trivial(v) {
		return hit{}, 0
	}
	if r == &ruleCloudKey && !isHex40(v) {
		return hit{}, 0
	}
	return hit{rule: r, kind: what, name: key, value: alert.Redacted + " (" + strconv.Itoa(len(v)) + " bytes)", off: open}, e + 1
}

// envLine matches NAME=value at the start of a line (an env or properties
// file served by mistake) when NAME is an upper-case secret name.
func envLine(s string, i int) (hit, int) {
	e := run(s, i, func(c byte) bool { return isUpperDigit(c) || c == '_' })
	if e == i || e-i > 64 || e >= len(s) || s[e] != '=' {
		return hit{}, 0
	}
	key := s[i:e]
	r, what := fieldRule(key)
	if r != &rulePasswordField {
		return hit{}, 0
	}
	v := s[e+1:]
	if nl := strings.IndexByte(v, '\n'); nl >= 0 {
		v = v[:nl]
	}
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	if trivial(v) {
		return hit{}, 0
	}
	return hit{rule: r, kind: what + " (env line)", name: key, value: alert.Redacted + " (" + strconv.Itoa(len(v)) + " bytes)", off: i}, e + 1
}

// secretWord reports whether key holds, in any case, one of the words
// fieldRule looks for: pass, pwd, secret, private_key_id. It is the one-pass
// prefilter run on every JSON key.
func secretWord(key string) bool {
	for i := 0; i < len(key); i++ {
		switch key[i] | 0x20 {
		case 'p':
			r := key[i:]
			if hasPrefixLowerASCII(r, "pass") || hasPrefixLowerASCII(r, "pwd") || hasPrefixLowerASCII(r, "private_key_id") {
				return true
			}
		case 's':
			if hasPrefixLowerASCII(key[i:], "secret") {
				return true
			}
		}
	}
	return false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func isHex40(v string) bool {
	if len(v) != 40 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if !('0' <= v[i] && v[i] <= '9' || 'a' <= v[i] && v[i] <= 'f') {
			return false
		}
	}
	return true
}

// Field-name words that make a password-looking name about something else
// (password_reset_required, passwordPolicy, secretName).
var fieldSkip = []string{"hint", "policy", "reset", "expir", "required", "changed", "updated", "created",
	"length", "strength", "rule", "enabled", "label", "placeholder", "type", "url", "uri", "field",
	"forgot", "attempt", "failed", "version", "ref", "arn"}

// Suffixes that make a secret-looking name a reference to the secret, not
// the secret (secretName, secret_id, passwordIds).
var fieldSkipSuffixes = []string{"name", "id", "ids", "at", "date", "time"}

// fieldRule says whether a field named key holds a secret: the rule and
// what to call it, or nil.
func fieldRule(key string) (*detect.Rule, string) {
	if !secretWord(key) {
		return nil, ""
	}
	n := normName(key)
	if n == "" {
		return nil, ""
	}
	if n == "privatekeyid" {
		return &ruleCloudKey, "GCP service account key"
	}
	isSecret := strings.Contains(n, "password") || strings.Contains(n, "passwd") || strings.Contains(n, "passphrase") ||
		n == "pwd" || strings.HasSuffix(n, "secret") || strings.HasSuffix(n, "secretkey") || n == "secretaccesskey"
	if !isSecret {
		return nil, ""
	}
	for _, w := range fieldSkip {
		if strings.Contains(n, w) {
			return nil, ""
		}
	}
	for _, w := range fieldSkipSuffixes {
		if strings.HasSuffix(n, w) {
			return nil, ""
		}
	}
	if strings.Contains(n, "hash") || strings.Contains(n, "digest") {
		return &rulePasswordField, "password hash field"
	}
	return &rulePasswordField, "password or secret field"
}

type responseCheck struct {
	cfg detect.Config
}

func (c *responseCheck) inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	resp := x.Response
	if resp == nil {
		return out
	}
	f := findings{cfg: &c.cfg, detector: "secrets-in-response", x: x}
	for _, h := range resp.Headers {
		if len(h.Value) < 12 || equalLowerASCII(h.Name, "set-cookie") {
			continue
		}
		v := h.Value[:min(len(h.Value), c.cfg.ScanBytes)]
		scanText(v, scanHeaders, func(ht hit) bool {
			// Lower-cased only here: most headers hold nothing, and
			// their names are mostly capitalised.
			name := lowerASCII(h.Name)
			f.add(ht.rule, summary(ht, "response header "+name), locRespHeader, name, ht.value, ht.kind)
			return true
		})
	}
	if len(resp.Body) == 0 {
		return f.done(out)
	}
	mode := bodyMode(resp)
	if mode&(scanJWT|scanFields) != 0 && authEndpoint(x.Request.Path) {
		mode &^= scanJWT | scanFields
	}
	if mode == 0 {
		return f.done(out)
	}
	body := resp.Body[:min(len(resp.Body), c.cfg.ScanBytes)]
	// The body is only read during the scan, and what the alerts keep is
	// cloned, so it is viewed as a string rather than copied.
	scanText(unsafe.String(unsafe.SliceData(body), len(body)), mode, func(ht hit) bool {
		if ht.rule == &ruleRespJWT && presented(x, ht.off, body) {
			return true
		}
		name := strings.Clone(ht.name)
		if name == "" {
			name = ht.kind
		}
		f.add(ht.rule, summary(ht, "response body"), locRespBody, name, strings.Clone(ht.value), ht.kind+" at byte "+strconv.Itoa(ht.off))
		return true
	})
	return f.done(out)
}

// equalLowerASCII reports whether lowerASCII(s) == lower, for a
// lower-case ASCII lower, without allocating.
func equalLowerASCII(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			// strings.ToLower folds some non-ASCII letters to ASCII
			// (the Kelvin sign to 'k').
			return lowerASCII(s) == lower
		}
	}
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func summary(h hit, where string) string {
	what := h.kind
	if h.name != "" {
		what += " " + strconv.Quote(h.name)
	}
	return what + " in " + where
}

// presented reports whether the JWT at body[off:] is one the request
// carried: an endpoint echoing the caller's own token exposes nothing new.
func presented(x *decoders.Exchange, off int, body []byte) bool {
	s := string(body[off:min(len(body), off+jwt.MaxTokenLen)])
	_, end := jwt.Find(s, 0)
	if end <= 0 {
		return false
	}
	tok := s[:end]
	for i := range x.Params {
		if t := tokenOf(&x.Params[i]); t == tok {
			return true
		}
	}
	return false
}

// authWords mark paths whose responses carry tokens and client secrets
// by design: login, token, OAuth and session endpoints.
var authWords = []string{"login", "logon", "signin", "sign-in", "sign_in", "signup", "auth", "token",
	"session", "sso", "saml", "oidc", "openid", "refresh", "jwt", "callback", ".well-known", "register"}

// authFirst marks the first bytes of authWords, upper case included.
var authFirst = func() (t [256]bool) {
	for _, w := range authWords {
		t[w[0]] = true
		if 'a' <= w[0] && w[0] <= 'z' {
			t[w[0]-'a'+'A'] = true
		}
	}
	return t
}()

// authEndpoint reports whether path belongs to an authentication endpoint.
// It runs on every response with a body: words are tried only where their
// first byte is, and the path is not lower-cased into a copy.
func authEndpoint(path string) bool {
	for i := 0; i < len(path); i++ {
		if path[i] >= utf8.RuneSelf {
			return authEndpointFold(path)
		}
	}
	for i := 0; i < len(path); i++ {
		if !authFirst[path[i]] {
			continue
		}
		for _, w := range authWords {
			if hasPrefixLowerASCII(path[i:], w) {
				return true
			}
		}
	}
	return false
}

// hasPrefixLowerASCII reports whether the ASCII s lower-cased starts with
// the lower-case prefix.
func hasPrefixLowerASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for j := 0; j < len(prefix); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[j] {
			return false
		}
	}
	return true
}

// authEndpointFold is authEndpoint for a path with non-ASCII bytes, which
// strings.ToLower may fold to ASCII letters.
func authEndpointFold(path string) bool {
	p := lowerASCII(path)
	for _, w := range authWords {
		if strings.Contains(p, w) {
			return true
		}
	}
	return false
}

// bodyMode picks what to look for in a response body from its media
// type: nothing in binary media; in HTML, JavaScript and CSS only keys,
// since web pages carry browser API keys, tokens and password fields
// (forms, scripts) by design.
func bodyMode(resp *decoders.Message) scanMode {
	ct, _ := decoders.Get(resp.Headers, "content-type")
	ct = lowerASCII(ct)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	switch {
	case strings.HasPrefix(ct, "image/"), strings.HasPrefix(ct, "audio/"), strings.HasPrefix(ct, "video/"),
		strings.HasPrefix(ct, "font/"), strings.HasPrefix(ct, "application/grpc"),
		strings.Contains(ct, "zip"), strings.Contains(ct, "pdf"), strings.Contains(ct, "protobuf"):
		return 0
	case strings.Contains(ct, "html"), strings.Contains(ct, "javascript"), strings.Contains(ct, "ecmascript"),
		ct == "text/css":
		return scanWebPages
	}
	return scanAll
}
