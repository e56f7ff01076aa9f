// Package smuggling is the "smuggling" detector: it turns what the HTTP
// decoders noticed about a request's framing into HTTP request smuggling
// (desync) alerts, and adds the HTTP/2 → HTTP/1 downgrade hazards it reads
// from the request itself.
//
// A request smuggles when two HTTP processors in a chain (a CDN or proxy and
// the back end) disagree on where it ends: Content-Length together with
// Transfer-Encoding, repeated or conflicting Content-Length, an obfuscated
// Transfer-Encoding, line endings or whitespace one parser tolerates and the
// other does not, and in HTTP/2 the headers and lengths a proxy copies into
// an HTTP/1 request (Transfer-Encoding, a Content-Length that is not the
// body's, CR/LF in a header).
//
// Input: exchanges from the pipeline through detect.Detector, with the
// anomalies the decoders attached (decoders/http1, decoders/http2). Output:
// at most one alert per exchange listing every smuggling indication as
// evidence, severity and confidence of the worst. It keeps no state.
package smuggling

import (
	"bytes"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/http1"
	"github.com/apisensor/sensor/decoders/http2"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/sensor"
)

// Name is the detector's registered name.
const Name = "smuggling"

func init() { detect.Register(Name, New) }

// rule is the detector's one rule. OWASP: the Top 10 2021 maps CWE-444
// (HTTP request smuggling) to A04:2021 Insecure Design; API8:2023 Security
// Misconfiguration covers a proxy and a back end left parsing HTTP
// differently. Severity and confidence are set per alert from the kinds
// found.
var rule = detect.Rule{
	ID: "http-request-smuggling", Category: "http-request-smuggling", OWASP: []string{"A04:2021", "API8:2023"},
	Severity: alert.Severity_SEVERITY_LOW, Confidence: alert.Confidence_CONFIDENCE_LOW,
}

// ruleTCPDesync is the TCP form of a desync: the capture holds two different
// copies of the same bytes of the client's stream (a retransmission or an
// overlapping segment that disagrees). The sensor reads the first copy; a
// receiver that keeps the last, or a middlebox that saw only one, reads the
// other: the insertion and evasion attacks of Ptacek and Newsham (1998),
// which hide a payload from inspection, or smuggle one past it. Benign
// stacks retransmit the same bytes, so it is rare; confidence is medium, as
// a broken middlebox can cause it too.
var ruleTCPDesync = detect.Rule{
	ID: "tcp-overlap-different-data", Category: "evasion", OWASP: []string{"A04:2021"},
	Severity: alert.Severity_SEVERITY_MEDIUM, Confidence: alert.Confidence_CONFIDENCE_MEDIUM,
}

// Kinds this detector finds itself, besides the decoders' anomalies.
const (
	KindFramingLookalike = "smuggling.framing_header_lookalike"
	KindMultipleTE       = "smuggling.multiple_transfer_encoding"
	KindPrefixedMethod   = "smuggling.prefixed_method"
	KindH2TE             = "smuggling.h2_transfer_encoding"
	KindH2ConnHeader     = "smuggling.h2_connection_header"
	KindH2TENotTrailers  = "smuggling.h2_te_not_trailers"
	KindH2CLMismatch     = "smuggling.h2_content_length_mismatch"
	KindH2MultipleCL     = "smuggling.h2_multiple_content_length"
	KindH2CRLF           = "smuggling.h2_crlf_in_header"
	KindH2HeaderName     = "smuggling.h2_invalid_header_name"
	KindH2RequestLine    = "smuggling.h2_invalid_request_line"
	KindH2AuthorityHost  = "smuggling.h2_authority_host_mismatch"
	KindRequestInBody    = "smuggling.request_in_body"
	KindRequestInText    = "smuggling.request_in_text_body"
	KindHopByHopFraming  = "smuggling.hop_by_hop_framing"
	KindExpect           = "smuggling.obfuscated_expect"
	KindHugeCL           = "smuggling.implausible_content_length"
	KindFramingInFold    = "smuggling.framing_header_in_folded_line"
	KindDuplicateHost    = "smuggling.duplicate_host"
	KindAbsoluteHost     = "smuggling.absolute_uri_host_mismatch"
	KindH2CProxied       = "smuggling.h2c_upgrade_through_proxy"
)

// kind describes one smuggling indication.
type kind struct {
	sev  alert.Severity
	conf alert.Confidence
	// title names it in summaries; why says, for the analyst, how it
	// desynchronises a chain (evidence message).
	title, why string
	// headers are the request headers whose values are evidence.
	headers []string
}

// duplicateHost is two Host lines, however the decoder found them.
var duplicateHost = kind{med, cMed, "repeated Host",
	"processors that take the first and the last Host line route the request to different hosts, past the front end's rules for the one it checked (RFC 9112 §3.2 requires a 400)", []string{"host"}}

const (
	low  = alert.Severity_SEVERITY_LOW
	med  = alert.Severity_SEVERITY_MEDIUM
	high = alert.Severity_SEVERITY_HIGH
	cLow = alert.Confidence_CONFIDENCE_LOW
	cMed = alert.Confidence_CONFIDENCE_MEDIUM
	cHi  = alert.Confidence_CONFIDENCE_HIGH
)

var (
	framing = []string{"content-length", "transfer-encoding"}
	clOnly  = []string{"content-length"}
	teOnly  = []string{"transfer-encoding"}
)

// kinds maps every indication, decoder anomaly kinds included, to how it
// is reported. Decoder anomalies not listed (gaps, limits, encodings) are
// not smuggling.
var kinds = map[string]kind{
	http1.KindCLWithTE: {high, cHi, "Content-Length with Transfer-Encoding",
		"a front end that honours Content-Length and a back end that honours chunked (CL.TE) or the reverse (TE.CL) split the stream differently", framing},
	http1.KindConflictingCL: {high, cHi, "conflicting Content-Length values",
		"processors that take the first and the last Content-Length disagree on the body length", clOnly},
	http1.KindFoldedContentLength: {high, cHi, "folded Content-Length",
		"a Content-Length continued on the next line is read differently by parsers that unfold and parsers that do not", clOnly},
	http1.KindUnknownTE: {high, cMed, "obfuscated Transfer-Encoding",
		"a Transfer-Encoding one processor does not recognise as chunked (TE.TE) makes it fall back to Content-Length", teOnly},
	http1.KindDuplicateContentLength: {med, cMed, "repeated Content-Length",
		"processors that reject repeated Content-Length and those that merge them treat the request differently", clOnly},
	http1.KindInvalidContentLength: {med, cMed, "invalid Content-Length",
		"a Content-Length that is not a plain decimal is parsed, rejected or ignored depending on the processor", clOnly},
	http1.KindChunkedBelowHTTP11: {med, cMed, "chunked in HTTP/1.0",
		"HTTP/1.0 processors do not know chunked and read the body by Content-Length or to the end", framing},
	http1.KindInvalidChunkSize: {med, cMed, "invalid chunk size",
		"a chunk size with extra characters is read as a different length by lenient parsers", teOnly},
	http1.KindInvalidChunkFraming: {med, cLow, "malformed chunk",
		"chunk data not ended by CRLF lets processors resynchronise at different bytes", teOnly},
	http1.KindObsFold: {low, cLow, "obsolete line folding",
		"a folded header line is joined by some processors and taken as a new header by others", nil},
	http1.KindBareLF: {low, cLow, "bare LF line ending",
		"lines ended by LF alone are accepted by some processors and not others, which then see different headers", nil},
	http1.KindInvalidHeaderName: {low, cLow, "invalid header name",
		"a header name that is not a token is dropped by some processors and kept by others", nil},
	http1.KindSpaceInTarget: {low, cLow, "whitespace in the request target",
		"a request line with extra spaces is split into method, target and version differently", nil},
	kindWSColon: {med, cMed, "whitespace before a header colon",
		"\"Transfer-Encoding : chunked\" is ignored by strict processors and honoured by lenient ones", framing},
	http1.KindBareCR: {med, cMed, "bare CR in a line",
		"a CR alone ends a line for some processors (Node's before CVE-2022-32214) and not for others: a header or a request line hidden behind it is seen by one side only", nil},
	http1.KindControlInTarget: {med, cMed, "control byte in the request target",
		"a NUL or a CR in the target is truncated, rejected or passed on differently by each processor", nil},
	http2.KindInvalidPseudoHeader: {med, cMed, "invalid HTTP/2 pseudo-header",
		"a pseudo-header repeated, unknown or after a regular field is routed on by one processor and rejected or ignored by another (RFC 9113 §8.3)", nil},

	KindRequestInBody: {high, cMed, "a request in the body",
		"a body that is itself a request is the second request of a CL.0, TE.0 or 0.CL desync: a processor that ignores the body's framing on this endpoint reads it as the next request", nil},
	KindRequestInText: {med, cLow, "a request in a text or HTTP message body",
		"a body that starts with a request line is a CL.0, TE.0 or 0.CL desync's second request, or text that quotes one (a pasted log): a processor that ignores the body's framing on this endpoint reads it as the next request", nil},
	KindHopByHopFraming: {high, cMed, "framing header named hop-by-hop",
		"Connection: Content-Length (or Transfer-Encoding) makes a proxy remove that header before it forwards the request, so the back end frames the body without it", []string{"connection"}},
	KindExpect: {med, cMed, "obfuscated Expect",
		"an Expect other than 100-continue (\"y 100-continue\") is honoured by some processors and not others, which then wait for the body or read on differently", []string{"expect"}},
	KindHugeCL: {med, cMed, "implausible Content-Length",
		"a length no server buffers (past a terabyte) makes one processor read the rest of the connection as this body and another reject it or wrap the number", clOnly},
	KindFramingInFold: {high, cMed, "framing header in a folded line",
		"a Transfer-Encoding or Content-Length written as a continuation line belongs to the header before it for processors that unfold and is a header of its own for others", nil},
	KindH2AuthorityHost: {med, cMed, "HTTP/2 :authority and Host differ",
		"a processor that routes by :authority and one that routes by Host (after a downgrade, Host is what the back end sees) send the request to different places (RFC 9113 §8.3.1)", []string{"host"}},

	KindDuplicateHost:       duplicateHost, // HTTP/2, as downgraded
	http1.KindDuplicateHost: duplicateHost,
	KindAbsoluteHost: {med, cMed, "absolute-form target naming another host than Host",
		"a server must route an absolute-form request by its target and ignore Host (RFC 9112 §3.2.2); a front end that checks Host and a back end that follows the target send it to different hosts", []string{"host"}},
	KindH2CProxied: {low, cHi, "h2c upgrade switched through a proxy",
		"a reverse proxy forwarded an h2c upgrade (HTTP2-Settings is hop-by-hop, and RFC 9113 dropped the upgrade) and the back end switched: the proxy now tunnels the connection, so HTTP/2 requests on it reach the back end past the proxy's access rules (h2csmuggler). Java's HttpClient and curl --http2 send such upgrades on their own: the exposure is the proxy's, whoever used it", []string{"upgrade"}},
	http1.KindRequestAfterRefusedUpgrade: {med, cMed, "request after a refused WebSocket upgrade",
		"a proxy that takes a connection for upgraded once it forwarded the Upgrade request, whatever the answer (a 426 to a bad Sec-WebSocket-Version), tunnels the requests that follow to the back end unchecked (WebSocket smuggling)", nil},

	KindFramingLookalike: {med, cMed, "framing header lookalike",
		"a processor that maps '_' to '-' or trims the name sees a framing header the others do not (Transfer_Encoding)", nil},
	KindMultipleTE: {med, cMed, "repeated Transfer-Encoding",
		"processors that take the first and the last Transfer-Encoding line disagree on the framing", teOnly},
	KindPrefixedMethod: {med, cMed, "method with a smuggled prefix",
		"a method like GGET is the leftover of a previous request's body prepended to this one: the previous request desynchronised the connection", nil},

	KindH2TE: {high, cHi, "Transfer-Encoding in HTTP/2",
		"HTTP/2 forbids Transfer-Encoding; a proxy that downgrades to HTTP/1 and copies it makes the back end read chunked framing (H2.TE)", teOnly},
	KindH2CLMismatch: {high, cHi, "HTTP/2 Content-Length not the body length",
		"a proxy that downgrades to HTTP/1 and copies Content-Length makes the back end read a different body (H2.CL)", clOnly},
	KindH2MultipleCL: {high, cHi, "repeated HTTP/2 Content-Length",
		"a downgrading proxy may copy both Content-Length values into the HTTP/1 request", clOnly},
	KindH2CRLF: {high, cHi, "CR or LF in an HTTP/2 header",
		"HTTP/2 carries header bytes verbatim; a downgrading proxy that copies CR/LF writes extra headers or a second request", nil},
	KindH2RequestLine: {high, cHi, "malformed HTTP/2 request line",
		"whitespace or line breaks in :method or :path become an injected HTTP/1 request line after a downgrade", nil},
	KindH2ConnHeader: {med, cMed, "connection-specific header in HTTP/2",
		"HTTP/2 forbids Connection, Keep-Alive, Proxy-Connection and Upgrade; copied into HTTP/1 they change how the back end treats the connection", nil},
	KindH2TENotTrailers: {med, cMed, "HTTP/2 TE other than trailers",
		"HTTP/2 allows TE only as \"trailers\"; other values copied into HTTP/1 are hop-by-hop framing hints", nil},
	KindH2HeaderName: {med, cMed, "invalid HTTP/2 header name",
		"upper case, spaces or colons in an HTTP/2 header name produce a different header after a downgrade", nil},
}

// kindWSColon is the decoder's invalid header name anomaly when its detail
// says whitespace before the colon, reported on its own.
const kindWSColon = http1.KindInvalidHeaderName + ":whitespace_before_colon"

// Detector is the smuggling detector. It is stateless apart from its
// settings, so one value serves every worker.
type Detector struct {
	cfg detect.Config
}

// New returns the detector.
func New(cfg detect.Config) (detect.Detector, error) {
	return &Detector{cfg: cfg.WithDefaults()}, nil
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return Name }

// maxFindings bounds the indications collected on one exchange.
const maxFindings = 16

// finding is one indication on an exchange.
type finding struct {
	kind   string
	detail string // the decoder's detail, or what the detector saw
	name   string // the header concerned, when one is
}

// findings collects indications, each kind once.
type findings struct {
	list [maxFindings]finding
	n    int
}

func (f *findings) add(kind, detail, name string) {
	for i := range f.n {
		if f.list[i].kind == kind {
			return
		}
	}
	if f.n < maxFindings {
		f.list[f.n] = finding{kind, detail, name}
		f.n++
	}
}

// ruleExtraResponse is a response to no request: the server answered more
// requests than the sensor saw on the connection (decoders/http1 hands such
// a response on as an exchange without a request). The back end read a
// request the sensor did not: one smuggled in a body (CL.0, 0.CL,
// TE.0), the plainest sign of a desync a passive sensor sees.
var ruleExtraResponse = detect.Rule{
	ID: "http-response-without-request", Category: "http-request-smuggling", OWASP: []string{"A04:2021", "API8:2023"},
	Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_MEDIUM,
}

// Inspect implements detect.Detector.
func (d *Detector) Inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	req := x.Request
	if req == nil {
		if i := slices.IndexFunc(x.Anomalies, func(a decoders.Anomaly) bool { return a.Kind == http1.KindResponseWithoutRequest }); i >= 0 && x.Response != nil {
			out = append(out, d.extraResponseAlert(x, x.Anomalies[i].Detail))
		}
		return out
	}
	var fs findings
	var desync *decoders.Anomaly
	for i, an := range x.Anomalies {
		if an.Dir != sensor.ClientToServer {
			continue
		}
		if an.Kind == decoders.AnomalyOverlap && desync == nil {
			desync = &x.Anomalies[i]
		}
		k := an.Kind
		if k == http1.KindInvalidHeaderName && an.Detail == "whitespace before colon" {
			k = kindWSColon
		}
		if _, ok := kinds[k]; ok {
			fs.add(k, an.Detail, "")
		}
	}
	switch {
	case x.Proto != http2.Proto:
		checkH1(x, &fs)
	case !strings.HasPrefix(req.Version, "HTTP/1"):
		// Not the HTTP/1 request of an h2c upgrade, which its HTTP/1
		// exchange already showed.
		checkH2(x, &fs)
	}
	if desync != nil {
		out = append(out, d.desyncAlert(x, desync.Detail))
	}
	if fs.n == 0 {
		return out
	}
	return append(out, d.alert(x, fs.list[:fs.n]))
}

// extraResponseAlert reports a response to no request (ruleExtraResponse);
// detail, the decoder's, names the request line it followed: the request
// that carried the smuggled one.
func (d *Detector) extraResponseAlert(x *decoders.Exchange, detail string) *alert.Alert {
	a := d.cfg.NewAlert(x, Name, &ruleExtraResponse, "")
	status := strconv.Itoa(x.Response.Status)
	matched := "a response to no request the sensor saw"
	if detail != "" {
		matched += ", " + detail
	}
	if d.cfg.AddRuleEvidence(a, "response_status", "status", status, matched, ruleExtraResponse.ID) {
		a.Evidence[len(a.Evidence)-1].Message = "the server answered more requests than the connection carried as the sensor reads it: one was read from another's body (CWE-444)"
	}
	a.Summary = "HTTP request smuggling: the server answered a request the sensor did not see (status " + status + ")"
	detect.SetOutcome(a, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL)
	return a
}

// desyncAlert reports client bytes that the capture holds two different
// copies of, on the exchange decoders attached the anomaly to: the next one
// of the connection, whose request holds them or follows them.
func (d *Detector) desyncAlert(x *decoders.Exchange, detail string) *alert.Alert {
	a := d.cfg.NewAlert(x, Name, &ruleTCPDesync, "")
	if d.cfg.AddRuleEvidence(a, "tcp", "", detail, "client bytes seen twice with different contents", ruleTCPDesync.ID) {
		a.Evidence[len(a.Evidence)-1].Message = "a receiver that keeps the other copy reads other bytes than the sensor: inspection evasion or desync"
	}
	a.Summary = "TCP desync: client bytes retransmitted with different data"
	detect.SetOutcome(a, alert.Outcome_OUTCOME_ATTEMPTED)
	return a
}

// alert builds the exchange's alert from its findings, worst first.
func (d *Detector) alert(x *decoders.Exchange, fs []finding) *alert.Alert {
	slices.SortStableFunc(fs, func(a, b finding) int {
		ka, kb := kinds[a.kind], kinds[b.kind]
		if ka.sev != kb.sev {
			return int(kb.sev) - int(ka.sev)
		}
		return int(kb.conf) - int(ka.conf)
	})
	a := d.cfg.NewAlert(x, Name, &rule, "")
	a.Severity, a.Confidence = kinds[fs[0].kind].sev, kinds[fs[0].kind].conf
	for _, f := range fs {
		k := kinds[f.kind]
		loc, name, value := evidenceOf(x.Request, f, k)
		e := len(a.Evidence)
		if !d.cfg.AddRuleEvidence(a, loc, name, value, k.title, strings.SplitN(f.kind, ":", 2)[0]) {
			break
		}
		a.Evidence[e].Message = alert.Snippet(k.why+" (CWE-444)", 512)
	}
	var b strings.Builder
	b.WriteString("HTTP request smuggling: ")
	b.WriteString(kinds[fs[0].kind].title)
	if len(fs) > 1 {
		b.WriteString(" (and ")
		b.WriteString(strconv.Itoa(len(fs) - 1))
		b.WriteString(" more)")
	}
	a.Summary = b.String()
	setOutcome(a, x)
	return a
}

// evidenceOf returns where finding f is and the text that shows it: the
// framing header values as sent, else the detail.
func evidenceOf(req *decoders.Message, f finding, k kind) (decoders.Location, string, string) {
	var vals []string
	for _, h := range req.Headers {
		for _, want := range k.headers {
			if strings.EqualFold(h.Name, want) {
				vals = append(vals, h.Name+": "+h.Value)
			}
		}
	}
	switch {
	case len(vals) > 0:
		name := k.headers[0]
		if len(k.headers) > 1 {
			name = ""
		}
		if f.detail != "" {
			vals = append(vals, "("+f.detail+")")
		}
		return decoders.LocHeader, name, strings.Join(vals, "; ")
	case f.name != "":
		return decoders.LocHeader, strings.ToLower(f.name), f.detail
	case f.kind == KindPrefixedMethod || f.kind == KindH2RequestLine || f.kind == http1.KindSpaceInTarget || f.kind == http1.KindControlInTarget:
		return "request_line", "", f.detail
	case f.kind == KindRequestInBody || f.kind == KindRequestInText:
		return decoders.LocBody, "", f.detail
	}
	return "request", "", f.detail
}

// setOutcome records what the response says: a 400, 501 or 505 is the
// observed server refusing the ambiguous request.
func setOutcome(a *alert.Alert, x *decoders.Exchange) {
	resp := x.Response
	if resp == nil || resp.Status == 0 {
		detect.SetOutcome(a, alert.Outcome_OUTCOME_ATTEMPTED)
		return
	}
	switch {
	case resp.Status == 400 || resp.Status == 501 || resp.Status == 505:
		detect.SetOutcome(a, alert.Outcome_OUTCOME_BLOCKED)
		detect.AddResponseEvidence(a, &alert.Evidence{
			Location: "response_status", Name: "status", Value: strconv.Itoa(resp.Status),
			Matched: "status " + strconv.Itoa(resp.Status) + ": the server refused the request", Rule: "refused",
		})
	default:
		detect.SetOutcome(a, alert.Outcome_OUTCOME_ATTEMPTED)
	}
}

// knownMethods are the methods a smuggled prefix is found in front of.
var knownMethods = []string{"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"}

// otherMethods end in a known method and are methods of their own
// (WebDAV's PROPPATCH, Exchange's BDELETE and BPROPPATCH): no prefix.
var otherMethods = map[string]bool{"PROPPATCH": true, "BPROPPATCH": true, "BDELETE": true, "ORDERPATCH": true}

// requestLine finds a request line at the start of a body: a request
// carried as the body of another.
// (Empty lines before it are skipped first, as RFC 9112 §2.2 lets a
// server skip them: any number of them.)
var requestLine = regexp.MustCompile(`^[A-Z]{3,12} (?:/|\*|https?://)[^\s]* HTTP/1\.[01]\r?\n`)

// foldedFraming finds a framing header's name and colon inside a value.
var foldedFraming = regexp.MustCompile(`(?i)(?:transfer-encoding|content-length)[ \t]*:`)

// bodiless are the methods whose requests carry no body in practice.
var bodiless = map[string]bool{"GET": true, "HEAD": true, "OPTIONS": true, "TRACE": true, "DELETE": true}

// maxPlausibleCL is the largest Content-Length no processor would refuse
// to believe: a terabyte.
const maxPlausibleCL = 1 << 40

// checkH1 adds what the HTTP/1 decoder does not flag: framing header
// lookalikes, repeated Transfer-Encoding, and a method carrying a previous
// request's leftover.
func checkH1(x *decoders.Exchange, fs *findings) {
	req := x.Request
	te := 0
	for _, h := range req.Headers {
		if strings.EqualFold(h.Name, "transfer-encoding") {
			te++
			continue
		}
		if strings.EqualFold(h.Name, "content-length") {
			continue
		}
		if framingName(h.Name) != "" {
			fs.add(KindFramingLookalike, alert.Snippet(h.Name+": "+h.Value, 128), h.Name)
		}
	}
	if te > 1 {
		fs.add(KindMultipleTE, strconv.Itoa(te)+" Transfer-Encoding lines", "")
	}
	checkHost(req, fs)
	// Only once the back end switched: a forwarded upgrade it ignores
	// opens nothing, and benign clients send them.
	if up, ok := decoders.Get(req.Headers, "upgrade"); ok && x.Response != nil && x.Response.Status == 101 && hasToken(up, "h2c") {
		if by := forwardedBy(req); by != "" {
			fs.add(KindH2CProxied, "forwarded by a proxy ("+by+"), answered 101", "")
		}
	}
	folded := slices.ContainsFunc(x.Anomalies, func(a decoders.Anomaly) bool { return a.Kind == http1.KindObsFold })
	for _, h := range req.Headers {
		switch {
		case strings.EqualFold(h.Name, "content-length"):
			checkCL(h.Value, fs)
		case strings.EqualFold(h.Name, "connection"):
			for tok := range strings.SplitSeq(h.Value, ",") {
				tok = strings.TrimSpace(tok)
				if strings.EqualFold(tok, "content-length") || strings.EqualFold(tok, "transfer-encoding") || strings.EqualFold(tok, "host") {
					fs.add(KindHopByHopFraming, "", "")
				}
			}
		case strings.EqualFold(h.Name, "expect"):
			// 100-continue (also repeated in a list); an empty Expect
			// asks nothing.
			for el := range strings.SplitSeq(h.Value, ",") {
				if el = strings.TrimSpace(el); el != "" && !strings.EqualFold(el, "100-continue") {
					fs.add(KindExpect, "", "")
					break
				}
			}
		}
		if folded && foldedFraming.MatchString(h.Value) {
			// A framing header unfolded into the value of the one before
			// it ("Foo: bar\r\n Transfer-Encoding : chunked").
			fs.add(KindFramingInFold, alert.Snippet(h.Name+": "+h.Value, 128), h.Name)
		}
	}
	if b := bytes.TrimLeft(req.Body, "\r\n"); len(b) > 0 && requestLine.Match(b[:min(len(b), 512)]) {
		ct, _ := decoders.Get(req.Headers, "content-type")
		mt, _, _ := strings.Cut(ct, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		line, _, _ := strings.Cut(string(b[:min(len(b), 128)]), "\n")
		// A request in text (a pasted log in a note) or in an HTTP
		// message body (a batch API's) may be no desync; one in any other
		// body, or under a method that carries none, is. (The sender
		// picks the content type: it lowers the alert, it does not
		// remove it.)
		k := KindRequestInBody
		if (strings.HasPrefix(mt, "text/") || mt == "message/http" || mt == "application/http") && !bodiless[req.Method] {
			k = KindRequestInText
		}
		fs.add(k, strings.TrimSpace(line), "")
	}
	if x.Seq > 0 && !slices.Contains(knownMethods, req.Method) && !otherMethods[req.Method] {
		for _, m := range knownMethods {
			if p := len(req.Method) - len(m); p > 0 && p <= 8 && strings.HasSuffix(req.Method, m) {
				fs.add(KindPrefixedMethod, alert.Snippet(req.Method+" "+req.URI, 128)+" ("+strconv.Quote(req.Method[:p])+" before "+m+")", "")
				break
			}
		}
	}
}

// proxyHeaders are what a reverse proxy adds to the requests it forwards.
var proxyHeaders = []string{"x-forwarded-for", "forwarded", "via", "x-real-ip", "x-forwarded-host", "x-forwarded-proto"}

// forwardedBy returns the first header of req that a proxy adds, or "".
func forwardedBy(req *decoders.Message) string {
	for _, h := range req.Headers {
		for _, n := range proxyHeaders {
			if strings.EqualFold(h.Name, n) {
				return n
			}
		}
	}
	return ""
}

// hasToken reports whether comma-separated list v holds token t, in any
// case.
func hasToken(v, t string) bool {
	for el := range strings.SplitSeq(v, ",") {
		if strings.EqualFold(strings.TrimSpace(el), t) {
			return true
		}
	}
	return false
}

// checkHost adds an absolute-form target whose authority is another host
// than Host's, or one parsers split differently: a request two processors
// route to different hosts. (decoders/http1 counts the Host lines
// themselves, past its header limits too: http1.duplicate_host.)
func checkHost(req *decoders.Message, fs *findings) {
	host, ok := decoders.Get(req.Headers, "host")
	if !ok {
		return
	}
	raw, port, ok := detect.Authority(req.URI)
	if !ok {
		return
	}
	// A backslash, which WHATWG parsers (Node's URL) take for a '/' and
	// others keep (http://good\@evil/), or more than one '@': parsers
	// split the authority differently.
	ambiguous := strings.IndexByte(raw, '\\') >= 0 || strings.Count(raw, "@") > 1
	auth := detect.StripUserInfo(raw)
	if ambiguous || !detect.SameHostPort(auth, host, port) {
		fs.add(KindAbsoluteHost, "target "+alert.Snippet(auth, 60)+", Host "+alert.Snippet(host, 60), "")
	}
}

// checkCL reads a Content-Length value as a strict parser does: a list of
// equal non-empty decimals. An empty value or element (" ", ",5", "5,")
// and a sign are what lenient parsers read as a number and strict ones
// refuse; a number past a terabyte, one no processor buffers.
func checkCL(v string, fs *findings) {
	for el := range strings.SplitSeq(v, ",") {
		el = strings.TrimSpace(el)
		if el == "" || strings.Trim(el, "0123456789") != "" {
			fs.add(http1.KindInvalidContentLength, "Content-Length "+strconv.Quote(alert.Snippet(v, 40)), "")
			return
		}
		if n, err := strconv.ParseUint(el, 10, 64); err != nil || n > maxPlausibleCL {
			fs.add(KindHugeCL, "Content-Length "+alert.Snippet(el, 40), "")
			return
		}
	}
}

// framingName returns the framing header name that header name n stands
// for after the normalisations lenient processors apply ('_' for '-',
// dropping whitespace and control bytes), or "" when it stands for none.
func framingName(n string) string {
	if len(n) < len("content-length") || len(n) > len("transfer-encoding")+8 {
		return ""
	}
	var b [len("transfer-encoding") + 8]byte
	k := 0
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		case c <= ' ' || c == 0x7f:
			continue
		}
		b[k] = c
		k++
	}
	switch string(b[:k]) {
	case "content-length":
		return "content-length"
	case "transfer-encoding":
		return "transfer-encoding"
	}
	return ""
}

// h2Connection are the connection-specific headers HTTP/2 forbids (RFC
// 9113 §8.2.2), transfer-encoding reported on its own.
var h2Connection = map[string]bool{"connection": true, "keep-alive": true, "proxy-connection": true, "upgrade": true}

// unknownIndex starts the placeholder name decoders/http2 gives a header
// field whose HPACK table entry it never saw.
const unknownIndex = "<unknown-index:"

// checkH2 reads an HTTP/2 request for what a downgrade to HTTP/1 turns
// into smuggling.
func checkH2(x *decoders.Exchange, fs *findings) {
	req := x.Request
	var cl []string
	hosts := 0
	for _, h := range req.Trailers {
		if strings.ContainsAny(h.Name, "\r\n\x00") || strings.ContainsAny(h.Value, "\r\n\x00") {
			fs.add(KindH2CRLF, strconv.Quote(alert.Snippet(h.Name+": "+h.Value, 120))+" (trailer)", h.Name)
		}
	}
	for _, h := range req.Headers {
		if strings.ContainsAny(h.Name, "\r\n\x00") || strings.ContainsAny(h.Value, "\r\n\x00") {
			fs.add(KindH2CRLF, strconv.Quote(alert.Snippet(h.Name+": "+h.Value, 120)), h.Name)
			continue
		}
		if strings.HasPrefix(h.Name, unknownIndex) {
			// A field behind a table entry the decoder never saw (a
			// connection picked up mid-stream): its name is not what
			// was sent.
			continue
		}
		if strings.HasPrefix(h.Name, ":") {
			// A repeated pseudo-header (http2.invalid_pseudo_header).
			continue
		}
		if !h2Name(h.Name) {
			fs.add(KindH2HeaderName, strconv.Quote(alert.Snippet(h.Name, 64)), h.Name)
		}
		name := strings.ToLower(h.Name)
		if name == "host" {
			hosts++
		}
		switch {
		case name == "transfer-encoding":
			fs.add(KindH2TE, "", "")
		case h2Connection[name]:
			fs.add(KindH2ConnHeader, alert.Snippet(h.Name+": "+h.Value, 128), h.Name)
		case name == "te" && !strings.EqualFold(strings.TrimSpace(h.Value), "trailers"):
			fs.add(KindH2TENotTrailers, alert.Snippet(h.Name+": "+h.Value, 128), h.Name)
		case name == "content-length":
			cl = append(cl, strings.TrimSpace(h.Value))
		case name == "host" && req.Authority != "" && !sameHost(req.Authority, h.Value):
			fs.add(KindH2AuthorityHost, ":authority "+alert.Snippet(req.Authority, 60)+", host "+alert.Snippet(h.Value, 60), "")
		}
	}
	if hosts > 1 {
		// Copied into HTTP/1 by a downgrade, both lines reach the back
		// end.
		fs.add(KindDuplicateHost, "", "")
	}
	if strings.ContainsAny(req.Authority, "\r\n\x00 ") {
		fs.add(KindH2CRLF, strconv.Quote(alert.Snippet(":authority: "+req.Authority, 120)), ":authority")
	}
	if !token(req.Method) || strings.ContainsAny(req.URI, " \t\r\n\x00") {
		fs.add(KindH2RequestLine, strconv.Quote(alert.Snippet(req.Method+" "+req.URI, 120)), "")
	}
	switch {
	case len(cl) > 1:
		fs.add(KindH2MultipleCL, "", "")
	case len(cl) == 1:
		// A stream cut short (RST_STREAM) says nothing of a shorter
		// body, but more DATA than declared is the mismatch already.
		n, err := strconv.ParseInt(cl[0], 10, 64)
		if err != nil || cl[0] == "" || cl[0][0] < '0' || cl[0][0] > '9' ||
			n != req.WireBodyLen && (!req.Incomplete || req.WireBodyLen > n) {
			fs.add(KindH2CLMismatch, "Content-Length "+alert.Snippet(cl[0], 24)+", DATA "+strconv.FormatInt(req.WireBodyLen, 10)+" bytes", "")
		}
	}
}

// sameHost reports whether :authority a and Host h name the same origin
// as RFC 9113 §8.3.1 compares them: in any case, a trailing dot ignored,
// and a port left out only where it is a default one (80, 443) on the
// other side.
func sameHost(a, h string) bool {
	ah, ap := detect.SplitHostPort(strings.TrimSpace(a))
	hh, hp := detect.SplitHostPort(strings.TrimSpace(h))
	if ah != hh {
		return false
	}
	switch {
	case ap == hp:
		return true
	case ap == "":
		return hp == "80" || hp == "443"
	case hp == "":
		return ap == "80" || ap == "443"
	}
	return false
}

// h2Name reports whether n is a valid HTTP/2 field name: a lower-case
// token.
func h2Name(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if 'A' <= c && c <= 'Z' || !tchar(c) {
			return false
		}
	}
	return true
}

// token reports whether s is a non-empty HTTP token.
func token(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar(s[i]) {
			return false
		}
	}
	return true
}

func tchar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}
