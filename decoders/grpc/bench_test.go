package grpc

import (
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
)

// benchCall is a unary GetUser whose request is a ~300 byte message and
// whose response is a User.
func benchCall() *decoders.Exchange {
	req := slicesConcat(pbInt(1, 12345), pbStr(2, "name,email,address.street,address.city,tags,role"),
		pbMsg(3, pbStr(1, strings.Repeat("filter text ", 12)), pbStr(2, "en-GB")),
		pbStr(4, strings.Repeat("trace-0123456789abcdef-", 4)))
	return call(ctGRPC, getPath, frames(req), respHdrs(ctGRPC), okTrailers, frames(user(12345, "alice", "1 Oak Road")))
}

func benchEnrich(b *testing.B, e *Enricher) {
	x := benchCall()
	env := newEnv(nil)
	b.SetBytes(int64(len(x.Request.Body) + len(x.Response.Body)))
	b.ReportAllocs()
	for b.Loop() {
		x.GRPC, x.Params, x.Anomalies = nil, nil, nil
		e.Enrich(x, env)
		if len(x.Params) == 0 {
			b.Fatal("no params")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

func BenchmarkEnrichUnary(b *testing.B) { benchEnrich(b, &Enricher{}) }

func BenchmarkEnrichUnarySchema(b *testing.B) { benchEnrich(b, &Enricher{Schemas: demoSchemas(b)}) }

// BenchmarkEnrichNotGRPC is the cost paid by every other exchange.
func BenchmarkEnrichNotGRPC(b *testing.B) {
	x := call("application/json", "/api/users", []byte(`{"a":1}`), respHdrs("application/json"), nil, nil)
	env := newEnv(nil)
	e := &Enricher{}
	b.ReportAllocs()
	for b.Loop() {
		e.Enrich(x, env)
	}
}
