package injection

import (
	"strings"
	"testing"

	libinjection "github.com/corazawaf/libinjection-go"

	"github.com/apisensor/sensor/testdata/eval/evalkit"
)

// TestSQLiInertExhaustive runs libinjection on every string of up to five
// bytes over an alphabet of sqliInert's bytes (letters that start hex and
// exponent numbers, digits, a byte past ASCII, the no-break space and
// every separator) and checks that none sqliInert passes is SQL injection.
func TestSQLiInertExhaustive(t *testing.T) {
	// The letters the number tokenizer reads (x b hex, e exponent, d f
	// suffixes, u after them) and a plain one.
	const alphabet = "a1_ .,/-xe0dfbu\xc3\xa0\xc4\xb1"
	n := 5
	if testing.Short() {
		n = 4
	}
	buf := make([]byte, 0, n)
	var walk func(depth int)
	inert := 0
	walk = func(depth int) {
		if depth > 0 {
			s := string(buf)
			if sqliInert(s) {
				inert++
				if ok, fp := libinjection.IsSQLi(s); ok {
					t.Fatalf("sqliInert(%q) but libinjection matches (%s)", s, fp)
				}
			}
		}
		if depth == n {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			buf = append(buf, alphabet[i])
			walk(depth + 1)
			buf = buf[:len(buf)-1]
		}
	}
	walk(0)
	if inert == 0 {
		t.Fatal("no string was inert")
	}
}

func TestSQLiInert(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"14.63", true},
		{"SKU-056560", true},
		{"166 Rue Neuve", true},
		{"locale,name", true},
		{"/api/v1/users/113578", true},
		{"12_ab", true},
		{"tent or 2-person", false}, // OR is a keyword
		{"1 union select 1", false}, // keywords
		{"Select", false},           // in any case
		{"x--", false},              // a comment
		{"a/*b", false},             // a comment
		{"0x41", true},              // a hex number
		{"1e5", true},               // an exponent
		{"550e8400-e29b-41d4-a716-446655440000", true},
		{"0x1fg2", true},                      // 0x1f, then the word g2
		{"a1b2", true},                        // one word
		{"2select", false},                    // a number cut before a word
		{"4dec", false},                       // 4, then the keyword DEC
		{"1fUNION", false},                    // 1f, then UNION
		{"1e-5union", false},                  // 1e-5, then UNION
		{"0xdiv", false},                      // 0, then the operator DIV
		{"1.eSELECT", false},                  // 1.e is a number, then SELECT
		{"1 un\u0131on \u017felect 1", false}, // upper-cased to UNION SELECT
		{"v1.2 api", true},
		{"GROUP_CONCAT", false},   // a function
		{"DBMS_UTILITY.x", false}, // half of a dotted key
		{"it's", false},           // a quote
		{"caf\u00e9", true},       // past ASCII: a bareword
		{"137 Rue de la R\u00e9publique", true},
		{"\u0141ukasz or 1", false}, // OR is a keyword
		{"voil\u00e0 or", false},    // \u00e0 ends in 0xA0, white space
		{"\u00e0union", false},      // the word after the 0xA0 is UNION
		{"12\u00e9", false},         // a number cut before a word
		{"", true},
	} {
		if got := sqliInert(tc.v); got != tc.want {
			t.Errorf("sqliInert(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// FuzzSQLiInertNeverMatches builds values from words (SQL keywords among
// them) and separators and checks that libinjection matches none that
// sqliInert passes.
func FuzzSQLiInertNeverMatches(f *testing.F) {
	for _, s := range []string{"name rue 1", "a-b.c,d/e", "x_1 2-3", "\x00\x01\x02", "sku 12.5", "\x80\x01\x82\x03\x84"} {
		f.Add([]byte(s))
	}
	words := []string{"name", "rue", "neuve", "sku", "api", "v1", "users", "x", "id", "locale", "1", "0", "12", "3.5",
		"or", "and", "union", "select", "null", "not", "user", "version", "e", "ab", "_x", "tent", "person", "md5",
		"dbms_utility", "information_schema", "group", "by", "sleep", "if", "0x1f",
		"550e8400", "e29b", "41d4", "a716", "446655440000", "4dec", "dec", "1f", "1d", "1e", "2e", "0x", "0b1", "div", "mod", "xor",
		"r\u00e9publique", "\u0141ukasz", "\u00e0", "\xa0", "\xc3", "\u00e9union", "un\u0131on", "\u017felect",
		"\u0131", "\u017f", "\xc4", "\xc5"}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := fuzzValue(in, words, " _.,/-", true)
		if !sqliInert(s) {
			return
		}
		if ok, fp := libinjection.IsSQLi(s); ok {
			t.Fatalf("sqliInert(%q) but libinjection matches (%s)", s, fp)
		}
	})
}

// TestSQLiInertCorpus checks every value of the evaluation corpus, attacks
// and benign, and each of its lines: none that sqliInert passes is SQL
// injection to libinjection.
func TestSQLiInertCorpus(t *testing.T) {
	entries := evalCorpus(t)
	inert := 0
	for _, e := range entries {
		for _, v := range append([]string{e.Payload}, strings.Split(e.Payload, "\n")...) {
			if !sqliInert(v) {
				continue
			}
			inert++
			if ok, fp := libinjection.IsSQLi(v); ok {
				t.Errorf("%s: sqliInert(%q) but libinjection matches (%s)", e.Source, v, fp)
			}
		}
	}
	if inert < 50 {
		t.Errorf("only %d corpus values are inert: is the corpus the evaluation's?", inert)
	}
	t.Logf("%d inert corpus values", inert)
}

// TestXSSMarkupBytesCorpus checks every value of the evaluation corpus
// that libinjection's XSS classifier matches: each holds a byte
// xssMarkupBytes looks for.
func TestXSSMarkupBytesCorpus(t *testing.T) {
	matched := 0
	for _, e := range evalCorpus(t) {
		if !libinjection.IsXSS(e.Payload) {
			continue
		}
		matched++
		if !xssMarkupBytes(e.Payload) {
			t.Errorf("%s: IsXSS(%q) but no markup byte", e.Source, e.Payload)
		}
	}
	if matched < 50 {
		t.Errorf("only %d corpus values match: is the corpus the evaluation's?", matched)
	}
}

// evalCorpus reads the evaluation's corpus (testdata/eval/corpus.jsonl).
func evalCorpus(t *testing.T) []evalkit.Entry {
	t.Helper()
	entries, err := evalkit.ReadCorpusFile("../../../testdata/eval/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// The checks on a value of unknown shape, as the tests call them.
func plain(v string) bool     { return ShapeOf(v).plain() }
func xssInert(v string) bool  { return ShapeOf(v).xssInert() }
func sqliInert(v string) bool { return ShapeOf(v).sqliInert(v) }

// upperCases are values where upper-casing could change libinjection's
// reading, for the tests of upperForSQLi.
var upperCases = []string{
	`1 \n union select 1`, `1 \N union select 1`, `\\n or 1=1`, `$a$ or 1=1 $A$`, `$$x$$ or 1`,
	`q'aAa' or 1=1--`, `Q'[x]' union select 1`, `1;exec sp_password--`, `x'41' or 1`, `n'abc' union select 1`,
	`1e5 or 1=1`, `0x1f union select 1`, `0b01 or 1`, `u&'x' or 1`, `e'\x' or 1`, `1 into outfile 'x'`,
	`admin'--`, `1' or '1'='1`, `women's notebook from japan`, `select * from users where id = 1`,
}

// TestUpperForSQLiCorpus checks every value of the evaluation corpus, and
// each of its lines, and upperCases: libinjection's verdict and fingerprint
// are the same for the value and for what isSQLi passes it.
func TestUpperForSQLiCorpus(t *testing.T) {
	vs := upperCases
	for _, e := range evalCorpus(t) {
		vs = append(vs, e.Payload)
		vs = append(vs, strings.Split(e.Payload, "\n")...)
	}
	upper := 0
	for _, v := range vs {
		if _, ok := upperForSQLi(v); ok {
			upper++
		}
		wantOK, wantFP := libinjection.IsSQLi(v)
		if ok, fp := isSQLi(v); ok != wantOK || fp != wantFP {
			t.Errorf("isSQLi(%q) = %v %q, libinjection %v %q", v, ok, fp, wantOK, wantFP)
		}
	}
	if upper < 1000 {
		t.Errorf("only %d of %d values upper-cased: is the corpus the evaluation's?", upper, len(vs))
	}
}

// FuzzUpperForSQLi checks that upper-casing changes no verdict or
// fingerprint of libinjection's SQL classifier.
func FuzzUpperForSQLi(f *testing.F) {
	for _, s := range upperCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		wantOK, wantFP := libinjection.IsSQLi(v)
		if ok, fp := isSQLi(v); ok != wantOK || fp != wantFP {
			t.Fatalf("isSQLi(%q) = %v %q, libinjection %v %q", v, ok, fp, wantOK, wantFP)
		}
	})
}
