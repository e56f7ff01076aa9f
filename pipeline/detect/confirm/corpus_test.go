package confirm

import (
	"bufio"
	"encoding/json"
	"net/url"
	"os"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// responseCase is one line of testdata/responses.jsonl: a response as the
// software named in its id prints it after the payload, and the outcome an
// analyst would give it.
type responseCase struct {
	ID          string      `json:"id"`
	Group       string      `json:"group"`
	Category    string      `json:"category"`
	Payload     string      `json:"payload"`
	Status      int         `json:"status"`
	ContentType string      `json:"content_type"`
	Body        string      `json:"body"`
	Expect      string      `json:"expect"`
	Headers     [][2]string `json:"headers"`
	Note        string      `json:"note"`
}

var outcomeNames = map[alert.Outcome]string{
	alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL: "likely_successful",
	alert.Outcome_OUTCOME_BLOCKED:           "blocked",
	alert.Outcome_OUTCOME_ATTEMPTED:         "attempted",
}

// knownDisagreements are the corpus cases whose outcome differs from the
// analyst's, and why they are left so.
var knownDisagreements = map[string]string{
	// A bare {{7*7}}'s "49" must be a whole JSON or attribute string, or
	// the whole body: a 49 inside text is in any page.
	"jinja-49-html-bare":   "bare probe's result inside text",
	"jinja-49-json-string": "bare probe's result inside a longer string",
	// A short injected value ("X-A: 1") could be the server's own: it
	// counts only right after the header carrying the payload, and this
	// response has none.
	"crlf-short-value": "short injected header, not after its carrier",
	// Content (id output, /etc/passwd) quoted in a long tutorial page
	// confirms: there is no context rule for content, which an injected
	// command prints in any page.
	"tutorial-page-id-passwd-cmd": "content in a tutorial",
	"tutorial-page-id-passwd-lfi": "content in a tutorial",
}

// TestResponseCorpus runs Check on every response of the corpus (224,
// written by a reviewer from what MySQL, PostgreSQL, SQL Server, Oracle,
// SQLite, DB2, H2, ClickHouse, Snowflake, their ORMs, MongoDB, template
// engines, shells, cloud metadata services and WAFs print, and hard benign
// responses) and holds each to the analyst's outcome, but for
// knownDisagreements.
func TestResponseCorpus(t *testing.T) {
	f, err := os.Open("testdata/responses.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	n, seen := 0, map[string]bool{}
	for sc.Scan() {
		var c responseCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		seen[c.ID] = true
		x := &decoders.Exchange{
			Proto:    "http/1.1",
			Request:  &decoders.Message{Method: "GET", URI: "/x?q=" + url.QueryEscape(c.Payload), Version: "HTTP/1.1"},
			Response: &decoders.Message{Status: c.Status, Version: "HTTP/1.1", Body: []byte(c.Body)},
		}
		if c.ContentType != "" {
			x.Response.Headers = append(x.Response.Headers, decoders.Header{Name: "Content-Type", Value: c.ContentType})
		}
		for _, h := range c.Headers {
			x.Response.Headers = append(x.Response.Headers, decoders.Header{Name: h[0], Value: h[1]})
		}
		res := Check(x, c.Category, []string{c.Payload}, 0)
		got := outcomeNames[res.Outcome]
		_, known := knownDisagreements[c.ID]
		switch {
		case got != c.Expect && !known:
			var ev []string
			for _, e := range res.Evidence {
				ev = append(ev, e.Rule+": "+e.Value)
			}
			t.Errorf("%s [%s]: got %s, want %s (evidence %q; %s)", c.ID, c.Group, got, c.Expect, ev, c.Note)
		case got == c.Expect && known:
			t.Errorf("%s now agrees: take it out of knownDisagreements", c.ID)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for id := range knownDisagreements {
		if !seen[id] {
			t.Errorf("knownDisagreements names %s, which the corpus has not", id)
		}
	}
	if n < 200 {
		t.Fatalf("read %d cases", n)
	}
}
