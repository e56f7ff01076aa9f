package evalkit

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// LibinjectionTest is one test file of libinjection: its input and the
// expected output (a SQLi fingerprint, or 1/0 for XSS).
type LibinjectionTest struct {
	Name, Input, Expected string
}

// ParseLibinjectionTest reads the --TEST-- / --INPUT-- / --EXPECTED--
// sections of a libinjection test file. The input keeps its inner newlines;
// the newline that ends the section is not part of it.
func ParseLibinjectionTest(name string, data string) (LibinjectionTest, error) {
	t := LibinjectionTest{Name: name}
	_, rest, ok := strings.Cut(data, "--INPUT--\n")
	if !ok {
		return t, fmt.Errorf("%s: no --INPUT-- section", name)
	}
	in, exp, ok := strings.Cut(rest, "--EXPECTED--")
	if !ok {
		return t, fmt.Errorf("%s: no --EXPECTED-- section", name)
	}
	t.Input = strings.TrimSuffix(in, "\n")
	t.Expected = strings.TrimSpace(exp)
	return t, nil
}

// Label of a libinjection test: SQLi tests with a fingerprint and XSS tests
// expecting 1 are attacks, XSS tests expecting 0 are benign; SQLi tests
// without a fingerprint (libinjection saw no SQL) are tokenizer cases, not
// labelled data, and are skipped (ok false).
func (t LibinjectionTest) Label() (class, label string, ok bool) {
	switch {
	case t.Input == "":
		return "", "", false
	case strings.HasPrefix(t.Name, "test-sqli-"):
		if t.Expected == "" {
			return "", "", false
		}
		return "sqli", LabelAttack, true
	case strings.HasPrefix(t.Name, "test-xss-"):
		switch t.Expected {
		case "1":
			return "xss", LabelAttack, true
		case "0":
			return ClassBenign, LabelBenign, true
		}
	}
	return "", "", false
}

// LoadLibinjection reads the SQLi and XSS test files of the libinjection-go
// module directory. The html5 and token tests check the tokenizer and carry
// no attack label, so they are not read.
func LoadLibinjection(dir string) ([]Entry, error) {
	files, err := globSorted(dir, "tests/test-sqli-*.txt", "tests/test-xss-*.txt")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no libinjection tests under %s", dir)
	}
	var out []Entry
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(filepath.Base(f), ".txt")
		t, err := ParseLibinjectionTest(name, string(b))
		if err != nil {
			return nil, err
		}
		class, label, ok := t.Label()
		if !ok {
			continue
		}
		out = append(out, Entry{Class: class, Label: label, Source: "libinjection:" + name, Payload: t.Input})
	}
	return out, nil
}

// ParseBenign reads the hand-written benign list: "## topic" starts a section
// and names the source of its lines ("benign:topic"); every other non-empty
// line is one value, taken literally, except in sections whose header ends
// with "(quoted)", where a line is a Go string body (\n, \t, \", \\ escapes)
// so that values can hold newlines. Lines starting with "#" and a space are
// comments.
func ParseBenign(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	topic, quoted, line := "", false, 0
	for sc.Scan() {
		line++
		s := sc.Text()
		switch {
		case strings.HasPrefix(s, "## "):
			topic = strings.TrimSpace(s[3:])
			quoted = strings.HasSuffix(topic, "(quoted)")
			topic = strings.TrimSpace(strings.TrimSuffix(topic, "(quoted)"))
			continue
		case s == "" || strings.HasPrefix(s, "# "):
			continue
		case topic == "":
			return nil, fmt.Errorf("benign line %d: value before the first ## section", line)
		}
		if quoted {
			u, err := strconv.Unquote(`"` + s + `"`)
			if err != nil {
				return nil, fmt.Errorf("benign line %d: %w", line, err)
			}
			s = u
		}
		out = append(out, Entry{Class: ClassBenign, Label: LabelBenign, Source: "benign:" + topic, Payload: s})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read benign list: %w", err)
	}
	return out, nil
}

// globSorted returns the files under dir matching any of the slash-separated
// patterns, sorted.
func globSorted(dir string, patterns ...string) ([]string, error) {
	var files []string
	for _, p := range patterns {
		m, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(p)))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	return files, nil
}
