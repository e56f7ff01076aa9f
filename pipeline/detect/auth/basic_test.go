package auth

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
)

func basic(userpass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))
}

func TestBasicCleartext(t *testing.T) {
	stripeKey := "sk_live_" + strings.Repeat("4eC39HqLyjWDarjtT1zdp7dc", 1)
	tests := []struct {
		name     string
		r        req
		want     []string
		severity alert.Severity
		summary  string
		evidence string
	}{
		{"http1", req{uri: "/api", headers: []string{basic("alice:wonderland")}}, []string{"basic-auth-cleartext"}, alert.Severity_SEVERITY_MEDIUM,
			"Basic credentials for alice sent in cleartext over cleartext HTTP/1.1",
			"header|authorization|user alice, password " + alert.Redacted + " (10 bytes)|Basic over cleartext HTTP/1.1"},
		{"h2c", req{uri: "/api", proto: "http/2", headers: []string{basic("alice:wonderland")}}, []string{"basic-auth-cleartext"}, alert.Severity_SEVERITY_MEDIUM,
			"Basic credentials for alice sent in cleartext over h2c (cleartext HTTP/2)", ""},
		{"loopback", req{uri: "/api", loopback: true, headers: []string{basic("alice:wonderland")}}, []string{"basic-auth-cleartext"}, alert.Severity_SEVERITY_LOW, "", ""},
		{"proxy", req{uri: "http://example.com/", headers: []string{"Proxy-Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("p:q"))}}, []string{"basic-auth-cleartext"}, 0, "",
			"header|proxy-authorization|user p, password " + alert.Redacted + " (1 bytes)|Basic over cleartext HTTP/1.1"},
		{"lower-case scheme, no padding", req{uri: "/api", headers: []string{"authorization: basic " + base64.RawStdEncoding.EncodeToString([]byte("bob:x1"))}}, []string{"basic-auth-cleartext"}, 0, "", ""},
		{"api key as user", req{uri: "/v1/charges", headers: []string{basic(stripeKey + ":")}}, []string{"basic-auth-cleartext"}, 0,
			"Basic credentials for sk_l… sent in cleartext over cleartext HTTP/1.1", ""},
		{"undecodable", req{uri: "/api", headers: []string{"Authorization: Basic !!!notbase64"}}, []string{"basic-auth-cleartext"}, 0,
			"Basic credentials for undecodable sent in cleartext over cleartext HTTP/1.1", ""},
		{"empty", req{uri: "/api", headers: []string{basic(":")}}, nil, 0, "", ""},
		{"bearer", req{uri: "/api", headers: []string{"Authorization: Bearer abc.def.ghi"}}, nil, 0, "", ""},
		{"no auth", req{uri: "/api"}, nil, 0, "", ""},
	}
	ds := detectors(t, "basic-cleartext")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := inspect(ds, exchange(tt.r))
			if got := rules(as); !slices.Equal(got, tt.want) {
				t.Fatalf("rules %q, want %q:%s", got, tt.want, describe(as))
			}
			noLeak(t, as, "wonderland")
			noLeak(t, as, stripeKey)
			if len(as) == 0 {
				return
			}
			a := as[0]
			if tt.severity != 0 && a.Severity != tt.severity {
				t.Errorf("severity %v, want %v", a.Severity, tt.severity)
			}
			if tt.summary != "" && a.Summary != tt.summary {
				t.Errorf("summary %q, want %q", a.Summary, tt.summary)
			}
			e := a.Evidence[0]
			if got := strings.Join([]string{e.Location, e.Name, e.Value, e.Matched}, "|"); tt.evidence != "" && got != tt.evidence {
				t.Errorf("evidence %q, want %q", got, tt.evidence)
			}
		})
	}
}
