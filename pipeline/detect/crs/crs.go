// Package crs is the "crs" detector: the OWASP Core Rule Set (v4, embedded)
// run through the Coraza WAF engine in detection-only mode, as a second
// tier behind the fast per-parameter detectors (injection, tier1).
//
// Input: exchanges from the pipeline through detect.Detector, or
// detect.FollowUp when the pipeline hands over the alerts the detectors
// listed before it raised on the same exchange. Each inspected exchange
// becomes one Coraza transaction: connection, request line, headers, the
// body when Coraza parses it itself (URL-encoded form), and the parameters
// the sensor decoded from the other bodies (JSON, GraphQL variables, XML,
// multipart, protobuf and gRPC messages) as arguments.
// Output: at most one alert per exchange, when CRS's inbound anomaly score
// reaches the configured threshold (rule 949110's test), with one evidence
// entry per matched CRS rule.
//
// The WAF (the parsed rules, about 30 MB) is built once per detector and
// shared by every worker; transactions are pooled by Coraza. Mode decides
// what is inspected: nothing (off), the exchanges another detector alerted
// on or that Suspicious flags (suspicious), or everything (all).
package crs

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/experimental"
	"github.com/corazawaf/coraza/v3/types"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/websocket"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/confirm"
)

// Name is the detector's registered name.
const Name = "crs"

func init() { detect.Register(Name, New) }

// Detector is the crs detector. It holds one WAF, safe for concurrent
// transactions, so one value serves every worker.
type Detector struct {
	cfg     detect.Config
	confirm confirm.Config
	mode    string
	waf     coraza.WAF // nil when the mode is off
	// newTx creates transactions with a fixed id, sparing Coraza a random
	// id per transaction; nil when the WAF does not offer it.
	newTx func() types.Transaction

	// budget bounds the runs of the alerted and suspicious modes; nil
	// when unbounded.
	budget *budget

	// Counters shared by the workers; exchanges the mode skips are not
	// counted, to keep a shared write off the path of every exchange.
	inspected, alerts, errors, skipped atomic.Uint64
}

// budget is a token bucket in packet time: rate runs a second, at most
// rate saved up. Packet time keeps a replay's budget what the live sensor's
// was, at any replay speed. It is shared by the workers, so past the bound
// which exchanges get a run depends on how the workers interleave; with
// max_runs_per_second -1 every run happens.
type budget struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

// budgetSkew is how far packet time may go back before the budget's clock
// follows it: more than the workers' exchanges can be apart.
const budgetSkew = 5 * time.Second

func newBudget(rate int) *budget {
	if rate <= 0 {
		return nil
	}
	return &budget{rate: float64(rate), tokens: float64(rate)}
}

// take spends a run at packet time now, reporting false when none is left;
// with spare set, when fewer than half the bucket would be left.
// Time that goes back a little (workers' exchanges arrive out of order)
// adds nothing; time that goes back further (captures replayed out of
// order, a clock stepped back) moves the bucket's clock back, or no run
// would happen until packet time caught up.
func (b *budget) take(now time.Time, spare bool) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case now.After(b.last):
		if !b.last.IsZero() {
			b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
		}
		b.last = now
	case b.last.Sub(now) > budgetSkew:
		b.last = now
	}
	floor := 1.0
	if spare {
		floor += b.rate / 2
	}
	if b.tokens < floor {
		return false
	}
	b.tokens--
	return true
}

// Stats counts what the detector did since it was built.
type Stats struct {
	// Inspected counts exchanges run through CRS.
	Inspected uint64
	// Alerts counts alerts raised.
	Alerts uint64
	// Errors counts transactions on which Coraza reported an error (a
	// body it could not read, a transaction it could not close).
	Errors uint64
	// Skipped counts runs the budget (max_runs_per_second) refused.
	Skipped uint64
}

// New returns the detector. With mode off it builds no WAF.
func New(cfg detect.Config) (detect.Detector, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	d := &Detector{cfg: cfg, confirm: confirm.DefaultConfig(), mode: cfg.CRS.Mode}
	if d.mode == detect.CRSOff {
		return d, nil
	}
	if d.mode != detect.CRSAll {
		d.budget = newBudget(cfg.CRS.MaxRunsPerSecond)
	}
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().
		WithRootFS(coreruleset.FS).
		WithDirectives(Directives(cfg.CRS)))
	if err != nil {
		return nil, fmt.Errorf("crs: build waf: %w", err)
	}
	d.waf = waf
	d.newTx = waf.NewTransaction
	if wo, ok := waf.(experimental.WAFWithOptions); ok {
		d.newTx = func() types.Transaction {
			return wo.NewTransactionWithOptions(experimental.Options{ID: "sensor"})
		}
	}
	return d, nil
}

// allowedContentTypes extends CRS's list (form, multipart, XML, SOAP,
// JSON) with the API content types the sensor decodes, so that rule 920420
// does not flag every gRPC, protobuf or GraphQL call.
var allowedContentTypes = []string{
	"application/x-www-form-urlencoded", "multipart/form-data", "multipart/related",
	"text/xml", "application/xml", "application/soap+xml",
	"application/json", "application/problem+json", "application/vnd.api+json",
	"application/ld+json", "application/hal+json", "application/merge-patch+json",
	"application/json-patch+json", "application/x-ndjson", "application/cloudevents+json",
	"application/graphql", "application/graphql-response+json", "text/plain",
	"application/grpc", "application/grpc+proto", "application/grpc+json",
	"application/grpc-web", "application/grpc-web+proto", "application/grpc-web+json",
	"application/grpc-web-text", "application/grpc-web-text+proto",
	"application/x-protobuf", "application/protobuf", "application/x-google-protobuf",
	"application/vnd.google.protobuf",
}

// Directives returns the Coraza configuration the detector loads: the
// engine in detection-only mode with no audit or debug log, bounded body
// and argument handling, CRS's example setup, the sensor's settings
// (paranoia level, inbound threshold, the REST methods and the API
// content types an API legitimately uses) and CRS's
// request rules. Response rules are left out: the sensor does not feed
// response bodies, and inbound scoring does not use them. Rule 920350
// (Host is a numeric IP address) is removed: services address each other
// by IP in the east-west traffic the sensor watches. Expect is taken off
// CRS's restricted headers: "Expect: 100-continue" is what curl and .NET
// clients send before large bodies, and the desync it guards an inline
// proxy against does not apply to a passive sensor.
func Directives(c detect.CRS) string {
	var b strings.Builder
	fmt.Fprintf(&b, `SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRequestBodyLimit %[1]d
SecRequestBodyInMemoryLimit %[1]d
SecRequestBodyLimitAction ProcessPartial
SecResponseBodyAccess Off
SecArgumentsLimit %[2]d
SecAuditEngine Off
Include @crs-setup.conf.example
`, c.BodyBytes, c.MaxArgs)
	ct := make([]string, len(allowedContentTypes))
	for i, t := range allowedContentTypes {
		ct[i] = "|" + t + "|"
	}
	// CRS initialisation (rule 901…) sets each of these only when unset, so
	// they go between the setup file and the rules.
	fmt.Fprintf(&b, `SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=%[1]d,setvar:tx.detection_paranoia_level=%[1]d"
SecAction "id:900110,phase:1,pass,t:none,nolog,setvar:tx.inbound_anomaly_score_threshold=%[2]d,setvar:tx.outbound_anomaly_score_threshold=4"
SecAction "id:900200,phase:1,pass,t:none,nolog,setvar:'tx.allowed_methods=GET HEAD POST OPTIONS PUT PATCH DELETE'"
SecAction "id:900250,phase:1,pass,t:none,nolog,setvar:'tx.restricted_headers_basic=/content-encoding/ /proxy/ /lock-token/ /content-range/ /if/ /x-http-method-override/ /x-http-method/ /x-method-override/ /x-middleware-subrequest/'"
SecAction "id:900220,phase:1,pass,t:none,nolog,setvar:'tx.allowed_request_content_type=%[3]s'"
Include @owasp_crs/REQUEST-*.conf
SecRuleRemoveById 920350
`, c.ParanoiaLevel, c.AnomalyThreshold, strings.Join(ct, " "))
	return b.String()
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return Name }

// Stats returns the detector's counters.
func (d *Detector) Stats() Stats {
	return Stats{
		Inspected: d.inspected.Load(), Alerts: d.alerts.Load(), Errors: d.errors.Load(), Skipped: d.skipped.Load(),
	}
}

// Counters implements detect.Counted.
func (d *Detector) Counters() map[string]uint64 {
	return map[string]uint64{"drop.crs_budget": d.skipped.Load()}
}

// Inspect implements detect.Detector, as InspectAfter with no prior alerts.
func (d *Detector) Inspect(x *decoders.Exchange, out []*alert.Alert) []*alert.Alert {
	return d.InspectAfter(x, nil, out)
}

// InspectAfter implements detect.FollowUp. In suspicious mode a prior
// injection alert makes the exchange worth a CRS run: such alerts are rare,
// and a second opinion on each is cheap in aggregate. Other alerts do not:
// a weakness raised on every request (a JWT without exp on each call of a
// client) would otherwise put CRS, at a millisecond a run, on all traffic.
func (d *Detector) InspectAfter(x *decoders.Exchange, prior []*alert.Alert, out []*alert.Alert) []*alert.Alert {
	if d.waf == nil || x.Request == nil {
		return out
	}
	alerted := anyInjection(prior)
	switch d.mode {
	case detect.CRSAlerted:
		if !alerted {
			return out
		}
	case detect.CRSSuspicious:
		if !alerted && !Suspicious(x, d.cfg.ScanBytes) {
			return out
		}
	}
	// A run only the prefilter asked for leaves half the bucket to
	// exchanges tier 1 alerted on: benign values the prefilter lets
	// through must not starve the corroboration of attacks.
	if !d.budget.take(x.Request.Start, !alerted) {
		d.skipped.Add(1)
		return out
	}
	d.inspected.Add(1)
	return d.run(x, prior, d.mode != detect.CRSAll, out)
}

// run feeds x to a fresh transaction and turns its matches into an alert.
// With selective set, only the decoded parameters that the prefilter flags
// or that a prior alert names are fed as arguments: CRS costs about half a
// millisecond of CPU per argument, so a gRPC stream or a large JSON
// document would otherwise cost tens of milliseconds for one suspicious
// field.
func (d *Detector) run(x *decoders.Exchange, prior []*alert.Alert, selective bool, out []*alert.Alert) []*alert.Alert {
	tx := d.newTx()
	failed := false
	defer func() {
		if err := tx.Close(); err != nil || failed {
			d.errors.Add(1)
		}
	}()
	req := x.Request
	if m := x.Conn; m != nil {
		tx.ProcessConnection(ipString(m.Key.SrcIP), int(m.Key.SrcPort), ipString(m.Key.DstIP), int(m.Key.DstPort))
	}
	uri := req.URI
	if uri == "" {
		uri = "/"
	}
	method, version := req.Method, req.Version
	ws := x.Proto == websocket.ProtoName
	if ws {
		// A WebSocket message has no request line nor headers of its
		// own: CRS reads it as the body of a POST to the upgrade's
		// target, with its length, so that the method, protocol and
		// header policies (911100, 920430, 920180), which judged the
		// upgrade request, do not fire on every message; nor does the
		// missing Content-Type (920340, below).
		method, version = "POST", "HTTP/1.1"
		tx.AddRequestHeader("Content-Length", strconv.FormatInt(req.WireBodyLen, 10))
	}
	tx.ProcessURI(uri, method, version)
	host := ""
	for _, h := range req.Headers {
		tx.AddRequestHeader(h.Name, h.Value)
		if host == "" && strings.EqualFold(h.Name, "host") {
			host = h.Value
		}
	}
	if host == "" && req.Authority != "" {
		// HTTP/2 carries the host in :authority; CRS expects a Host
		// header (rule 920280) as an HTTP/2 server would present it.
		host = req.Authority
		tx.AddRequestHeader("Host", host)
	}
	if host != "" {
		tx.SetServerName(host)
	}
	if rm, ok := tx.(ruleRemover); ok {
		if host == "" && strings.HasPrefix(req.Version, "HTTP/2") {
			// A stream picked up mid-connection: HPACK state that
			// carried :authority was not seen, so absence is not a fact.
			rm.RemoveRuleByID(ruleMissingHost)
		}
		if len(req.Body) == 0 && req.WireBodyLen == 0 {
			// The content-type policy is about bodies; API clients
			// (hey, some SDKs) send a Content-Type on every GET.
			rm.RemoveRuleByID(ruleContentType)
		}
		if ws {
			rm.RemoveRuleByID(ruleNoContentType)
		}
	}
	tx.ProcessRequestHeaders()

	ctype, _ := decoders.Get(req.Headers, "content-type")
	parsed := coraParses(ctype) && len(req.Body) > 0
	if parsed {
		body := req.Body
		if len(body) > d.cfg.CRS.BodyBytes {
			body = body[:d.cfg.CRS.BodyBytes]
		}
		if _, _, err := tx.WriteRequestBody(body); err != nil {
			failed = true
		}
	}
	fed := 0
	for i := range x.Params {
		p := &x.Params[i]
		if !fedAsArgument(p.Loc, parsed) || graphQLDocument(p) {
			continue
		}
		if selective && !suspiciousParam(p, d.cfg.ScanBytes) && !namedIn(prior, p) {
			continue
		}
		if fed == d.cfg.CRS.MaxArgs {
			break
		}
		fed++
		tx.AddPostRequestArgument(p.Name, bounded(p.Value, d.cfg.ScanBytes))
	}
	if _, err := tx.ProcessRequestBody(); err != nil {
		failed = true
	}
	// Response phases are not run: CRS's inbound score is complete after
	// phase 2, and the outbound rules need response bodies the sensor
	// does not keep for every exchange.
	score, ok := inboundScore(tx)
	if !ok || score < d.cfg.CRS.AnomalyThreshold {
		return out
	}
	a := d.newAlert(x, tx.MatchedRules(), score, parsed)
	if a == nil {
		return out
	}
	d.alerts.Add(1)
	return append(out, a)
}

// CRS rules the detector turns off per transaction, when the sensor knows
// they would judge what it did not see.
const (
	ruleMissingHost = 920280 // Request Missing a Host Header
	ruleContentType = 920420 // Request content type is not allowed by policy
	// ruleNoContentType is 920340, Request Containing Content, but
	// Missing Content-Type header.
	ruleNoContentType = 920340
)

// ruleRemover is implemented by Coraza's transactions (not part of its
// types.Transaction interface): it turns a rule off for one transaction.
type ruleRemover interface {
	RemoveRuleByID(id int)
}

// coraParses reports whether the request body of content type ct is
// handed to Coraza to parse itself: only URL-encoded forms. Multipart
// bodies are not, because Coraza writes every file part to a temporary
// file, disk I/O a sensor must not do per exchange; their fields, file
// names and part types reach CRS as the sensor's multipart parameters.
// JSON, XML and protobuf bodies reach it as the sensor's parameters too,
// so that names match the sensor's and nothing is parsed twice.
func coraParses(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(ct))
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

// fedAsArgument reports whether a parameter found at loc is handed to CRS
// as an argument. What Coraza extracts itself is not fed again, or it
// would be matched and scored twice: the query (ProcessURI), headers and
// cookies (AddRequestHeader), and form fields when the body was written
// (parsed). Path segments are left to CRS's REQUEST_FILENAME and
// REQUEST_URI rules. Everything the sensor decoded from bodies Coraza
// does not parse — JSON and GraphQL variables, XML, multipart, protobuf
// and gRPC messages, other text bodies — is fed.
func fedAsArgument(loc decoders.Location, parsed bool) bool {
	switch loc {
	case decoders.LocJSON, decoders.LocXML, decoders.LocProtobuf:
		return true
	case decoders.LocForm, decoders.LocMultipart, decoders.LocBody:
		return !parsed
	}
	return false
}

// anyInjection reports whether one of the alerts is about injection (OWASP
// A03:2021), the family CRS can give a second opinion on.
func anyInjection(alerts []*alert.Alert) bool {
	for _, a := range alerts {
		if slices.Contains(a.GetOwasp(), "A03:2021") {
			return true
		}
	}
	return false
}

// namedIn reports whether an evidence entry of one of the alerts names
// parameter p.
func namedIn(alerts []*alert.Alert, p *decoders.Param) bool {
	for _, a := range alerts {
		for _, ev := range a.GetEvidence() {
			if ev.GetName() == p.Name && ev.GetLocation() == string(p.Loc) {
				return true
			}
		}
	}
	return false
}

// graphQLDocument reports whether p is a GraphQL query document (the
// "query" member of a GraphQL request, or an application/graphql body).
// It is code, not data: CRS's SQL rules match its syntax ("query
// User($id: ID!) { … }" scores as MSSQL code execution), so it is not fed.
// Its variables are, and the graphql detector reads the document.
func graphQLDocument(p *decoders.Param) bool {
	switch {
	case p.Loc == decoders.LocJSON && (p.Name == "query" || strings.HasSuffix(p.Name, "].query")):
	case p.Loc == decoders.LocBody:
	default:
		return false
	}
	v := strings.TrimLeft(p.Value, " \t\r\n")
	if strings.HasPrefix(v, "{") {
		return true
	}
	for _, op := range []string{"query", "mutation", "subscription", "fragment"} {
		if len(v) > len(op) && strings.HasPrefix(v, op) && !isWordByte(v[len(op)]) {
			return true
		}
	}
	return false
}

// bounded cuts s to at most n bytes.
func bounded(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
