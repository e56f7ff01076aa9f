package literals

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// naive is Find done the slow way.
func naive(groups [][]string, text string) uint64 {
	var m uint64
	for i, g := range groups {
		for _, lit := range g {
			if strings.Contains(text, lit) {
				m |= 1 << i
			}
		}
	}
	return m
}

var testGroups = [][]string{
	{"union"}, {"select", "sel"}, {"he", "she", "his", "hers"}, {"--", "#"}, {"a"},
	{"aaa", "ab"}, {"\x00", "\xff\xfe"}, {"information_schema", "pg_", "sys."},
}

func TestFind(t *testing.T) {
	s, err := New(testGroups)
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"", "x", "ushers", "union select", "sel", "1 -- x", "hi #", "bab", "aa", "\xff\xfe",
		"information_schem", "pg", "pg_sleep", "sys.objects", "hershe", "aaab",
	} {
		if got, want := Find(s, text), naive(testGroups, text); got != want {
			t.Errorf("Find(%q) = %b, want %b", text, got, want)
		}
		if got, want := Find(s, []byte(text)), naive(testGroups, text); got != want {
			t.Errorf("Find(%q as bytes) = %b, want %b", text, got, want)
		}
	}
}

// TestFold: a set built by MustNewFold matches a text in any case as
// Find matches the text with its ASCII letters in lower case.
func TestFold(t *testing.T) {
	s := MustNewFold(testGroups...)
	for _, text := range []string{
		"UNION SELECT", "uNiOn", "SeL", "USHERS", "Information_Schema", "PG_sleep", "SYS.OBJECTS", "AAAB", "\xff\xfe", "Z", "@[`{",
	} {
		lower := []byte(text)
		for i, c := range lower {
			if 'A' <= c && c <= 'Z' {
				lower[i] = c + 'a' - 'A'
			}
		}
		if got, want := Find(s, text), naive(testGroups, string(lower)); got != want {
			t.Errorf("Find(%q) = %b, want %b", text, got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("MustNewFold took a literal in upper case")
		}
	}()
	MustNewFold([]string{"Union"})
}

// TestFindRandom checks random texts over a small alphabet, where
// overlapping and nested literals are common.
func TestFindRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abc"
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 200 {
		var groups [][]string
		for range 1 + r.IntN(8) {
			var g []string
			for range 1 + r.IntN(4) {
				g = append(g, word(1+r.IntN(4)))
			}
			groups = append(groups, g)
		}
		s, err := New(groups)
		if err != nil {
			t.Fatal(err)
		}
		for range 50 {
			text := word(r.IntN(20))
			if got, want := Find(s, text), naive(groups, text); got != want {
				t.Fatalf("groups %q, Find(%q) = %b, want %b", groups, text, got, want)
			}
		}
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New([][]string{{"a", ""}}); err == nil {
		t.Error("an empty literal compiled")
	}
	if _, err := New(make([][]string, MaxGroups+1)); err == nil {
		t.Error("too many groups compiled")
	}
}

func FuzzFind(f *testing.F) {
	for _, seed := range []string{"union select", "ushers", "pg_sleep(5)", "\xff\xfe", ""} {
		f.Add(seed)
	}
	s := MustNew(testGroups...)
	f.Fuzz(func(t *testing.T, text string) {
		if got, want := Find(s, text), naive(testGroups, text); got != want {
			t.Fatalf("Find(%q) = %b, want %b", text, got, want)
		}
	})
}

func BenchmarkFind(b *testing.B) {
	s := MustNew(testGroups...)
	text := "Please leave the parcel with Anne-Sophie Martin at number 82 if nobody answers."
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		Find(s, text)
	}
}

func TestWords(t *testing.T) {
	list := []string{"SELECT", "UNION", "OR", "X", "_SYS", "TEMPDB", "A_REALLY_LONG_IDENTIFIER_OF_40_CHARACTERS"}
	w := NewWords(list)
	for _, s := range list {
		if !Has(w, s) || !Has(w, []byte(s)) {
			t.Errorf("%q not found", s)
		}
	}
	for _, s := range []string{"", "select", "SELEC", "ELECT", "UNIONS", "O", "Y", "_SYT", "TEMPDC", "A_REALLY_LONG_IDENTIFIER_OF_40_CHARACTERZ"} {
		if Has(w, s) {
			t.Errorf("%q found", s)
		}
	}
}

func TestHasUpper(t *testing.T) {
	w := NewWords([]string{"SELECT", "UNION", "OR", "_SYS", "GROUP BY"})
	for _, s := range []string{"select", "SeLeCt", "SELECT", "union", "or", "_sys", "group by"} {
		if !HasUpper(w, s) {
			t.Errorf("%q not found", s)
		}
	}
	for _, s := range []string{"", "selec", "unions", "o", "_syt", "s\u00e9lect", strings.Repeat("a", 33)} {
		if HasUpper(w, s) {
			t.Errorf("%q found", s)
		}
	}
}

func TestNewWordsOf(t *testing.T) {
	w := NewWordsOf(map[string]bool{"tempdb": true}, map[string]bool{"SELECT": true})
	v := NewWordsOf(map[string]struct{}{"UNION": {}})
	if !Has(w, "tempdb") || !Has(w, "SELECT") || Has(w, "select") || !Has(v, "UNION") || Has(v, "SELECT") {
		t.Error("NewWordsOf does not hold exactly the maps' keys")
	}
}
