package detect

import (
	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// NewEvent builds the compact record of exchange x for the events topic:
// id, time, flow, client, HTTP facts with the path template, duration,
// anomalies and a verdict for each of alerts, the alerts detectors raised on
// x. The caller (the pipeline) sets the sensor identity, as for alerts.
//
// The id is derived like an alert id (capture source, connection, exchange
// sequence number), so replaying a capture gives the same event ids. Nothing
// from x is kept: the event holds copies, bounded and valid UTF-8; the path
// template is redacted like an alert URL.
func (c *Config) NewEvent(x *decoders.Exchange, alerts []*alert.Alert) *alert.Event {
	source, connID, seq := exchangeKey(x)
	e := &alert.Event{
		Id:        alert.ID(source, connID, seq, "event"),
		Timestamp: exchangeTime(x),
		Flow:      flowFacts(x),
		Client:    clientFacts(x),
		Source:    sourceFacts(x),
		Anomalies: anomalyKinds(x),
	}
	if req := x.Request; req != nil {
		path := req.Path
		if path == "" {
			path = req.URI
		}
		h := &alert.EventHttp{
			Method:       alert.Snippet(req.Method, maxHeaderValue),
			Host:         requestHost(req),
			PathTemplate: alert.Snippet(alert.Redact(Template(path)), maxHeaderValue),
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
