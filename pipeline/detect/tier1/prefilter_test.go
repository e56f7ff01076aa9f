package tier1

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/detect/injection"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
	"github.com/apisensor/sensor/testdata/eval/evalkit"
)

// TestGadgetNeedlesHaveUpper backs codei's prefilter, which looks for a
// base64 gadget only in a token with an upper-case letter.
func TestGadgetNeedlesHaveUpper(t *testing.T) {
	for _, n := range append(append([]string(nil), gadgetNeedles...), javaMagicB64[:]...) {
		if strings.IndexFunc(n, func(r rune) bool { return 'A' <= r && r <= 'Z' }) < 0 {
			t.Errorf("needle %q has no upper-case letter", n)
		}
	}
}

// exhaust calls fn on every string of 1 to n bytes over alphabet.
func exhaust(alphabet string, n int, fn func(s string)) {
	buf := make([]byte, 0, n)
	var walk func()
	walk = func() {
		if len(buf) > 0 {
			fn(string(buf))
		}
		if len(buf) == n {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			buf = append(buf, alphabet[i])
			walk()
			buf = buf[:len(buf)-1]
		}
	}
	walk()
}

// TestCodeiNeedsWordBytes backs codei's prefilter: a value without a
// letter, '$', '_' or a byte past ASCII, which normalisation leaves as it
// is, matches nothing, whatever punctuation it holds (every string of up
// to four bytes of punctuation, digits and space).
func TestCodeiNeedsWordBytes(t *testing.T) {
	n := 4
	if testing.Short() {
		n = 3
	}
	checked := 0
	exhaust("(<.{[:@0 1)]}'\"`;#/*+-=,!|~^?>\n", n, func(s string) {
		var in input
		in.reset(s)
		if in.codeWord() || normalize.MayChange(s) {
			return
		}
		checked++
		p := &decoders.Param{Loc: decoders.LocQuery, Name: "q", Value: s}
		v := normalize.Normalize(s, 0, 0)
		matchCodei(p, &v, func(r *rule, matched string) {
			t.Fatalf("matchCodei(%q) reports %s: %s", s, r.ID, matched)
		})
	})
	if checked == 0 {
		t.Fatal("nothing checked")
	}
}

// FuzzPrefilterSound builds values from words (SQL, code and plain ones,
// a full-width one among them) and separators, and checks the prefilters
// of sqlsig and codei: a value either family's pre turns away is one its
// matcher finds nothing in.
func FuzzPrefilterSound(f *testing.F) {
	for _, s := range []string{"sku 12", "a-b_c", "\x00\x02\x04", "1.e.x", "x y z"} {
		f.Add([]byte(s))
	}
	words := []string{"name", "rue", "sku", "api", "v1", "x", "1", "0", "12", "3.5", "1.e", "or", "and", "union", "select",
		"unionselect", "from", "where", "null", "not", "like", "user", "version", "sleep", "tempdb", "information_schema",
		"group", "by", "if", "0x1f", "system", "exec", "eval", "runtime", "require", "child_process", "phpinfo",
		"java", "lang", "process", "ｓｅｌｅｃｔ", "rO0AB", "__proto__", "constructor", "jsp", "php", "class", "module",
		"république", "\u212a", "ǅ", "memory_limit", "__js_function", "print_r", "php_uname", "#_memberaccess", "=",
		"'", "recent_orders", "_$$nd_func$$_", "_load", "sess_", "extension_dir", "aced0005", "ACED0005", "7372"}
	seps := " _-.,/+?~^[]{}!<>|&*\n\t$@%"
	f.Fuzz(func(t *testing.T, in []byte) {
		var b []byte
		for _, c := range in {
			if c&1 == 0 {
				w := words[int(c>>1)%len(words)]
				if c&2 != 0 && len(w) > 1 {
					w = string(w[0]-32*byte(boolInt('a' <= w[0] && w[0] <= 'z'))) + w[1:]
				}
				b = append(b, w...)
			} else {
				b = append(b, seps[int(c>>1)%len(seps)])
			}
		}
		checkPrefilterSound(t, string(b))
	})
}

// checkPrefilterSound fails t if sqlsig's or codei's pre turns s away and
// its matcher finds something in it.
func checkPrefilterSound(t *testing.T, s string) {
	t.Helper()
	p := &decoders.Param{Loc: decoders.LocQuery, Name: "q", Value: s}
	var in input
	in.reset(s)
	for _, fam := range []*family{&sqlsigFamily, &codeiFamily} {
		if fam.worth(p, &in) {
			continue
		}
		v := normalize.Normalize(s, 0, 0)
		fam.match(p, &v, func(r *rule, matched string) {
			t.Errorf("%s: pre turns %q away, match reports %s: %s", fam.name, s, r.ID, matched)
		})
	}
}

// TestPrefilterSound holds what FuzzPrefilterSound found: SQL that only
// sqlCanon or a trimmed space reveals, a catalog name and Java's
// serialization magic with no byte the prefilters looked for, and code
// whose only trigger is '_'.
func TestPrefilterSound(t *testing.T) {
	for _, s := range []string{"tempdb\n", "Unionｓｅｌｅｃｔ", "++tempdb", "tempdb..tempdb", "rO0AB", "tempdbrO0AB\n",
		"child_process'", "memory_limit = 512M", "__js_function", "x=aced0005 7372", "14.63", "SKU-056560",
		"166 Rue Neuve", "recent_orders,id", "113578", "98c876f947a92ddf"} {
		checkPrefilterSound(t, s)
	}
	// And what the prefilters turn away.
	for _, s := range []string{"14.63", "SKU-056560", "166 Rue Neuve", "113578", "98c876f947a92ddf", "marketing_opt_in,email",
		"75 rue de la république"} {
		p := &decoders.Param{Loc: decoders.LocQuery, Name: "q", Value: s}
		var in input
		in.reset(s)
		for _, fam := range []*family{&sqlsigFamily, &codeiFamily} {
			if fam.worth(p, &in) {
				t.Errorf("%s: pre lets %q in", fam.name, s)
			}
		}
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// FuzzPhpDynHint checks phpDyn's prefilter: every value phpDyn matches,
// lower-cased as the matchers see it, passes phpDynHint.
func FuzzPhpDynHint(f *testing.F) {
	for _, s := range []string{"'system'(ls)", "[system][0](ls)", "(z)[0][0]('uname')", "(string)'x'", "(sy.(st).em)(1)",
		"$y='sys'.'tem';($y)(1)", "${@a}(1)", "$__[_]{_}(1)", "exec#\n(1)", "exec/*x*/(1)", "gate 15# (back)",
		`"shell_exec" ("id")`, `it's "late" (left)`, "\"system\"\n(ls)", "[system][0]\r\n(ls)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = strings.ToLower(s)
		if phpDyn.MatchString(s) && !phpDynHint(s) {
			t.Fatalf("phpDyn matches %q, phpDynHint turns it away", s)
		}
	})
}

// TestSQLWeakWorthNoAlloc: the word scan of sqlsig's prefilter reads the
// lower-cased value in place; it runs on every value of words.
func TestSQLWeakWorthNoAlloc(t *testing.T) {
	for _, s := range []string{"Gift for Jane O'Neil, please leave it at the back door of the shop front", "166 Rue Neuve"} {
		if n := testing.AllocsPerRun(100, func() { sqlWeakWorth(s) }); n != 0 {
			t.Errorf("sqlWeakWorth(%q) allocates %.0f times", s, n)
		}
	}
}

// FuzzInputBase64Text checks that the class-based shortcut of mayChange
// agrees with normalize.Base64Text on every value it is asked about.
func FuzzInputBase64Text(f *testing.F) {
	for _, s := range []string{"aGVsbG8gd29ybGQgdGhpcyBpcyB0ZXh0", "abcdefghijklmnopq", "abcd-efgh-ijkl-mnop", "QUJD==", "dGVzdA==dGVzdA",
		"123e4567-e89b-12d3-a456-426614174000", "PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg", "AAAAAAAAAAAAAAAAA"} {
		f.Add(s)
	}
	f.Fuzz(checkInputBase64Text)
}

// checkInputBase64Text checks input.base64Text against
// normalize.Base64Text on s, if mayChange would ask it about s.
func checkInputBase64Text(t *testing.T, s string) {
	var in input
	in.reset(s)
	if in.classes&^base64Classes != 0 || in.classes&(upperClass|lowerClass) == 0 || len(s) < normalize.MinBase64 {
		return
	}
	if got, want := in.base64Text(), normalize.Base64Text(s); got != want {
		t.Fatalf("base64Text(%q) = %v, normalize.Base64Text %v", s, got, want)
	}
}

// TestInputBase64Text is FuzzInputBase64Text over random strings of
// base64's alphabets, where the fuzzer rarely goes: all lower case, with
// and without digits, padding and URL-safe bytes.
func TestInputBase64Text(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 28))
	alphabets := []string{"abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz0123456789",
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "abcdef0123456789-", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=_"}
	for range 20000 {
		a := alphabets[r.IntN(len(alphabets))]
		b := make([]byte, normalize.MinBase64+r.IntN(40))
		for i := range b {
			b[i] = a[r.IntN(len(a))]
		}
		s := string(b)
		if r.IntN(4) == 0 {
			s = base64.StdEncoding.EncodeToString(b) // text that decodes
		}
		checkInputBase64Text(t, s)
	}
}

// FuzzSQLSigPre checks the prechecks of sqlSig's techniques: a value an
// expression matches must pass its technique's pre.
func FuzzSQLSigPre(f *testing.F) {
	for _, s := range []string{"' or 1#", "x' and 2 --", "\" or --", "\\'or'", "'or 1=1", "a' and sleep(5)",
		"1' and true;", " \\'x or 1", "or\t12\f#", "the gate code is 15#", "levi's and kids",
		"1 as x from t", " 12 ') as `a` from", "from japan", "sleeping bag", "and sleep (5)", "sleep\f(select"} {
		f.Add([]byte(s))
	}
	words := []string{"or", "and", "true", "null", "not", "x", "1", "12", "like", "glob", "is", "select", "a_b",
		"as", "from", "sleep", "pg_sleep", "sleeping", "benchmark", "waitfor", "mod"}
	seps := " \t\n\f\r\v'\"`\\#-;()=$"
	f.Fuzz(func(t *testing.T, in []byte) {
		var b []byte
		for _, c := range in {
			if c&1 == 0 {
				b = append(b, words[int(c>>1)%len(words)]...)
			} else {
				b = append(b, seps[int(c>>1)%len(seps)])
			}
		}
		for _, s := range []string{string(in), string(b)} {
			for k := range sqlSig {
				sig := &sqlSig[k]
				if sig.pre != nil && !sig.pre(s) && sig.re.MatchString(s) {
					t.Fatalf("technique %d: pre turns %q away, its expression matches %q", k, s, sig.re.FindString(s))
				}
			}
		}
	})
}

// TestSQLSigPreCorpus checks the prechecks on the evaluation corpus and
// the package's cases, as matchSQLSig sees them (folded, and as sqlCanon
// reads them).
func TestSQLSigPreCorpus(t *testing.T) {
	entries, err := evalkit.ReadCorpusFile("../../../testdata/eval/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, e := range entries {
		values = append(values, e.Payload)
	}
	for _, e := range attacks {
		values = append(values, e.value)
	}
	for _, e := range benign {
		values = append(values, e.value)
	}
	for _, v := range values {
		n := normalize.Normalize(v, 0, 0)
		for _, s := range []string{n.Fold, sqlCanon(n.Fold), n.Base64} {
			for k := range sqlSig {
				sig := &sqlSig[k]
				if sig.pre != nil && !sig.pre(s) && sig.re.MatchString(s) {
					t.Errorf("technique %d: pre turns %q away, its expression matches %q", k, s, sig.re.FindString(s))
				}
			}
		}
	}
}

// FuzzSQLWeakWorth checks sqlWeakWorth's table-driven word scan against
// the byte tests it replaced (sqlWeakWorthBytes): both give the same
// answer on every value.
func FuzzSQLWeakWorth(f *testing.F) {
	for _, s := range []string{"SKU-0565", "166 Rue Neuve", "union select", "UnionSelect", "tempdb..sysobjects", "x'$.a",
		"1.e(", "a<b", "70b53680-9020-4a14-8f7b-1cd056deebfa", "Jürgen Groß", "XP_CMDSHELL", "sp_who2", "a_b-c_d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := sqlWeakWorth(s), sqlWeakWorthBytes(s); got != want {
			t.Fatalf("sqlWeakWorth(%q) = %v, the byte tests say %v", s, got, want)
		}
	})
}

// sqlWeakWorthBytes is sqlWeakWorth as it read before its table: each
// byte up-cased and tested for operators, quote and dot in turn.
func sqlWeakWorthBytes(s string) bool {
	if len(s) > 256 {
		return true
	}
	var w [20]byte
	n, longest := 0, 0
	for i := 0; i <= len(s); i++ {
		c := byte(' ')
		if i < len(s) {
			c = s[i]
		}
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '<' || c == '>' || c == '!' || c == '|' || c == '&':
			return true
		case c == '\'':
			if i+2 < len(s) && s[i+1] == '$' && (s[i+2] == '.' || s[i+2] == '[') {
				return true
			}
		case c == '.':
			if sciNotationAt(s, i) {
				return true
			}
		}
		if sqlWordByte(c) {
			if n < len(w) {
				w[n] = c
			}
			n++
			continue
		}
		if n <= len(w) && sqlWordHit(w[:n]) {
			return true
		}
		longest, n = max(longest, n), 0
	}
	return sqlBareName(strings.TrimSpace(s)) || longest >= len("unionselect") && sqlGluedFold(s)
}

// TestInputShape checks that input.reset finds the injection detector's
// shape of every string of one and two bytes; a shape is the union of its
// bytes' shapes, and so are the classes, so it holds for any value.
func TestInputShape(t *testing.T) {
	var in input
	for c := range 1 << 16 {
		for _, s := range []string{string([]byte{byte(c)}), string([]byte{byte(c), byte(c >> 8)})} {
			in.reset(s)
			if want := injection.ShapeOf(s); in.shape != want {
				t.Fatalf("reset(%q): shape %08b, injection.ShapeOf %08b", s, in.shape, want)
			}
		}
	}
}

// FuzzInputShape checks input.reset's shape against injection.ShapeOf,
// and that the shape bits leave the classes as they were.
func FuzzInputShape(f *testing.F) {
	for _, s := range []string{"", "SKU-0565", "a b,c_d-e/f@g.h:i", "Jürgen\xa0Groß", "<script>", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var in input
		in.reset(s)
		if want := injection.ShapeOf(s); in.shape != want {
			t.Fatalf("reset(%q): shape %08b, injection.ShapeOf %08b", s, in.shape, want)
		}
		var classes classSet
		for i := 0; i < len(s); i++ {
			classes |= classBit[s[i]] &^ shapeBits
		}
		if in.classes != classes {
			t.Fatalf("reset(%q): classes %x, its bytes' %x", s, in.classes, classes)
		}
	})
}
