package injection

import (
	"slices"
	"sync"
	"testing"

	"github.com/corazawaf/libinjection-go"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

// TestMemoKeepsVerdicts inspects the same exchanges twice with the memo
// and once without: the alerts must not change, so a value remembered
// clean never hides a payload, in its own parameter or another.
func TestMemoKeepsVerdicts(t *testing.T) {
	newDet := func(memo bool) *Detector {
		d, err := New(detect.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		if !memo {
			d.memos = &sync.Pool{New: func() any { return &memos{} }} // nil memos remember nothing
		}
		return d
	}
	warm, cold := newDet(true), newDet(false)
	values := []string{
		"hello world", "application/json", "1' OR '1'='1", "<script>alert(1)</script>", "Bob O'Brien",
		"1 UNION SELECT password FROM users--", "\" onmouseover=\"alert(1)", "sqrt(16) = 4",
		"javascript:alert(document.domain)", "%3Cscript%3Ealert(1)%3C/script%3E", "11--", "garden hose",
		// Values of one SQL shape (sqliShape), found clean or not.
		"levi's kids' sunglasses", "mary's red' trainers", "1' OR 'x'='x", "7' OR 'ab'='ab",
		"abc' or 1=1 --", "dog' or 2=2 --",
		// Oracle q-strings, whose delimiter a replaced word could move.
		"q'dfoo cat' or 1=1 --", "q'dfoo bad' or 1=1 --", "zz'[x]' or 1=1 --", "nq'[x]' or 1=1 --",
	}
	var xs []*decoders.Exchange
	for _, v := range values {
		xs = append(xs,
			request("/search?q=shoes", param(decoders.LocJSON, "note", v)),
			request("/search/"+v, param(decoders.LocQuery, "q", v), param(decoders.LocHeader, "user-agent", v)))
	}
	for pass := range 2 {
		for i, x := range xs {
			want, got := evidence(cold.Inspect(x, nil)), evidence(warm.Inspect(x, nil))
			if !slices.Equal(got, want) {
				t.Fatalf("pass %d, exchange %d: with memo %q, without %q", pass, i, got, want)
			}
		}
	}
}

func evidence(as []*alert.Alert) []string {
	var out []string
	for _, a := range as {
		for _, e := range a.Evidence {
			out = append(out, a.RuleId+" "+e.Location+" "+e.Name+" "+e.Value+" "+e.Matched)
		}
	}
	return out
}

// TestPlainStaysAlnum records why plain admits only letters and digits:
// with '-', '/', '.' or '@' allowed, words and numbers already make
// libinjection SQL fingerprints (a trailing comment, an operator), so a
// wider byte-class prefilter would drop matches.
func TestPlainStaysAlnum(t *testing.T) {
	for _, v := range []string{"11--", "11-null", "11-@@version", "111/null", "1or.1union"} {
		if ok, _ := libinjection.IsSQLi(v); !ok {
			t.Errorf("IsSQLi(%q) = false; the note on plain is out of date", v)
		}
		if plain(v) {
			t.Errorf("plain(%q) = true", v)
		}
	}
}
