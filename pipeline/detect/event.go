package detect

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/identity"
)

// NewEvent builds the compact record of exchange x for the events topic:
// id, time, flow, client identity, HTTP facts with the path template and
// the object ids it replaced, login facts for a login attempt, TLS facts for
// a TLS connection's ClientHello, duration, anomalies and a verdict for
// each of alerts, the alerts detectors raised on x. The caller (the pipeline) sets the sensor identity, as for alerts.
//
// The id is derived like an alert id (capture source, connection, exchange
// sequence number), so replaying a capture gives the same event ids. Nothing
// from x is kept: the event holds copies, bounded and valid UTF-8; the path
// template is redacted like an alert URL.
func (c *Config) NewEvent(x *decoders.Exchange, alerts []*alert.Alert) *alert.Event {
	id := c.Identity.Identifier()
	source, connID, seq := exchangeKey(x)
	e := &alert.Event{
		Id:        alert.ID(source, connID, seq, "event"),
		Timestamp: exchangeTime(x),
		Flow:      flowFacts(x),
		Client:    id.Identify(x),
		Source:    sourceFacts(x),
		Anomalies: anomalyKinds(x),
	}
	if req := x.Request; req != nil {
		path := req.Path
		if path == "" {
			path = req.URI
		}
		tmpl, ids := TemplateIDs(path, nil)
		e.ObjectIds = objectIDs(id, ids)
		h := &alert.EventHttp{
			Method:       alert.Snippet(req.Method, maxHeaderValue),
			Host:         requestHost(req),
			PathTemplate: alert.Snippet(redactTemplate(tmpl), maxHeaderValue),
			RequestBytes: req.WireBodyLen,
			Version:      alert.Snippet(req.Version, maxHeaderValue),
		}
		if resp := x.Response; resp != nil {
			if resp.Status > 0 {
				h.Status = uint32(resp.Status)
			}
			h.ResponseBytes = resp.WireBodyLen
			if !req.Start.IsZero() && resp.End.After(req.Start) {
				e.DurationUs = resp.End.Sub(req.Start).Microseconds()
			}
		}
		e.Http = h
		e.Grpc = grpcFacts(x)
		e.Login = id.Login(x)
	}
	if t := x.TLS; t != nil {
		e.Tls = tlsFacts(t)
	}
	if len(alerts) > 0 {
		e.Verdicts = make([]*alert.Verdict, len(alerts))
		for i, a := range alerts {
			e.Verdicts[i] = &alert.Verdict{
				Detector: a.GetDetector(),
				RuleId:   a.GetRuleId(),
				Severity: a.GetSeverity(),
				AlertId:  a.GetId(),
			}
		}
	}
	return e
}

// redactTemplate is alert.Redact(t) without its regular expressions for
// the templates that cannot hold a secret, which are nearly all: Redact
// changes only invalid UTF-8, a JWT ("eyJ"), credentials after an
// authentication scheme (which need white space), a secret-named key's
// value (which needs '=' or ':') and a card number (13 digits or more).
// Running Redact on every event's template was half of the event's cost.
func redactTemplate(t string) string {
	digits := 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c >= utf8.RuneSelf, c == '=', c == ':', c == ' ', c == '\t', c == '\n', c == '\v', c == '\f', c == '\r':
			return alert.Redact(t)
		case '0' <= c && c <= '9':
			digits++
		}
	}
	if digits >= minCardDigits || strings.Contains(t, "eyJ") {
		return alert.Redact(t)
	}
	return t
}

// minCardDigits is the fewest digits alert.Redact masks as a card number.
const minCardDigits = 13

// objectIDs renders the identifiers a path template replaced: decimal
// numbers as they are (a sequential walk shows), others hashed with the
// identity key (equal values stay equal, across sensors sharing the key).
func objectIDs(id *identity.Identifier, ids []string) []string {
	if len(ids) == 0 {
		return nil
	}
	out := make([]string, len(ids))
	for i, v := range ids {
		if len(v) <= maxObjectNumber && AllDigits(v) {
			out[i] = v
		} else {
			out[i] = id.Hash(identity.KindObject, v)
		}
	}
	return out
}

// maxObjectNumber bounds a number kept as it is: longer digit strings
// (card or account numbers) are hashed like other identifiers.
const maxObjectNumber = 12

// maxALPN bounds the ALPN protocols copied into an event.
const maxALPN = 8

func tlsFacts(t *decoders.TLSInfo) *alert.Tls {
	f := &alert.Tls{
		Sni:     alert.Snippet(t.SNI, maxHeaderValue),
		Ja4:     alert.Snippet(t.JA4, maxHeaderValue),
		Version: tlsVersion(t.Version),
	}
	for _, p := range t.ALPN[:min(len(t.ALPN), maxALPN)] {
		f.Alpn = append(f.Alpn, alert.Snippet(p, maxHeaderValue))
	}
	return f
}

// tlsVersion names a protocol version as Tls.version does ("1.3").
func tlsVersion(v uint16) string {
	switch v {
	case 0x0304:
		return "1.3"
	case 0x0303:
		return "1.2"
	case 0x0302:
		return "1.1"
	case 0x0301:
		return "1.0"
	case 0x0300:
		return "ssl3"
	case 0:
		return ""
	}
	return "0x" + strconv.FormatUint(uint64(v), 16)
}
