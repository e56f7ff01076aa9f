package detect

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// Rule describes what one detector rule reports. Detectors declare their
// rules as package variables and never modify them.
type Rule struct {
	ID         string
	Category   string
	OWASP      []string
	Severity   alert.Severity
	Confidence alert.Confidence
}

// Field bounds for values copied from traffic that are not evidence.
const (
	maxHeaderValue = 512
	maxSourceName  = 1024
)

// NewAlert starts an alert of rule r, raised by detector on exchange x: id,
// time, rule facts, flow, HTTP facts, client, source and anomalies are
// filled; the caller adds the summary and evidence (AddEvidence).
//
// key tells apart several alerts of the same rule on the same exchange (a
// parameter name, say); it is "" when a rule raises at most one. The id is
// derived from the capture source, connection id, exchange sequence number,
// detector, rule and key, so replaying a capture gives the same ids.
//
// Everything copied from traffic is made valid UTF-8 and bounded; the URL is
// redacted.
func (c *Config) NewAlert(x *decoders.Exchange, detector string, r *Rule, key string) *alert.Alert {
	cfg := c.WithDefaults()
	a := &alert.Alert{
		Detector:   detector,
		RuleId:     r.ID,
		Category:   r.Category,
		Owasp:      slices.Clone(r.OWASP),
		Severity:   r.Severity,
		Confidence: r.Confidence,
	}
	source, connID, seq := exchangeKey(x)
	a.Id = alert.ID(source, connID, seq, detector, r.ID, key)
	a.Timestamp = exchangeTime(x)
	a.Flow = flowFacts(x)
	a.Client = cfg.Identity.Identifier().Identify(x)
	a.Source = sourceFacts(x)
	if x.Request != nil || x.Response != nil {
		a.Http = cfg.httpFacts(x)
	}
	a.Anomalies = anomalyKinds(x)
	a.Grpc = grpcFacts(x)
	a.StreamId = x.StreamID
	return a
}

// grpcFacts returns the gRPC facts of x, or nil when x is not a gRPC call.
func grpcFacts(x *decoders.Exchange) *alert.Grpc {
	g := x.GRPC
	if g == nil {
		return nil
	}
	f := &alert.Grpc{
		Service:          alert.Snippet(g.Service, maxHeaderValue),
		Method:           alert.Snippet(g.Method, maxHeaderValue),
		StatusMessage:    alert.Redact(alert.Snippet(g.StatusMessage, maxHeaderValue)),
		ContentType:      alert.Snippet(g.ContentType, maxHeaderValue),
		RequestMessages:  uint32(g.RequestsTotal),
		ResponseMessages: uint32(g.ResponsesTotal),
	}
	if g.Status >= 0 {
		st := int32(g.Status)
		f.Status = &st
	}
	return f
}

// exchangeKey returns the parts that name exchange x independently of the
// run: the capture source, the connection and the exchange's sequence number.
func exchangeKey(x *decoders.Exchange) (source, connID, seq string) {
	if m := x.Conn; m != nil {
		// The flow's Community ID and start time name it independently
		// of how many workers numbered the flows, so a replay gives the
		// same ids whatever --workers is.
		source, connID = m.Source, m.CommunityID+"@"+strconv.FormatInt(m.Start.UnixNano(), 10)
	}
	return source, connID, strconv.Itoa(x.Seq)
}

// exchangeTime is the capture time of the request's first byte (of the
// ClientHello's last record for TLS), else the connection's start.
func exchangeTime(x *decoders.Exchange) *timestamppb.Timestamp {
	if req := x.Request; req != nil && !req.Start.IsZero() {
		return timestamppb.New(req.Start)
	}
	if resp := x.Response; resp != nil && !resp.Start.IsZero() {
		// A response to no request (decoders/http1).
		return timestamppb.New(resp.Start)
	}
	if t := x.TLS; t != nil && !t.Time.IsZero() {
		return timestamppb.New(t.Time)
	}
	if m := x.Conn; m != nil {
		return timestamppb.New(m.Start)
	}
	return nil
}

func flowFacts(x *decoders.Exchange) *alert.Flow {
	m := x.Conn
	if m == nil {
		return nil
	}
	f := &alert.Flow{
		SrcIp:       ipString(m.Key.SrcIP),
		SrcPort:     uint32(m.Key.SrcPort),
		DestIp:      ipString(m.Key.DstIP),
		DestPort:    uint32(m.Key.DstPort),
		Proto:       m.Key.ProtoName(),
		AppProto:    appProto(x.Proto),
		CommunityId: m.CommunityID,
		FlowId:      m.ID,
		MidStream:   m.MidStream,
		Zone:        m.Zone,
	}
	if len(m.VLAN) > 0 {
		f.Vlan = make([]uint32, len(m.VLAN))
		for i, v := range m.VLAN {
			f.Vlan[i] = uint32(v)
		}
	}
	for _, t := range m.Tunnels {
		f.Tunnels = append(f.Tunnels, &alert.Tunnel{Kind: t.Kind.String(), Id: t.ID})
	}
	return f
}

func sourceFacts(x *decoders.Exchange) *alert.Source {
	var s *alert.Source
	if m := x.Conn; m != nil {
		s = &alert.Source{File: alert.Snippet(m.Source, maxSourceName)}
	}
	if req := x.Request; req != nil {
		if s == nil {
			s = &alert.Source{}
		}
		s.Frames = slices.Clone(req.Frames)
		s.FramesTotal = uint32(req.FramesTotal)
	} else if resp := x.Response; resp != nil && len(resp.Frames) > 0 {
		if s == nil {
			s = &alert.Source{}
		}
		s.Frames = slices.Clone(resp.Frames)
		s.FramesTotal = uint32(resp.FramesTotal)
	} else if t := x.TLS; t != nil && len(t.Frames) > 0 {
		if s == nil {
			s = &alert.Source{}
		}
		s.Frames = slices.Clone(t.Frames)
		s.FramesTotal = uint32(len(t.Frames))
	}
	return s
}

// anomalyKinds lists the exchange's anomaly kinds, each once, in order.
func anomalyKinds(x *decoders.Exchange) []string {
	var kinds []string
	for _, an := range x.Anomalies {
		kind := alert.Snippet(an.Kind, maxHeaderValue)
		if !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	return kinds
}

// httpFacts is the request's and the response's facts; a response to no
// request (decoders/http1) has only the response's.
func (c *Config) httpFacts(x *decoders.Exchange) *alert.Http {
	h := &alert.Http{}
	if req := x.Request; req != nil {
		h.Method = alert.Snippet(req.Method, maxHeaderValue)
		h.Url = alert.Snippet(alert.Redact(req.URI), c.SnippetBytes)
		h.Version = alert.Snippet(req.Version, maxHeaderValue)
		h.RequestBodyLength = req.WireBodyLen
		h.UserAgent = header(req.Headers, "user-agent")
		h.ContentType = header(req.Headers, "content-type")
		h.Host = requestHost(req)
	}
	if resp := x.Response; resp != nil {
		if x.Request == nil {
			h.Version = alert.Snippet(resp.Version, maxHeaderValue)
		}
		if resp.Status > 0 {
			h.Status = uint32(resp.Status)
		}
		h.ResponseBodyLength = resp.WireBodyLen
	}
	return h
}

// requestHost is the Host header, or :authority for HTTP/2.
func requestHost(req *decoders.Message) string {
	if h := header(req.Headers, "host"); h != "" {
		return h
	}
	return alert.Snippet(req.Authority, maxHeaderValue)
}

func header(hs []decoders.Header, name string) string {
	v, _ := decoders.Get(hs, name)
	return alert.Snippet(v, maxHeaderValue)
}

// AddEvidence appends one evidence entry to a: value is redacted (wholly,
// when name marks a secret) and bounded to c.SnippetBytes. It reports false,
// adding nothing, when a already holds c.MaxEvidence entries.
func (c *Config) AddEvidence(a *alert.Alert, loc decoders.Location, name, value, matched string) bool {
	return c.AddRuleEvidence(a, loc, name, value, matched, "")
}

// AddRuleEvidence is AddEvidence that also names the rule (or pattern) id
// of what matched in the evidence's rule field.
func (c *Config) AddRuleEvidence(a *alert.Alert, loc decoders.Location, name, value, matched, rule string) bool {
	cfg := c.WithDefaults()
	c = &cfg
	if len(a.Evidence) >= c.MaxEvidence {
		return false
	}
	a.Evidence = append(a.Evidence, &alert.Evidence{
		Location: string(loc),
		Name:     alert.Snippet(name, maxHeaderValue),
		Value:    alert.Snippet(alert.RedactValue(name, value), c.SnippetBytes),
		Matched:  alert.Snippet(matched, maxHeaderValue),
		Rule:     alert.Snippet(rule, maxHeaderValue),
	})
	return true
}

// MaxResponseEvidence bounds the response_evidence entries of one alert.
const MaxResponseEvidence = 8

// AddResponseEvidence appends e to a's response evidence, with every field
// made valid UTF-8 and bounded, the value redacted. It reports false, adding
// nothing, when a already holds MaxResponseEvidence entries.
func AddResponseEvidence(a *alert.Alert, e *alert.Evidence) bool {
	if len(a.ResponseEvidence) >= MaxResponseEvidence {
		return false
	}
	a.ResponseEvidence = append(a.ResponseEvidence, &alert.Evidence{
		Location: alert.Snippet(e.Location, maxHeaderValue),
		Name:     alert.Snippet(e.Name, maxHeaderValue),
		Value:    alert.Snippet(alert.RedactValue(e.Name, e.Value), maxHeaderValue),
		Matched:  alert.Snippet(e.Matched, maxHeaderValue),
		Rule:     alert.Snippet(e.Rule, maxHeaderValue),
		Message:  alert.Snippet(e.Message, maxHeaderValue),
	})
	return true
}

// SetOutcome records what the response shows about the attack a reports:
// the outcome, and for a likely success the severity one step higher (at
// most critical) and the confidence high. An outcome never goes down: a
// likely success stays one when a later check finds less.
func SetOutcome(a *alert.Alert, o alert.Outcome) {
	if a.Outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL || o == alert.Outcome_OUTCOME_UNSPECIFIED {
		return
	}
	if o == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		a.Severity = RaiseSeverity(a.Severity)
		RaiseConfidence(a, alert.Confidence_CONFIDENCE_HIGH)
	}
	a.Outcome = o
}

// RaiseSeverity returns s one step higher, at most critical.
func RaiseSeverity(s alert.Severity) alert.Severity {
	if s >= alert.Severity_SEVERITY_INFO && s < alert.Severity_SEVERITY_CRITICAL {
		return s + 1
	}
	return s
}

// RaiseConfidence sets a's confidence to c when that is higher.
func RaiseConfidence(a *alert.Alert, c alert.Confidence) {
	if c > a.Confidence {
		a.Confidence = c
	}
}

// AddOWASP appends the OWASP identifier id to a unless it is there.
func AddOWASP(a *alert.Alert, id string) {
	if !slices.Contains(a.Owasp, id) {
		a.Owasp = append(a.Owasp, id)
	}
}

func ipString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// appProto maps an exchange's protocol ("http/1.1") to the EVE-style
// app_proto value ("http").
func appProto(p string) string {
	switch {
	case strings.HasPrefix(p, "http/1"):
		return "http"
	case p == "http/2", p == "h2", p == "h2c":
		return "http2"
	}
	return alert.Snippet(p, maxHeaderValue)
}
