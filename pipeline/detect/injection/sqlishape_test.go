package injection

import (
	"strings"
	"testing"

	libinjection "github.com/corazawaf/libinjection-go"
)

// checkShape fails t unless libinjection's SQL classifier gives v and its
// shape (sqliShape) the same verdict and fingerprint.
func checkShape(t *testing.T, v string) {
	t.Helper()
	s := string(sqliShape(v, nil))
	if s == "" {
		if len(v) <= 1024 && v != "" && !strings.Contains(strings.ToLower(v), "q'") {
			t.Fatalf("sqliShape(%q) is empty", v)
		}
		return
	}
	ok, fp := libinjection.IsSQLi(v)
	sok, sfp := libinjection.IsSQLi(s)
	if ok != sok || fp != sfp {
		t.Fatalf("%q: libinjection %v %q; its shape %q: %v %q", v, ok, fp, s, sok, sfp)
	}
}

// TestSQLiShape holds shapes whose words must stay.
func TestSQLiShape(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"levi's kids' sunglasses", "zz's zz' zz"},
		{"o'neill 2-person desk chair", "o'neill 1-zz zz zz"},
		{"women's backpack or", "zz's zz or"},
		{"1 union select user() -- x", "1 union select user() -- x"},
		{"user(1) password( database(", "user(1) password( database("},
		{"x'41' n'a' e'a' b'01' u&'abc'", "x'41' n'a' e'a' b'01' u&'zz'"},
		// Oracle q'…' strings end at their delimiter before a quote, which
		// may be a letter or a digit: no shape.
		{"q'dfoo bad' or 1=1 --", ""}, {"q'dfoo cat' or 1=1 --", ""}, {"Q'2abc 52' or 1=1 --", ""},
		{"nq'[x]' or 1=1 --", ""},
		{"@abc $abc a.bc a_bc \\abc `abc`", "@abc $abc a.bc a_bc \\abc `abc`"},
		{"1e5 0x41 3rd 12 007", "1e5 0x41 3rd 11 111"},
		{"unıon ſelect Groß Émile", "unıon ſelect zz zz"},
		{"gate code is 15#.", "zz zz is 11#."},
		{"a\xa0bc", "a\xa0bc"},
	} {
		if got := string(sqliShape(tt.in, nil)); got != tt.want {
			t.Errorf("sqliShape(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkShape(t, tt.in)
	}
}

// TestSQLiShapeCorpus checks every value of the evaluation corpus (the CRS
// tests' payloads, libinjection's own SQL test inputs, the benign set) and
// each of its lines.
func TestSQLiShapeCorpus(t *testing.T) {
	n := 0
	for _, e := range evalCorpus(t) {
		for _, v := range append([]string{e.Payload}, strings.Split(e.Payload, "\n")...) {
			checkShape(t, v)
			n++
		}
	}
	t.Logf("%d values", n)
}

// FuzzSQLiShape checks that a value and its shape get the same verdict and
// fingerprint, on bytes and on values built of SQL words, API words,
// numbers, quotes and operators.
func FuzzSQLiShape(f *testing.F) {
	for _, s := range []string{"levi's kids' sunglasses", "1' or '1'='1", "a union select b", "x'41'", "  12 --", "user(1)",
		"Call José on arrival: the gate code is 15#.", "1 and sleep(5)", "abc/*!50000select*/", "o'neill\xa0or 1=1",
		"q'dfoo bad' or 1=1 --", "nq'[x]' or 1=1 --"} {
		f.Add([]byte(s))
	}
	words := []string{"levi", "kids", "o", "neill", "abc", "zz", "x", "n", "q", "e", "b", "u", "user", "password", "database",
		"localtime", "or", "and", "union", "select", "from", "where", "sleep", "if", "not", "like", "in", "is", "null",
		"group", "by", "order", "12", "0", "007", "1e5", "0x41", "3rd", "Groß", "Émile", "unıon", "ſelect", "sp_password",
		"char", "concat", "table", "drop", "exec", "xp_cmdshell", "waitfor", "delay", "collate", "utf8_bin", "current_user"}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkShape(t, string(in))
		checkShape(t, fuzzValue(in, words, " '\",;()=-+*/#@.$`\\_!<>|&%:\xa0\t\n", true))
	})
}
