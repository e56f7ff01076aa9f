package pipeline

import (
	"encoding/base64"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/sensor"
)

// TimeFormat is RFC 3339 with microseconds, as Suricata's EVE writes it.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// exchangeRecord is the --exchanges JSON line: one rebuilt request/response
// with its flow, parameters, anomalies and the alerts it raised. Field names
// follow the alert schema's (snake_case, EVE-like).
type exchangeRecord struct {
	Timestamp string          `json:"timestamp"`
	FlowID    uint64          `json:"flow_id"`
	Seq       int             `json:"exchange_seq"`
	Flow      flowRecord      `json:"flow"`
	Proto     string          `json:"app_proto"`
	StreamID  uint32          `json:"stream_id,omitempty"`
	GRPC      *grpcRecord     `json:"grpc,omitempty"`
	Request   *messageRecord  `json:"request,omitempty"`
	Response  *messageRecord  `json:"response,omitempty"`
	Params    []paramRecord   `json:"params,omitempty"`
	Anomalies []anomalyRecord `json:"anomalies,omitempty"`
	Alerts    []alertRef      `json:"alerts,omitempty"`
	Source    *sourceRecord   `json:"source,omitempty"`
}

type flowRecord struct {
	SrcIP       string   `json:"src_ip"`
	SrcPort     uint16   `json:"src_port"`
	DestIP      string   `json:"dest_ip"`
	DestPort    uint16   `json:"dest_port"`
	Proto       string   `json:"proto"`
	CommunityID string   `json:"community_id"`
	VLAN        []uint16 `json:"vlan,omitempty"`
	// Tunnels are the encapsulations around the flow, outermost first.
	Tunnels []tunnelRecord `json:"tunnels,omitempty"`
	// Zone is sensor.ConnMeta.Zone.
	Zone      string `json:"zone,omitempty"`
	MidStream bool   `json:"mid_stream,omitempty"`
}

type tunnelRecord struct {
	Kind string `json:"kind"`
	ID   uint32 `json:"id"`
}

func tunnelsOf(ts []sensor.Tunnel) []tunnelRecord {
	if len(ts) == 0 {
		return nil
	}
	out := make([]tunnelRecord, len(ts))
	for i, t := range ts {
		out[i] = tunnelRecord{Kind: t.Kind.String(), ID: t.ID}
	}
	return out
}

type messageRecord struct {
	Start         string      `json:"start"`
	End           string      `json:"end"`
	Method        string      `json:"method,omitempty"`
	URI           string      `json:"uri,omitempty"`
	Authority     string      `json:"authority,omitempty"`
	Status        int         `json:"status,omitempty"`
	Reason        string      `json:"reason,omitempty"`
	Version       string      `json:"version,omitempty"`
	Headers       [][2]string `json:"headers,omitempty"`
	Trailers      [][2]string `json:"trailers,omitempty"`
	Body          *string     `json:"body,omitempty"`
	BodyBase64    string      `json:"body_base64,omitempty"`
	BodyLength    int64       `json:"body_length"`
	BodyTruncated bool        `json:"body_truncated,omitempty"`
	Encoding      []string    `json:"content_encoding,omitempty"`
	Incomplete    bool        `json:"incomplete,omitempty"`
	Frames        []uint64    `json:"frames,omitempty"`
}

// grpcRecord shows a gRPC call: its messages decoded as JSON (field numbers
// as keys without a schema, field names with one).
type grpcRecord struct {
	Service        string          `json:"service"`
	Method         string          `json:"method"`
	ContentType    string          `json:"content_type,omitempty"`
	Encoding       string          `json:"encoding,omitempty"`
	Web            bool            `json:"web,omitempty"`
	Status         *int            `json:"status,omitempty"`
	StatusMessage  string          `json:"status_message,omitempty"`
	Requests       []grpcMsgRecord `json:"requests,omitempty"`
	Responses      []grpcMsgRecord `json:"responses,omitempty"`
	RequestsTotal  int             `json:"requests_total"`
	ResponsesTotal int             `json:"responses_total"`
}

type grpcMsgRecord struct {
	Index      int             `json:"index"`
	Length     int             `json:"length"`
	Compressed bool            `json:"compressed,omitempty"`
	Truncated  bool            `json:"truncated,omitempty"`
	Message    json.RawMessage `json:"message,omitempty"`
}

func grpcOf(g *decoders.GRPCCall) *grpcRecord {
	if g == nil {
		return nil
	}
	r := &grpcRecord{
		Service: g.Service, Method: g.Method, ContentType: g.ContentType, Encoding: g.Encoding, Web: g.Web,
		StatusMessage: g.StatusMessage, RequestsTotal: g.RequestsTotal, ResponsesTotal: g.ResponsesTotal,
	}
	if g.Status >= 0 {
		st := g.Status
		r.Status = &st
	}
	msgs := func(ms []decoders.GRPCMessage) []grpcMsgRecord {
		var out []grpcMsgRecord
		for _, m := range ms {
			rec := grpcMsgRecord{Index: m.Index, Length: m.Length, Compressed: m.Compressed, Truncated: m.Truncated}
			if m.JSON != "" && json.Valid([]byte(m.JSON)) {
				rec.Message = json.RawMessage(m.JSON)
			}
			out = append(out, rec)
		}
		return out
	}
	r.Requests, r.Responses = msgs(g.Requests), msgs(g.Responses)
	return r
}

type paramRecord struct {
	Loc     string `json:"location"`
	Name    string `json:"name"`
	Value   string `json:"value"`
	Decoded string `json:"decoded,omitempty"`
	Decodes int    `json:"decodes,omitempty"`
}

type anomalyRecord struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail,omitempty"`
	Dir    string `json:"direction"`
}

type alertRef struct {
	ID       string `json:"id"`
	Detector string `json:"detector"`
	RuleID   string `json:"rule_id"`
	Category string `json:"category,omitempty"`
}

type sourceRecord struct {
	File string `json:"file"`
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(TimeFormat)
}

func messageOf(m *decoders.Message) *messageRecord {
	if m == nil {
		return nil
	}
	r := &messageRecord{
		Start: formatTime(m.Start), End: formatTime(m.End),
		Method: m.Method, URI: m.URI, Authority: m.Authority, Status: m.Status, Reason: m.Reason, Version: m.Version,
		BodyLength: m.WireBodyLen, BodyTruncated: m.BodyTruncated, Encoding: m.ContentEncoding,
		Incomplete: m.Incomplete, Frames: m.Frames,
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, [2]string{h.Name, h.Value})
	}
	for _, h := range m.Trailers {
		r.Trailers = append(r.Trailers, [2]string{h.Name, h.Value})
	}
	if len(m.Body) > 0 {
		if utf8.Valid(m.Body) {
			s := string(m.Body)
			r.Body = &s
		} else {
			r.BodyBase64 = base64.StdEncoding.EncodeToString(m.Body)
		}
	}
	return r
}

// appendExchangeJSON appends the JSON rendering of x (without a newline).
func appendExchangeJSON(dst []byte, x *decoders.Exchange, alerts []*alert.Alert) []byte {
	k := x.Conn.Key
	rec := exchangeRecord{
		FlowID: x.Conn.ID,
		Seq:    x.Seq,
		Flow: flowRecord{
			SrcIP: k.SrcIP.String(), SrcPort: k.SrcPort, DestIP: k.DstIP.String(), DestPort: k.DstPort,
			Proto: k.ProtoName(), CommunityID: x.Conn.CommunityID, VLAN: x.Conn.VLAN,
			Tunnels: tunnelsOf(x.Conn.Tunnels), Zone: x.Conn.Zone, MidStream: x.Conn.MidStream,
		},
		Proto:    x.Proto,
		StreamID: x.StreamID,
		GRPC:     grpcOf(x.GRPC),
		Request:  messageOf(x.Request),
		Response: messageOf(x.Response),
	}
	if x.Request != nil {
		rec.Timestamp = formatTime(x.Request.Start)
	} else if x.Response != nil {
		rec.Timestamp = formatTime(x.Response.Start)
	}
	if x.Conn.Source != "" {
		rec.Source = &sourceRecord{File: x.Conn.Source}
	}
	for _, p := range x.Params {
		rec.Params = append(rec.Params, paramRecord{Loc: string(p.Loc), Name: p.Name, Value: p.Value, Decoded: p.Decoded, Decodes: p.Decodes})
	}
	for _, a := range x.Anomalies {
		rec.Anomalies = append(rec.Anomalies, anomalyRecord{Kind: a.Kind, Detail: a.Detail, Dir: a.Dir.String()})
	}
	for _, a := range alerts {
		rec.Alerts = append(rec.Alerts, alertRef{ID: a.GetId(), Detector: a.GetDetector(), RuleID: a.GetRuleId(), Category: a.GetCategory()})
	}
	b, err := json.Marshal(&rec)
	if err != nil {
		// Only unsupported types fail, and the record has none.
		return dst
	}
	return append(dst, b...)
}
