package evalkit

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// CRSFamilies maps the CRS attack rule families the evaluation takes to the
// corpus class of their payloads.
var CRSFamilies = map[int]string{
	930: "lfi",
	931: "rfi",
	932: "rce",
	933: "php",
	934: "generic",
	941: "xss",
	942: "sqli",
	944: "java",
}

// MaxPayload bounds a payload: longer CRS payloads (a few padding tests) are
// left out, so every placement, headers included, can carry every entry.
const MaxPayload = 4096

// crsFile is the go-ftw test file format of the CRS regression tests.
type crsFile struct {
	RuleID int `yaml:"rule_id"`
	Tests  []struct {
		TestID int    `yaml:"test_id"`
		Desc   string `yaml:"desc"`
		Stages []struct {
			Input  crsInput `yaml:"input"`
			Output struct {
				Log struct {
					ExpectIDs []int `yaml:"expect_ids"`
				} `yaml:"log"`
			} `yaml:"output"`
		} `yaml:"stages"`
	} `yaml:"tests"`
}

type crsInput struct {
	Method  string         `yaml:"method"`
	URI     string         `yaml:"uri"`
	Headers map[string]any `yaml:"headers"`
	// Data is a string or, in older tests, a list of lines.
	Data           any    `yaml:"data"`
	EncodedRequest string `yaml:"encoded_request"`
}

// CRSTest is one extracted CRS regression test.
type CRSTest struct {
	Rule, Test int
	Class      string
	Payload    string
}

// knownFalsePositive finds the tests that pin down a known false positive of
// their rule ("Known false positive: …", "FYI: Turnstile tokens are still
// matched"): the rule matches, but the value is no attack.
var knownFalsePositive = regexp.MustCompile(`(?i)false.?positive|\bFYI\b`)

// ParseCRSTests reads one CRS regression test file and returns the payload of
// every test that expects its rule to match: the value the rule matched, as
// the oracle finds it, or, without an oracle or when the rule matched a
// whole-request variable, the guess of crsInput.payload. Tests whose request
// cannot be taken apart (encoded_request) or carry no payload are skipped.
func ParseCRSTests(data []byte, oracle *CRSOracle) ([]CRSTest, error) {
	var f crsFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("parse crs test: %w", err)
	}
	class, ok := CRSFamilies[f.RuleID/1000]
	if !ok {
		return nil, nil
	}
	var out []CRSTest
	for _, t := range f.Tests {
		if knownFalsePositive.MatchString(t.Desc) {
			continue
		}
		for _, s := range t.Stages {
			if !contains(s.Output.Log.ExpectIDs, f.RuleID) || s.Input.EncodedRequest != "" {
				continue
			}
			p := s.Input.payload()
			if oracle != nil {
				if m, ok := oracle.Payload(f.RuleID, &s.Input); ok && strings.TrimSpace(m) != "" {
					p = m
				}
			}
			if p == "" || len(p) > MaxPayload {
				continue
			}
			out = append(out, CRSTest{Rule: f.RuleID, Test: t.TestID, Class: class, Payload: p})
		}
	}
	return out, nil
}

func contains(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Request headers a CRS test sets for every request; their values are never
// the payload.
var crsStockHeaders = map[string]bool{
	"host": true, "accept": true, "accept-encoding": true, "accept-language": true,
	"accept-charset": true, "content-type": true, "content-length": true, "keep-alive": true,
	"proxy-connection": true, "cache-control": true, "connection": true,
	// go-ftw's marker header, not part of the attack.
	"x-ftw": true,
}

// Values the CRS tests fill arguments with when the attack is elsewhere.
var crsFillers = map[string]bool{"test": true, "value": true, "foo": true, "bar": true, "baz": true}

// Paths of CRS tests that say nothing: the payload is elsewhere.
var crsStockPaths = map[string]bool{"": true, "/": true, "/post": true, "/get": true, "/anything": true, "/index.html": true, "/index.php": true}

// payload picks the attack value of a test request: the longest of its
// query, body, cookie and non-stock header values (argument names count when
// they are not plain words, as CRS also inspects ARGS_NAMES), or the path when
// there is nothing else.
func (in *crsInput) payload() string {
	var cands []string
	pathPart, query, _ := strings.Cut(in.URI, "?")
	cands = appendPairs(cands, query)
	var ctype string
	for k, v := range in.Headers {
		if strings.EqualFold(k, "content-type") {
			ctype = fmt.Sprint(v)
		}
	}
	if body := in.body(); body != "" {
		cands = appendBody(cands, ctype, body)
	}
	names := make([]string, 0, len(in.Headers))
	for k := range in.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := fmt.Sprint(in.Headers[k])
		lk := strings.ToLower(k)
		switch {
		case crsStockHeaders[lk]:
		case lk == "user-agent" && strings.HasPrefix(v, "OWASP CRS test agent"):
		case lk == "cookie":
			for _, c := range strings.Split(v, ";") {
				n, val, _ := strings.Cut(strings.TrimSpace(c), "=")
				cands = append(cands, lenientUnescape(val, false))
				if !plainWord(n) {
					cands = append(cands, lenientUnescape(n, false))
				}
			}
		default:
			// CRS URL-decodes header values too (t:urlDecodeUni), and
			// its tests rely on it.
			cands = append(cands, lenientUnescape(v, false))
		}
	}
	best := ""
	for _, c := range cands {
		if len(c) > len(best) {
			best = c
		}
	}
	// A plain word ("import" in "/@id/__x00__?import") is a flag, not the
	// payload: the path is, when it says anything.
	if len(strings.TrimSpace(best)) < 2 || flagWord(best) && len(best) <= 8 {
		if p := lenientUnescape(pathPart, false); !crsStockPaths[p] {
			return p
		}
	}
	if crsFillers[strings.ToLower(best)] {
		// The attack is in an argument or cookie name and the value is
		// filler: no payload to take.
		return ""
	}
	return best
}

func (in *crsInput) body() string {
	switch d := in.Data.(type) {
	case string:
		return d
	case []any:
		lines := make([]string, len(d))
		for i, l := range d {
			lines[i] = fmt.Sprint(l)
		}
		return strings.Join(lines, "\r\n")
	}
	return ""
}

// plainWord reports whether s is an identifier-like argument name ("var",
// "foo_1", "941180-2"), which is never the payload; a dotted name
// ("document.cookie") can be.
func plainWord(s string) bool {
	for _, c := range []byte(s) {
		if !isWordByte(c) && c != '-' {
			return false
		}
	}
	return true
}

// flagWord reports whether s is a bare word ("import"), which says nothing
// when it is the only argument.
func flagWord(s string) bool {
	for _, c := range []byte(s) {
		if !isWordByte(c) {
			return false
		}
	}
	return s != ""
}

func appendPairs(cands []string, q string) []string {
	if q == "" {
		return cands
	}
	for _, kv := range strings.Split(q, "&") {
		k, v, hasValue := strings.Cut(kv, "=")
		cands = append(cands, lenientUnescape(v, true))
		if !hasValue || !plainWord(k) {
			cands = append(cands, lenientUnescape(k, true))
		}
	}
	return cands
}

func appendBody(cands []string, ctype, body string) []string {
	mt, params, _ := mime.ParseMediaType(ctype)
	switch {
	case mt == "application/json":
		var v any
		if json.Unmarshal([]byte(body), &v) == nil {
			return appendJSON(cands, v)
		}
	case strings.HasSuffix(mt, "xml"):
		if vals, ok := xmlValues(body); ok {
			return append(cands, vals...)
		}
	case mt == "multipart/form-data":
		if vals, ok := multipartValues(body, params["boundary"]); ok {
			return append(cands, vals...)
		}
	case mt == "" || mt == "application/x-www-form-urlencoded":
		// A body without "=" is one argument name to a form parser, so
		// it is decoded the same way.
		return appendPairs(cands, body)
	}
	return append(cands, body)
}

func appendJSON(cands []string, v any) []string {
	switch v := v.(type) {
	case string:
		return append(cands, v)
	case []any:
		for _, x := range v {
			cands = appendJSON(cands, x)
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !plainWord(k) {
				cands = append(cands, k)
			}
			cands = appendJSON(cands, v[k])
		}
	}
	return cands
}

// xmlValues returns the text of every element and attribute; ok is false
// when the body is not well-formed, and the body as a whole is the value.
func xmlValues(body string) (vals []string, ok bool) {
	d := xml.NewDecoder(strings.NewReader(body))
	d.Strict = false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return vals, len(vals) > 0
		}
		if err != nil {
			return nil, false
		}
		switch t := tok.(type) {
		case xml.CharData:
			if s := strings.TrimSpace(string(t)); s != "" {
				vals = append(vals, s)
			}
		case xml.StartElement:
			for _, a := range t.Attr {
				vals = append(vals, a.Value)
			}
		}
	}
}

func multipartValues(body, boundary string) (vals []string, ok bool) {
	if boundary == "" {
		return nil, false
	}
	r := multipart.NewReader(strings.NewReader(body), boundary)
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return vals, len(vals) > 0
		}
		if err != nil {
			return vals, len(vals) > 0
		}
		// A file part's content is the upload (often "BINARYDATA" in the
		// tests); its file name is what the rules inspect. Part.FileName
		// would strip the "../" the traversal tests send, so the header is
		// parsed here.
		if _, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition")); err == nil {
			if fn, ok := params["filename"]; ok {
				vals = append(vals, fn)
				continue
			}
		}
		b, err := io.ReadAll(io.LimitReader(p, MaxPayload+1))
		if err != nil {
			return vals, len(vals) > 0
		}
		vals = append(vals, string(b))
	}
}

// lenientUnescape decodes %XX escapes (and + as space when plus is set),
// keeping a % that starts no valid escape, as servers and the sensor do.
func lenientUnescape(s string, plus bool) string {
	if !strings.ContainsAny(s, "%+") {
		return s
	}
	var b bytes.Buffer
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
		case c == '+' && plus:
			b.WriteByte(' ')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// ruleIDRe and plRe find a rule's id and paranoia-level tag in a CRS .conf.
var (
	ruleIDRe = regexp.MustCompile(`\bid:(\d+)`)
	plRe     = regexp.MustCompile(`paranoia-level/(\d)`)
)

// ParseCRSParanoia returns the paranoia level of every rule of a CRS rules
// file (.conf), from its paranoia-level/N tag.
func ParseCRSParanoia(conf []byte) map[int]int {
	out := map[int]int{}
	for _, chunk := range regexp.MustCompile(`(?m)^Sec(?:Rule|Action)\b`).Split(string(conf), -1) {
		id := ruleIDRe.FindStringSubmatch(chunk)
		pl := plRe.FindStringSubmatch(chunk)
		if id == nil || pl == nil {
			continue
		}
		n, _ := strconv.Atoi(id[1])
		l, _ := strconv.Atoi(pl[1])
		out[n] = l
	}
	return out
}

// LoadCRS extracts the attack entries of every CRS family in CRSFamilies from
// the coraza-coreruleset module directory, in file and test order.
func LoadCRS(dir string) ([]Entry, error) {
	oracle, err := NewCRSOracle()
	if err != nil {
		return nil, err
	}
	pl := map[int]int{}
	confs, err := filepath.Glob(filepath.Join(dir, "rules", "@owasp_crs", "REQUEST-9*.conf"))
	if err != nil {
		return nil, err
	}
	for _, c := range confs {
		b, err := os.ReadFile(c)
		if err != nil {
			return nil, err
		}
		for k, v := range ParseCRSParanoia(b) {
			pl[k] = v
		}
	}
	files, err := globSorted(dir, "tests/REQUEST-9*/*.yaml", "tests/regression/tests/REQUEST-9*/*.yaml")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRS regression tests under %s", dir)
	}
	var out []Entry
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		tests, err := ParseCRSTests(b, oracle)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, t := range tests {
			out = append(out, Entry{
				Class: t.Class, Label: LabelAttack, PL: pl[t.Rule],
				Source: fmt.Sprintf("crs:%d/%d", t.Rule, t.Test), Payload: t.Payload,
			})
		}
	}
	return out, nil
}
