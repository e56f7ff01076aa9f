package auth

import (
	"slices"
	"strconv"
	"testing"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

func TestRegistered(t *testing.T) {
	for _, n := range Names() {
		if !slices.Contains(detect.Names(), n) {
			t.Errorf("detector %q not registered", n)
		}
	}
}

// mixed is an exchange every detector of the package raises on.
func mixed(t testing.TB) req {
	tok := sign(t, gojwt.SigningMethodHS256, []byte("secret"), with(valid(), "exp", nil), nil)
	return req{
		uri:         "/api/items?api_key=9f86d081884c7d659a2feaa0c55ad015",
		headers:     []string{"Authorization: Bearer " + tok},
		status:      200,
		respHeaders: []string{"Content-Type: application/json"},
		respBody:    `{"id":1,"password":"hunter2"}`,
	}
}

// TestMerge checks that the merged detector raises what the separate
// ones do, in the same order.
func TestMerge(t *testing.T) {
	r := mixed(t)
	r.headers = append(r.headers, basic("bob:pw"))
	merged := detectors(t, Names()...)
	if len(merged) != 1 || merged[0].Name() != "jwt+credentials-in-url+basic-cleartext+secrets-in-response" {
		t.Fatalf("merged into %d detectors", len(merged))
	}
	var want []*alert.Alert
	for _, n := range Names() {
		want = append(want, inspect(detectors(t, n), exchange(r))...)
	}
	got := inspect(merged, exchange(r))
	if !slices.Equal(rules(got), rules(want)) {
		t.Fatalf("merged %q, separate %q", rules(got), rules(want))
	}
	wantRules := []string{"jwt-weak-secret", "jwt-no-exp", "credentials-in-query", "basic-auth-cleartext", "password-in-response"}
	if !slices.Equal(rules(got), wantRules) {
		t.Errorf("rules %q, want %q:%s", rules(got), wantRules, describe(got))
	}
	for i := range got {
		if got[i].Id != want[i].Id || got[i].Detector != want[i].Detector {
			t.Errorf("alert %d: %s/%s, separate %s/%s", i, got[i].Detector, got[i].Id, want[i].Detector, want[i].Id)
		}
	}
	// A detector of another package is not absorbed.
	if merged[0].(*Detector).Merge(fakeDetector{}) {
		t.Error("merged a foreign detector")
	}
}

type fakeDetector struct{ detect.Detector }

func TestNoRequest(t *testing.T) {
	x := exchange(mixed(t))
	x.Request = nil
	if as := inspect(detectors(t, Names()...), x); len(as) != 0 {
		t.Errorf("exchange without request raised:%s", describe(as))
	}
}

// TestDeterministic checks that alerts do not depend on what the cache
// holds: the same exchange gives the same alerts to a fresh detector and to
// one that has seen other tokens. (A token's own weaknesses are reported
// once per token: TestJWTOncePerToken.)
func TestDeterministic(t *testing.T) {
	a := inspect(detectors(t, Names()...), exchange(mixed(t)))
	ds := detectors(t, Names()...)
	for i := range 8 {
		other := sign(t, gojwt.SigningMethodHS256, []byte("secret"), with(valid(), "sub", strconv.Itoa(i)), nil)
		inspect(ds, exchange(req{uri: "/api/me", headers: []string{"Authorization: Bearer " + other}, status: 200}))
	}
	b := inspect(ds, exchange(mixed(t)))
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d then %d alerts", len(a), len(b))
	}
	for i := range a {
		ja, _ := alert.MarshalJSON(a[i])
		jb, _ := alert.MarshalJSON(b[i])
		if string(ja) != string(jb) {
			t.Errorf("alert %d differs:\n%s\n%s", i, ja, jb)
		}
	}
}

func FuzzAuth(f *testing.F) {
	r := mixed(f)
	f.Add(r.uri, r.headers[0], r.respBody)
	f.Add("/x?password=abcd&t=eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "Authorization: Basic Ym9iOnB3", `{"k":"AKIAIOSFODNN7EXAMPLE"}`)
	f.Add("http://u:p@h/", "Cookie: s=eyJhbGciOiJIUzI1NiIsImtpZCI6Ii4uLy4uIn0.eyJleHAiOiJ4In0.AAAA", "-----BEGIN EC PRIVATE KEY-----")
	ds := detectors(f, Names()...)
	f.Fuzz(func(t *testing.T, uri, header, body string) {
		x := exchange(req{uri: uri, headers: []string{header}, status: 200, respBody: body})
		for _, a := range inspect(ds, x) {
			if _, err := alert.MarshalJSON(a); err != nil {
				t.Fatalf("alert does not encode: %v", err)
			}
			if len(a.Evidence) == 0 {
				t.Fatalf("alert %s without evidence", a.RuleId)
			}
		}
	})
}

// TestConcurrent runs one detector set from several goroutines, as the
// pipeline's workers do, over tokens that share the cache (run with -race).
func TestConcurrent(t *testing.T) {
	ds := detectors(t, Names()...)
	var reqs []req
	for i := range 4 {
		tok := sign(t, gojwt.SigningMethodHS256, []byte("secret"), with(valid(), "sub", string(rune('a'+i))), nil)
		reqs = append(reqs, req{uri: "/api/me", headers: []string{"Authorization: Bearer " + tok}, status: 200})
	}
	done := make(chan []string)
	for g := range 4 {
		go func() {
			var got []string
			for i := range 40 {
				got = append(got, rules(inspect(ds, exchange(reqs[(g+i)%len(reqs)])))...)
			}
			done <- got
		}()
	}
	// A weak secret is a fact about the token: reported once per distinct
	// token, whichever goroutine sees it first.
	var all []string
	for range 4 {
		all = append(all, <-done...)
	}
	if len(all) != len(reqs) || slices.ContainsFunc(all, func(r string) bool { return r != "jwt-weak-secret" }) {
		t.Errorf("rules %q, want jwt-weak-secret once for each of the %d tokens", all, len(reqs))
	}
	if st := ds[0].(*Detector).Stats(); st.Tokens != 160 || st.Analysed < 4 {
		t.Errorf("stats %+v", st)
	}
}
