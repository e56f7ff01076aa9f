package evalkit

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteMarkdown writes the evaluation tables: detection per class ×
// placement, the placement verdicts against the targets, placement ×
// protocol, detection per CRS paranoia level and the rules that fired.
func (r *Result) WriteMarkdown(w io.Writer) {
	var placements []Placement
	seenP := map[Placement]bool{}
	classes := map[string]bool{}
	for _, c := range r.Cells {
		seenP[c.Placement] = true
		classes[c.Class] = true
	}
	for _, p := range known {
		if seenP[p] {
			placements = append(placements, p)
		}
	}
	var cls []string
	for c := range classes {
		if c != ClassBenign {
			cls = append(cls, c)
		}
	}
	sort.Strings(cls)
	if classes[ClassBenign] {
		cls = append(cls, ClassBenign)
	}

	fmt.Fprintf(w, "### Alerted requests per class × placement (all protocols)\n\n")
	fmt.Fprintf(w, "Attack rows: detection rate (target ≥ %.0f%%). Benign row: false-positive rate (target ≤ %.1f%%).\n\n", MinDetection*100, MaxFalsePositive*100)
	fmt.Fprintf(w, "| class |")
	for _, p := range placements {
		fmt.Fprintf(w, " %s |", p)
	}
	fmt.Fprintf(w, " all |\n|---|")
	for range placements {
		fmt.Fprintf(w, "---:|")
	}
	fmt.Fprintf(w, "---:|\n")
	for _, cl := range cls {
		fmt.Fprintf(w, "| %s |", cl)
		for _, p := range placements {
			s := r.Sum(func(c *Cell) bool { return c.Class == cl && c.Placement == p })
			fmt.Fprintf(w, " %s |", pct(s))
		}
		fmt.Fprintf(w, " %s |\n", pct(r.Sum(func(c *Cell) bool { return c.Class == cl })))
	}

	fmt.Fprintf(w, "\n### Targets per placement\n\n| placement | attacks | detected | detection | benign | FP | FP rate | lost | skipped | verdict |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
	for _, v := range r.Verdicts() {
		verdict := "FAIL"
		if v.Pass {
			verdict = "PASS"
		}
		fp := fmt.Sprintf("%.2f%%", 100*v.FP)
		if v.Benign.Total == 0 {
			// An attacks-only corpus (extra-attacks.sh) says nothing
			// of false positives: no verdict either.
			fp, verdict = "n/a", "n/a (no benign values)"
		}
		fmt.Fprintf(w, "| %s | %d | %d | %.1f%% | %d | %d | %s | %d | %d | %s |\n", v.Placement,
			v.Attacks.Total, v.Attacks.Flagged, 100*v.Detection, v.Benign.Total, v.Benign.Flagged, fp,
			v.Attacks.Lost+v.Benign.Lost, v.Attacks.Skipped+v.Benign.Skipped, verdict)
	}

	fmt.Fprintf(w, "\n### Placement × protocol (detection / FP)\n\n| placement | proto | detection | FP rate |\n|---|---|---:|---:|\n")
	protos := []string{ProtoH1, ProtoH2C, ProtoGRPC}
	for _, p := range placements {
		for _, pr := range protos {
			a := r.Sum(func(c *Cell) bool { return c.Attack && c.Placement == p && c.Proto == pr })
			b := r.Sum(func(c *Cell) bool { return !c.Attack && c.Placement == p && c.Proto == pr })
			if a.Total+b.Total == 0 {
				continue
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s |\n", p, pr, pct(a), pct(b))
		}
	}

	fmt.Fprintf(w, "\n### Attacks by source (CRS rule paranoia level)\n\n| source | requests | detection |\n|---|---:|---:|\n")
	for pl := 1; pl < len(r.ByPL); pl++ {
		if c := r.ByPL[pl]; c.Total > 0 {
			fmt.Fprintf(w, "| CRS PL%d | %d | %s |\n", pl, c.Total, pct(c))
		}
	}
	if c := r.ByPL[0]; c.Total > 0 {
		fmt.Fprintf(w, "| libinjection | %d | %s |\n", c.Total, pct(c))
	}

	fmt.Fprintf(w, "\n### Attacks by payload shape\n\nA lone token is a single identifier, number or file name, optionally followed by `(` (\"ABS(\", \"visudo\", \"settings.php\"): CRS regression tests of one alternative of a rule's pattern. Every rate above counts them as attacks.\n\n| shape | requests | detection |\n|---|---:|---:|\n")
	fmt.Fprintf(w, "| with syntax | %d | %s |\n", r.ByShape[0].Total, pct(r.ByShape[0]))
	fmt.Fprintf(w, "| lone token | %d | %s |\n", r.ByShape[1].Total, pct(r.ByShape[1]))

	fmt.Fprintf(w, "\n### Rules that fired (requests flagged)\n\n| detector/rule | attacks | benign |\n|---|---:|---:|\n")
	names := make([]string, 0, len(r.Detectors))
	for n := range r.Detectors {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := r.Detectors[names[i]], r.Detectors[names[j]]
		if a[0]+a[1] != b[0]+b[1] {
			return a[0]+a[1] > b[0]+b[1]
		}
		return names[i] < names[j]
	})
	for _, n := range names {
		d := r.Detectors[n]
		fmt.Fprintf(w, "| %s | %d | %d |\n", n, d[0], d[1])
	}
}

func pct(c Cell) string {
	if c.Total == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f%% (%d/%d)", 100*c.Rate(), c.Flagged, c.Total)
}

// WriteCases writes, per placement, the first n misses and the first n false
// positives: id, class, source, protocol, the rules that fired and a snippet
// of the payload.
func (r *Result) WriteCases(w io.Writer, n int) {
	section := func(title string, cs []Case) {
		for _, p := range known {
			// One line per entry: the protocols it was missed (or
			// flagged) on are listed together.
			var sel []Case
			line := map[int]int{}
			total := 0
			for _, c := range cs {
				if c.Placement != p {
					continue
				}
				total++
				if i, ok := line[c.ID]; ok {
					sel[i].Proto += "," + c.Proto
					continue
				}
				if len(sel) < n {
					line[c.ID] = len(sel)
					sel = append(sel, c)
				}
			}
			if total == 0 {
				continue
			}
			fmt.Fprintf(w, "## %s in %s (%d requests, first %d entries)\n\n", title, p, total, len(sel))
			for _, c := range sel {
				var rules []string
				for _, a := range c.Alerts {
					rules = append(rules, a.Name())
				}
				fmt.Fprintf(w, "- %d %s %s %s %s %q\n", c.ID, c.Class, c.Source, c.Proto, strings.Join(rules, ","), Snippet(c.Payload, 160))
			}
			fmt.Fprintln(w)
		}
	}
	bySource := map[string][2]int{} // rule → misses, requests
	for _, c := range r.Misses {
		d := bySource[sourceRule(c.Source)]
		d[0]++
		bySource[sourceRule(c.Source)] = d
	}
	for k, n := range r.attacksBySource {
		d := bySource[k]
		d[1] = n
		bySource[k] = d
	}
	rules := make([]string, 0, len(bySource))
	for k, d := range bySource {
		if d[0] > 0 {
			rules = append(rules, k)
		}
	}
	sort.Slice(rules, func(i, j int) bool {
		a, b := bySource[rules[i]], bySource[rules[j]]
		if a[0] != b[0] {
			return a[0] > b[0]
		}
		return rules[i] < rules[j]
	})
	fmt.Fprintf(w, "## Misses by source rule (all placements)\n\n| source | missed | requests |\n|---|---:|---:|\n")
	for _, k := range rules {
		fmt.Fprintf(w, "| %s | %d | %d |\n", k, bySource[k][0], bySource[k][1])
	}
	fmt.Fprintln(w)
	section("Misses", r.Misses)
	section("False positives", r.FalsePositives)
}

// Snippet cuts s to at most n bytes, on a rune boundary, marking the cut.
func Snippet(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xc0 == 0x80 {
		i--
	}
	return s[:i] + "…"
}

// sourceRule is an entry's source without the test number: "crs:942100",
// "libinjection:test-sqli-004".
func sourceRule(source string) string {
	if rest, ok := strings.CutPrefix(source, "crs:"); ok {
		rule, _, _ := strings.Cut(rest, "/")
		return "crs:" + rule
	}
	return source
}
