// Package evalkit is the library of the detection evaluation (testdata/eval):
// the labelled corpus (its JSON-lines file, the parsers that build it from the
// OWASP CRS regression tests, libinjection's test files and the hand-written
// benign list), the placements a payload is sent in, and the scoring of the
// sensor's exchanges against the corpus labels.
//
// Input: files of the coraza-coreruleset and libinjection-go modules and
// testdata/eval/benign.txt. Output: corpus entries; per class × placement ×
// protocol detection and false-positive rates.
package evalkit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sort"
	"strings"
)

// Labels of a corpus entry.
const (
	LabelAttack = "attack"
	LabelBenign = "benign"
)

// ClassBenign is the class of every benign entry.
const ClassBenign = "benign"

// Entry is one labelled payload of the corpus.
type Entry struct {
	ID    int    `json:"id"`
	Class string `json:"class"`
	Label string `json:"label"`
	// Source says where the payload comes from: "crs:942100/3" (rule and
	// test id), "libinjection:test-sqli-004", "benign:names".
	Source string `json:"source"`
	// PL is the paranoia level of the CRS rule the test is for (1 to 4); 0
	// when the source is not the CRS.
	PL      int    `json:"pl,omitempty"`
	Payload string `json:"payload"`
}

// Attack reports whether e is labelled as an attack.
func (e *Entry) Attack() bool { return e.Label == LabelAttack }

// LoneToken reports whether payload is a single word — an identifier, a
// number or a file name, optionally followed by an opening parenthesis — such
// as "ABS(", "visudo" or "settings.php". Many CRS regression tests are of
// this shape: they check that one alternative of a rule's regular expression
// matches, and the rule adds to an anomaly score together with others. Such a
// value has nothing that could leave a quoted or data context, and the same
// word is ordinary text elsewhere, so the evaluation reports lone tokens apart
// ("Attacks by payload shape") beside the rates that count every attack.
func LoneToken(payload string) bool {
	s := strings.TrimSpace(payload)
	s = strings.TrimSpace(strings.TrimSuffix(s, "("))
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// ReadCorpus reads a JSON-lines corpus and checks every entry.
func ReadCorpus(r io.Reader) ([]Entry, error) {
	var out []Entry
	seen := map[int]bool{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			return nil, fmt.Errorf("corpus line %d: %w", line, err)
		}
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("corpus line %d: %w", line, err)
		}
		if seen[e.ID] {
			return nil, fmt.Errorf("corpus line %d: duplicate id %d", line, e.ID)
		}
		seen[e.ID] = true
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read corpus: %w", err)
	}
	return out, nil
}

// ReadCorpusFile is ReadCorpus on a file.
func ReadCorpusFile(path string) ([]Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadCorpus(f)
}

func (e *Entry) check() error {
	switch {
	case e.ID <= 0:
		return fmt.Errorf("id %d: not positive", e.ID)
	case e.Label != LabelAttack && e.Label != LabelBenign:
		return fmt.Errorf("id %d: label %q", e.ID, e.Label)
	case (e.Label == LabelBenign) != (e.Class == ClassBenign):
		return fmt.Errorf("id %d: class %q with label %q", e.ID, e.Class, e.Label)
	case e.Class == "":
		return fmt.Errorf("id %d: no class", e.ID)
	case e.Payload == "":
		return fmt.Errorf("id %d: empty payload", e.ID)
	}
	return nil
}

// WriteCorpus writes entries as JSON lines, without HTML escaping so that
// payloads stay readable in the committed file.
func WriteCorpus(w io.Writer, entries []Entry) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for i := range entries {
		if err := entries[i].check(); err != nil {
			return err
		}
		if err := enc.Encode(&entries[i]); err != nil {
			return fmt.Errorf("write corpus: %w", err)
		}
	}
	return nil
}

// WriteCorpusFile writes entries to path with WriteCorpus, or to stdout
// when path is "-".
func WriteCorpusFile(path string, entries []Entry) error {
	f := os.Stdout
	if path != "-" {
		var err error
		if f, err = os.Create(path); err != nil {
			return err
		}
	}
	bw := bufio.NewWriter(f)
	err := WriteCorpus(bw, entries)
	if err == nil {
		err = bw.Flush()
	}
	if f != os.Stdout {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Dedupe drops the entries whose payload an earlier entry already has, and
// the benign entries whose payload is also an attack's (the attack label
// wins). It keeps the order and reports the benign entries it dropped.
func Dedupe(entries []Entry) (out []Entry, conflicts []Entry) {
	attack := map[string]bool{}
	for _, e := range entries {
		if e.Attack() {
			attack[e.Payload] = true
		}
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if !e.Attack() && attack[e.Payload] {
			conflicts = append(conflicts, e)
			continue
		}
		if seen[e.Payload] {
			continue
		}
		seen[e.Payload] = true
		out = append(out, e)
	}
	return out, conflicts
}

// Number gives the entries ids 1..n in order.
func Number(entries []Entry) {
	for i := range entries {
		entries[i].ID = i + 1
	}
}

// Sample keeps at most perClass entries of every attack class (0: all),
// chosen by a hash of the payload so that the choice is the same on every
// run and does not depend on the corpus order. Benign entries are all kept:
// the false-positive rate needs every one of them. The result is in corpus
// order.
func Sample(entries []Entry, perClass int) []Entry {
	if perClass <= 0 {
		return entries
	}
	byClass := map[string][]int{}
	keep := make([]bool, len(entries))
	for i, e := range entries {
		if !e.Attack() {
			keep[i] = true
			continue
		}
		byClass[e.Class] = append(byClass[e.Class], i)
	}
	for _, idx := range byClass {
		sort.Slice(idx, func(a, b int) bool {
			ha, hb := payloadHash(entries[idx[a]].Payload), payloadHash(entries[idx[b]].Payload)
			if ha != hb {
				return ha < hb
			}
			return idx[a] < idx[b]
		})
		for _, i := range idx[:min(perClass, len(idx))] {
			keep[i] = true
		}
	}
	var out []Entry
	for i, e := range entries {
		if keep[i] {
			out = append(out, e)
		}
	}
	return out
}

func payloadHash(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
