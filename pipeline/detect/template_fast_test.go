package detect

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// isDateRef is isDate without its separator pre-check.
func isDateRef(s string) bool {
	if len(s) < 10 {
		return false
	}
	if _, err := time.Parse(time.DateOnly, s[:10]); err != nil {
		return false
	}
	if len(s) == 10 {
		return true
	}
	switch s[10] {
	case 'T', 't', '_', '%', '+':
		return true
	}
	return false
}

// templateIDsRef is the straightforward TemplateIDs the faster one must
// equal.
func templateIDsRef(path string, ids []string) (string, []string) {
	if i := strings.IndexAny(path, "?#"); i >= 0 {
		path = path[:i]
	}
	var b strings.Builder
	first := true
	for seg := range strings.SplitSeq(path, "/") {
		if !first {
			b.WriteByte('/')
		}
		first = false
		t := templateSegment(seg)
		b.WriteString(t)
		if t != seg && len(ids) < MaxObjectIDs {
			ids = append(ids, seg)
		}
	}
	return b.String(), ids
}

var templateSeeds = []string{
	"", "/", "//", "a", "/a/", "42", "/42", "/users/42/orders/7", "/users/42/", "/api/v1/search?q=1/2",
	"/x#frag/42", "/d/2024-05-06", "/d/2024-05-06T10:00:00Z", "/d/2024-13-45", "/d/-123-05-06",
	"/e/a@b.co", "/e/a%40b.co", "/h/deadbeef1", "/o/01HV4Z2K9Q8R7S6T5U4V3W2X1Y",
	"/u/123e4567-e89b-12d3-a456-426614174000/x", strings.Repeat("/1", 40),
}

func TestTemplateIDsRef(t *testing.T) {
	for _, p := range templateSeeds {
		gt, gi := TemplateIDs(p, nil)
		wt, wi := templateIDsRef(p, nil)
		if gt != wt || !slices.Equal(gi, wi) {
			t.Errorf("TemplateIDs(%q) = %q %q, want %q %q", p, gt, gi, wt, wi)
		}
		if seg := p[strings.LastIndexByte(p, '/')+1:]; isDate(seg) != isDateRef(seg) {
			t.Errorf("isDate(%q) = %v", seg, isDate(seg))
		}
	}
}

func FuzzTemplateIDs(f *testing.F) {
	for _, p := range templateSeeds {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		gt, gi := TemplateIDs(p, nil)
		wt, wi := templateIDsRef(p, nil)
		if gt != wt || !slices.Equal(gi, wi) {
			t.Errorf("TemplateIDs(%q) = %q %q, want %q %q", p, gt, gi, wt, wi)
		}
		if isDate(p) != isDateRef(p) {
			t.Errorf("isDate(%q) = %v", p, isDate(p))
		}
	})
}
