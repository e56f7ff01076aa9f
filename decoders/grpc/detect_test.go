package grpc_test

import (
	"encoding/binary"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/decoders/grpc"
	"github.com/apisensor/sensor/decoders/protobuf"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/injection"
	"github.com/apisensor/sensor/sensor"
)

// TestInjectionInProtobufField runs an exchange through the enricher and
// ExtractParams, as decoders.NewConn does, then through the injection
// detector: payloads in protobuf string fields, top-level and nested, are
// alerted on with the field's name as evidence.
func TestInjectionInProtobufField(t *testing.T) {
	schemas, err := protobuf.LoadSchemas("../../testdata/grpcdemo/demo.pb")
	if err != nil {
		t.Fatal(err)
	}
	det, err := injection.New(detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	// demo.v1.ChatMessage{seq: 1, from: "mallory", text: <sqli>, location: {street: <xss>}}
	var msg []byte
	msg = protowire.AppendTag(msg, 1, protowire.VarintType)
	msg = protowire.AppendVarint(msg, 1)
	msg = protowire.AppendTag(msg, 2, protowire.BytesType)
	msg = protowire.AppendString(msg, "mallory")
	msg = protowire.AppendTag(msg, 3, protowire.BytesType)
	msg = protowire.AppendString(msg, "' OR '1'='1' --")
	var loc []byte
	loc = protowire.AppendTag(loc, 1, protowire.BytesType)
	loc = protowire.AppendString(loc, "<script>alert(1)</script>")
	msg = protowire.AppendTag(msg, 4, protowire.BytesType)
	msg = protowire.AppendBytes(msg, loc)
	body := binary.BigEndian.AppendUint32([]byte{0}, uint32(len(msg)))
	body = append(body, msg...)

	cases := []struct {
		name              string
		schemas           *protobuf.Schemas
		sqliName, xssName string
	}{
		{"schema-less", nil, "3", "4.1"},
		{"schema", schemas, "text", "location.street"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := &decoders.Exchange{
				Proto: "http/2",
				Request: &decoders.Message{
					Method: "POST", Path: "/demo.v1.Users/Chat", URI: "/demo.v1.Users/Chat",
					Headers: []decoders.Header{{Name: "content-type", Value: "application/grpc"}, {Name: "te", Value: "trailers"}},
					Body:    body,
				},
			}
			l := decoders.DefaultLimits()
			env := &decoders.Env{Limits: &l, Counts: sensor.Counts{}}
			(&grpc.Enricher{Schemas: c.schemas}).Enrich(x, env)
			decoders.ExtractParams(x, &l)
			found := map[string]string{}
			for _, a := range det.Inspect(x, nil) {
				for _, ev := range a.GetEvidence() {
					found[a.GetRuleId()] = ev.GetLocation() + ":" + ev.GetName()
				}
			}
			if want := "protobuf:" + c.sqliName; found["sqli"] != want {
				t.Errorf("sqli evidence = %q, want %q", found["sqli"], want)
			}
			if want := "protobuf:" + c.xssName; found["xss"] != want {
				t.Errorf("xss evidence = %q, want %q", found["xss"], want)
			}
		})
	}
}
