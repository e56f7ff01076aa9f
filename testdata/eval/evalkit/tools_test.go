package evalkit

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSqlmapBuild checks that a test and a boundary join as sqlmap's agent
// joins them.
func TestSqlmapBuild(t *testing.T) {
	tests := []struct {
		name  string
		test  sqlmapTest
		b     sqlmapBoundary
		where int
		want  string
	}{
		{"no prefix, no suffix", sqlmapTest{SType: 1, Payload: "AND [RANDNUM]=[RANDNUM]"}, sqlmapBoundary{Clause: "1"}, whereAppend, " AND 1=1"},
		{"quote prefix and suffix", sqlmapTest{SType: 1, Payload: "AND [RANDNUM]=[RANDNUM]"},
			sqlmapBoundary{Clause: "1", Prefix: "'", Suffix: " AND '[RANDSTR]'='[RANDSTR]"}, whereAppend, "' AND 1=1 AND 'abcd'='abcd"},
		{"comment replaces the suffix", sqlmapTest{SType: 5, Payload: "AND SLEEP([SLEEPTIME])", Comment: "#"},
			sqlmapBoundary{Clause: "1", Prefix: ")", Suffix: " AND ([RANDNUM]=[RANDNUM]"}, whereAppend, ") AND SLEEP(5)#"},
		{"stacked: no space after the prefix", sqlmapTest{SType: 4, Payload: ";SELECT SLEEP([SLEEPTIME])", Comment: "[GENERIC_SQL_COMMENT]"},
			sqlmapBoundary{Clause: "1", Prefix: "'"}, whereAppend, "';SELECT SLEEP(5)-- abcd"},
		{"replace: no prefix", sqlmapTest{SType: 1, Payload: "ELT([RANDNUM]=[RANDNUM],1)"},
			sqlmapBoundary{Clause: "1", Prefix: "'", Suffix: "'"}, whereReplace, "ELT(1=1,1)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &sqlmapFiller{r: rand.New(rand.NewPCG(1, 1)), orig: "1", values: map[string]string{
				"[RANDNUM]": "1", "[RANDSTR]": "abcd", "[GENERIC_SQL_COMMENT]": "-- abcd",
			}}
			if got := sqlmapBuild(&tt.test, &tt.b, tt.where, f); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseSet(t *testing.T) {
	got := parseSet("1,3-5, 8")
	for _, k := range []int{1, 3, 4, 5, 8} {
		if !got[k] {
			t.Errorf("parseSet lacks %d: %v", k, got)
		}
	}
	if len(got) != 5 {
		t.Errorf("parseSet = %v", got)
	}
	if !intersects(parseSet("0"), parseSet("7")) || intersects(parseSet("1,2"), parseSet("3")) {
		t.Error("intersects")
	}
}

func TestTampers(t *testing.T) {
	const p = "' AND 1=1 UNION SELECT NULL-- x"
	want := map[string]func(string) bool{
		"space2comment":         func(s string) bool { return !strings.Contains(s, " ") && strings.Contains(s, "/**/") },
		"randomcase":            func(s string) bool { return strings.EqualFold(s, p) },
		"chardoubleencode":      func(s string) bool { return lenientUnescape(s, false) == p },
		"versionedmorekeywords": func(s string) bool { return strings.Contains(s, "/*!UNION*/") },
		"space2dash":            func(s string) bool { return !strings.Contains(s, " ") && strings.Contains(s, "--") },
		"space2hash":            func(s string) bool { return !strings.Contains(s, " ") && strings.Contains(s, "#") },
		"symboliclogical":       func(s string) bool { return strings.Contains(s, " && ") },
		"equaltolike":           func(s string) bool { return strings.Contains(s, "1 LIKE 1") },
		"space2randomblank":     func(s string) bool { return !strings.Contains(s, " ") },
		"between":               func(s string) bool { return strings.Contains(s, "1 BETWEEN 1 AND 1") },
		"unmagicquotes":         func(s string) bool { return strings.HasPrefix(s, "\xbf'") && strings.HasSuffix(s, "-- -") },
		"apostrophemask":        func(s string) bool { return strings.HasPrefix(s, "\uff07") },
	}
	if len(want) != len(Tampers) {
		t.Fatalf("%d checks for %d tampers", len(want), len(Tampers))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for _, tp := range Tampers {
		if got := tp.Fn(p, r); !want[tp.Name](got) {
			t.Errorf("%s(%q) = %q", tp.Name, p, got)
		}
	}
}

func TestLoadWfuzz(t *testing.T) {
	dir := t.TempDir()
	for _, l := range wfuzzLists {
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(l.path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, l.path), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	body := "%3Cscript%3Ealert(1)%3C/script%3E\n\n%c0%ae%c0%ae/etc/passwd\n\xc0\xae\n"
	if err := os.WriteFile(filepath.Join(dir, "Injections/XSS.txt"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	es, err := LoadWfuzz(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Payload != "<script>alert(1)</script>" || es[1].Payload != "%c0%ae%c0%ae/etc/passwd" ||
		es[0].Source != "wfuzz:XSS.txt:1" || es[1].Source != "wfuzz:XSS.txt:3" {
		t.Errorf("got %+v", es)
	}
}

func TestLoadSqlmap(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "payloads"), 0o755); err != nil {
		t.Fatal(err)
	}
	boundaries := `<root>
<boundary><level>1</level><clause>1</clause><where>1,2</where><ptype>2</ptype><prefix>'</prefix><suffix> AND '[RANDSTR]'='[RANDSTR]</suffix></boundary>
<boundary><level>1</level><clause>3</clause><where>1</where><ptype>1</ptype><prefix></prefix><suffix></suffix></boundary>
</root>`
	payloads := `<root><test><title>AND boolean-based blind</title><stype>1</stype><level>1</level><clause>1</clause><where>1</where>
<request><payload>AND [RANDNUM]=[RANDNUM]</payload></request><details><dbms>MySQL</dbms></details></test></root>`
	if err := os.WriteFile(filepath.Join(dir, "boundaries.xml"), []byte(boundaries), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "payloads", "boolean_blind.xml"), []byte(payloads), 0o644); err != nil {
		t.Fatal(err)
	}
	es, err := LoadSqlmap(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	// One compatible boundary (the clause of the second does not match):
	// the payload as is and once tampered.
	if len(es) != 2 || !strings.HasPrefix(es[0].Payload, "test' AND ") || !strings.HasPrefix(es[0].Source, "sqlmap:boolean:none:1/1") ||
		!strings.HasPrefix(es[1].Source, "sqlmap:boolean:") || es[0].Class != "sqli" {
		t.Errorf("got %+v", es)
	}
	again, _ := LoadSqlmap(dir, 1)
	if again[0].Payload != es[0].Payload || again[1].Payload != es[1].Payload {
		t.Error("not deterministic")
	}
}

func TestLoadWapiti(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"execPayloads.txt":         "[VALUE];env;\n",
		"blindSQLPayloads.txt":     "1 or sleep([TIME])#1\n",
		"xssPayloads.ini":          "; comment\n[case]\npayload = <ScRiPt>alert('__XSS__')</sCrIpT>\n[attr]\npayload = [ATTR_SEP]onload=[VALUE_SEP]alert(/__XSS__/)\n",
		"xxePayloads.ini":          "",
		"fileHandlingPayloads.ini": "payload = /etc/passwd\\0\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	es, err := LoadWapiti(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1;env;", "1 or sleep(6)#1", "<ScRiPt>alert('w4p1t1')</sCrIpT>", `y"onload="alert(/w4p1t1/)`, "/etc/passwd\x00"}
	if len(es) != len(want) {
		t.Fatalf("got %+v", es)
	}
	for i, e := range es {
		if e.Payload != want[i] || !e.Attack() {
			t.Errorf("entry %d = %+v, want payload %q", i, e, want[i])
		}
	}
}
