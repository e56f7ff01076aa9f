package detect

import (
	"testing"

	"github.com/apisensor/sensor/pipeline/alert"
)

func TestCombine(t *testing.T) {
	ev := func(loc, name, matched, rule string) *alert.Evidence {
		return &alert.Evidence{Location: loc, Name: name, Value: "1' or 1=1", Matched: matched, Rule: rule}
	}
	mk := func(det, cat string, sev alert.Severity, conf alert.Confidence, out alert.Outcome, es ...*alert.Evidence) *alert.Alert {
		return &alert.Alert{Id: det, Detector: det, RuleId: det + "-rule", Category: cat, Severity: sev, Confidence: conf, Outcome: out, Owasp: []string{"A03:2021"}, Evidence: es}
	}
	const (
		high = alert.Severity_SEVERITY_HIGH
		crit = alert.Severity_SEVERITY_CRITICAL
		med  = alert.Confidence_CONFIDENCE_MEDIUM
		low  = alert.Confidence_CONFIDENCE_LOW
		att  = alert.Outcome_OUTCOME_ATTEMPTED
		won  = alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL
	)
	tests := []struct {
		name     string
		in       []*alert.Alert
		wantIDs  []string
		wantEv   []int
		wantConf []alert.Confidence
		wantOut  []alert.Outcome
		folded   []string
	}{
		{
			name:     "one alert untouched",
			in:       []*alert.Alert{mk("injection", "sql-injection", high, low, att, ev("query", "q", "fp s&1", "sqli"))},
			wantIDs:  []string{"injection"},
			wantEv:   []int{1},
			wantConf: []alert.Confidence{low},
			wantOut:  []alert.Outcome{att},
		},
		{
			name: "same category folds, corroboration raises confidence, best outcome wins",
			in: []*alert.Alert{
				mk("injection", "sql-injection", high, low, att, ev("query", "q", "fp s&1", "sqli")),
				mk("crs", "sql-injection", high, low, won, ev("query", "q", "ARGS:q", "942100")),
			},
			wantIDs:  []string{"injection"},
			wantEv:   []int{2},
			wantConf: []alert.Confidence{med},
			wantOut:  []alert.Outcome{won},
			folded:   []string{"crs"},
		},
		{
			name: "first alert is kept, with the group's severity",
			in: []*alert.Alert{
				mk("injection", "xss", high, low, att, ev("query", "q", "libinjection xss", "xss")),
				mk("crs", "xss", crit, med, att, ev("query", "q", "ARGS:q", "941100")),
			},
			wantIDs:  []string{"injection"},
			wantEv:   []int{2},
			wantConf: []alert.Confidence{alert.Confidence_CONFIDENCE_HIGH},
			wantOut:  []alert.Outcome{att},
			folded:   []string{"crs"},
		},
		{
			// Two CRS rules on one argument: same place, variable and
			// value, told apart by their messages.
			name: "rules on one argument are both kept",
			in: []*alert.Alert{
				mk("injection", "sql-injection", high, low, att, ev("query", "sort", "fp n&f(1", "sqli")),
				mk("crs", "sql-injection", high, med, att,
					&alert.Evidence{Location: "query", Name: "sort", Value: "1' or 1=1", Matched: "ARGS:sort", Rule: "942100", Message: "SQL Injection Attack Detected via libinjection"},
					&alert.Evidence{Location: "query", Name: "sort", Value: "1' or 1=1", Matched: "ARGS:sort", Rule: "942160", Message: "Detects blind sqli tests using sleep() or benchmark()"},
					&alert.Evidence{Location: "query", Name: "sort", Value: "1' or 1=1", Matched: "ARGS:sort", Rule: "942160", Message: "Detects blind sqli tests using sleep() or benchmark()"}),
			},
			wantIDs:  []string{"injection"},
			wantEv:   []int{3},
			wantConf: []alert.Confidence{alert.Confidence_CONFIDENCE_HIGH},
			wantOut:  []alert.Outcome{att},
			folded:   []string{"crs"},
		},
		{
			name: "different categories stay apart, duplicate evidence kept once",
			in: []*alert.Alert{
				mk("injection", "sql-injection", high, low, att, ev("query", "q", "fp", "sqli")),
				mk("smuggling", "http-request-smuggling", high, med, att, ev("header", "transfer-encoding", "cl.te", "")),
				mk("sqlsig", "sql-injection", high, low, att, ev("query", "q", "fp", "sqli")),
				{Id: "behave", Detector: "behave"},
			},
			wantIDs:  []string{"injection", "smuggling", "behave"},
			wantEv:   []int{1, 1, 0},
			wantConf: []alert.Confidence{med, med, 0},
			wantOut:  []alert.Outcome{att, att, 0},
			folded:   []string{"sqlsig"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var folded []string
			got := Combine(tt.in, 8, func(a *alert.Alert) { folded = append(folded, a.Detector) })
			if len(got) != len(tt.wantIDs) {
				t.Fatalf("got %d alerts, want %d", len(got), len(tt.wantIDs))
			}
			for i, a := range got {
				if a.Id != tt.wantIDs[i] || len(a.Evidence) != tt.wantEv[i] || a.Confidence != tt.wantConf[i] || a.Outcome != tt.wantOut[i] {
					t.Errorf("alert %d = id %s, %d evidence, %v, %v; want %s, %d, %v, %v", i, a.Id, len(a.Evidence), a.Confidence, a.Outcome,
						tt.wantIDs[i], tt.wantEv[i], tt.wantConf[i], tt.wantOut[i])
				}
			}
			if len(folded) != len(tt.folded) {
				t.Fatalf("folded %v, want %v", folded, tt.folded)
			}
			for i := range folded {
				if folded[i] != tt.folded[i] {
					t.Errorf("folded %v, want %v", folded, tt.folded)
				}
			}
			if len(tt.in) >= 2 && len(got) < len(tt.in) {
				for _, e := range got[0].Evidence[1:] {
					if e.Rule == "" || e.Rule[0] == '/' {
						t.Errorf("folded evidence rule %q not tagged with its detector", e.Rule)
					}
				}
			}
		})
	}
}

func TestCombineBoundsEvidence(t *testing.T) {
	var as []*alert.Alert
	for i := range 5 {
		a := &alert.Alert{Detector: "d", Category: "xss"}
		for j := range 4 {
			a.Evidence = append(a.Evidence, &alert.Evidence{Name: string(rune('a'+i)) + string(rune('a'+j))})
		}
		as = append(as, a)
	}
	got := Combine(as, 8, nil)
	if len(got) != 1 || len(got[0].Evidence) != 8 {
		t.Fatalf("got %d alerts, %d evidence; want 1, 8", len(got), len(got[0].Evidence))
	}
}
