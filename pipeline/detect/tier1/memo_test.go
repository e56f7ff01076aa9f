package tier1

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/injection"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// TestMemoKeepsVerdicts runs the benign and attack corpora twice through
// detectors with their memo and once through detectors without it: every
// exchange must raise the same alerts (rule and evidence) each time, so a
// parameter remembered clean never hides a payload. The injection detector
// leads the families, as in the defaults, and shares their memo.
func TestMemoKeepsVerdicts(t *testing.T) {
	warm, _ := mergedAndApart(t)
	cold, _ := mergedAndApart(t)
	cold[0].(*injection.Detector).Walker().(*Detector).memos = &sync.Pool{New: func() any { return (*normalize.Memo)(nil) }}
	var xs []*decoders.Exchange
	for _, e := range benign {
		xs = append(xs, exchange(param(e.loc, e.name, e.value), param(e.loc, e.name, encodeURL(e.value))))
	}
	for _, e := range attacks {
		for _, ev := range encodings(e.loc, e.value, e.enc) {
			// The attack shares its parameter name with a benign value
			// remembered just before.
			xs = append(xs, exchange(param(e.loc, e.name, "hello"), param(e.loc, e.name, ev[1])))
		}
	}
	for pass := range 2 {
		for i, x := range xs {
			want, got := verdicts(inspectAll(cold, x)), verdicts(inspectAll(warm, x))
			if !slices.Equal(got, want) {
				t.Fatalf("pass %d, exchange %d: with memo %q, without %q", pass, i, got, want)
			}
		}
	}
}

// verdicts lists each alert's rule and evidence.
func verdicts(as []*alert.Alert) []string {
	var out []string
	for _, a := range as {
		for _, e := range a.Evidence {
			out = append(out, a.RuleId+" "+e.Rule+" "+e.Name+" "+e.Value+" "+e.Matched)
		}
	}
	return out
}

// TestMemoKeyApart checks that parameters differing in anything the
// families read get different memo keys, and that a parameter too long to
// remember gets none.
func TestMemoKeyApart(t *testing.T) {
	ps := []decoders.Param{
		{Loc: lQ, Name: "ab", Value: "c"},
		{Loc: lQ, Name: "a", Value: "bc"},
		{Loc: lQ, Name: "a", Value: "b", Decoded: "c"},
		{Loc: lQ, Name: "a", Value: "bc", Decodes: 1},
		{Loc: lJ, Name: "ab", Value: "c"},
		{Loc: lQ, Name: "", Value: "abc"},
		{Loc: lQ, Name: "abc", Value: ""},
		// Locations no decoder makes go into the key as they are.
		{Loc: "x", Name: "ab", Value: "c"},
		{Loc: "xa", Name: "b", Value: "c"},
		{Loc: "query2", Name: "ab", Value: "c"},
	}
	seen := map[string]int{}
	for i := range ps {
		k := string(memoKey(nil, &ps[i], locBit(ps[i].Loc)))
		if j, dup := seen[k]; dup {
			t.Errorf("params %d and %d share the memo key %q", j, i, k)
		}
		seen[k] = i
	}
	long := decoders.Param{Loc: lQ, Name: "q", Value: string(make([]byte, normalize.MemoMaxKey))}
	if k := memoKey(nil, &long, locBit(long.Loc)); len(k) != 0 {
		t.Errorf("a parameter longer than the memo takes has a key of %d bytes", len(k))
	}
}

// FuzzMemoKeyApart checks that two parameters get the same memo key only
// when they agree in location, decoding rounds, name, value and decoded
// value, and that a key reused as the buffer of the next one leaves
// nothing of itself in it.
func FuzzMemoKeyApart(f *testing.F) {
	f.Add("query", "q", "a", "", uint8(0), "query", "qa", "", "", uint8(0))
	f.Add("x", "ab", "c", "", uint8(1), "xa", "b", "c", "", uint8(1))
	f.Add("json", "", "ab", "c", uint8(2), "json", "", "a", "bc", uint8(2))
	f.Fuzz(func(t *testing.T, l1, n1, v1, d1 string, r1 uint8, l2, n2, v2, d2 string, r2 uint8) {
		p1 := decoders.Param{Loc: decoders.Location(l1), Name: n1, Value: v1, Decoded: d1, Decodes: int(r1)}
		p2 := decoders.Param{Loc: decoders.Location(l2), Name: n2, Value: v2, Decoded: d2, Decodes: int(r2)}
		k1 := string(memoKey(nil, &p1, locBit(p1.Loc)))
		buf := memoKey(nil, &p1, locBit(p1.Loc))
		k2 := string(memoKey(buf, &p2, locBit(p2.Loc)))
		if k1 == "" || k2 == "" {
			return // too long to remember
		}
		if k2 != string(memoKey(nil, &p2, locBit(p2.Loc))) {
			t.Fatalf("the key of %+v depends on the buffer it reuses", p2)
		}
		// The decoded value is the value when it is empty: what the
		// families read (Best) is then the same.
		same := p1.Loc == p2.Loc && p1.Name == p2.Name && p1.Value == p2.Value && p1.Decoded == p2.Decoded && p1.Decodes == p2.Decodes
		if (k1 == k2) != same {
			t.Fatalf("%+v and %+v: same key %v, same parameter %v", p1, p2, k1 == k2, same)
		}
	})
}

// mergedAndApart returns the injection detector and the families as the
// defaults build them (one merged detector) and the same detectors apart
// (the injection detector on its own, then the families).
func mergedAndApart(t testing.TB) (merged, apart []detect.Detector) {
	t.Helper()
	merged, err := detect.New(append([]string{"injection"}, Names()...), detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(merged) != 1 || merged[0].Name() != "injection+"+strings.Join(Names(), "+") {
		t.Fatalf("injection and the families make %d detectors, want them merged into one", len(merged))
	}
	alone, err := injection.New(detect.DefaultConfig().WithDefaults())
	if err != nil {
		t.Fatal(err)
	}
	return merged, append([]detect.Detector{alone}, allDetectors(t)...)
}

// TestInjectionMerged checks that the injection detector merged into the
// families' walk raises what it and the families raise apart, in the same
// order: the corpora as parameters, and payloads in the path and query of
// requests the decoder split into no parameter.
func TestInjectionMerged(t *testing.T) {
	merged, apart := mergedAndApart(t)
	var xs []*decoders.Exchange
	for _, e := range benign {
		xs = append(xs, exchange(param(e.loc, e.name, e.value), param(lH, "User-Agent", e.value)))
	}
	for _, e := range attacks {
		for _, ev := range encodings(e.loc, e.value, e.enc) {
			xs = append(xs, exchange(param(e.loc, e.name, "hello"), param(e.loc, e.name, ev[1]), param(lC, "sid", ev[1])))
		}
	}
	for _, uri := range []string{"/items/1'%20or%20'1'='1", "/p/%3Cscript%3Ealert(1)%3C/script%3E", "/a?1%27%20union%20select%201--"} {
		x := exchange()
		x.Request.URI = uri
		x.Request.Path, x.Request.Query, _ = strings.Cut(uri, "?")
		xs = append(xs, x)
	}
	hits := 0
	for i, x := range xs {
		want, got := verdicts(inspectAll(apart, x)), verdicts(inspectAll(merged, x))
		if !slices.Equal(got, want) {
			t.Fatalf("exchange %d: merged %q, apart %q", i, got, want)
		}
		for _, v := range got {
			if strings.HasPrefix(v, "sqli ") || strings.HasPrefix(v, "xss ") {
				hits++
			}
		}
	}
	if hits == 0 {
		t.Fatal("no SQL injection or XSS evidence: the comparison shows nothing of the injection detector")
	}
}
