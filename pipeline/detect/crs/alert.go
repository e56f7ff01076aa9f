package crs

import (
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/corazawaf/coraza/v3/collection"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/coraza/v3/types"
	"github.com/corazawaf/coraza/v3/types/variables"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/confirm"
)

// family is one CRS rule file: the thousands of its rule ids.
type family struct {
	block int // 942 for REQUEST-942-APPLICATION-ATTACK-SQLI
	title string
	rule  detect.Rule
}

var (
	owaspInjection = []string{"A03:2021"}
	owaspProtocol  = []string{"A03:2021", "API8:2023"}
)

func fam(block int, id, category, title string, owasp []string, maxSev alert.Severity) family {
	return family{block: block, title: title, rule: detect.Rule{
		ID: id, Category: category, OWASP: owasp,
		Severity: maxSev, Confidence: alert.Confidence_CONFIDENCE_MEDIUM,
	}}
}

// families lists the CRS request rule files that score, in the order a
// tie in score is broken: the first wins. Categories follow the tier-1
// detectors' names so that an analyst can group both. Rule.Severity is
// the highest severity the family's alert can take: protocol, method and
// scanner findings are facts about the request, not an attack by
// themselves.
var families = []family{
	fam(942, "attack-sqli", "sql-injection", "SQL injection", owaspInjection, alert.Severity_SEVERITY_CRITICAL),
	fam(941, "attack-xss", "xss", "XSS", owaspInjection, alert.Severity_SEVERITY_CRITICAL),
	fam(932, "attack-rce", "os-command-injection", "remote command execution", owaspInjection, alert.Severity_SEVERITY_CRITICAL),
	fam(930, "attack-lfi", "path-traversal", "local file inclusion", owaspInjection, alert.Severity_SEVERITY_CRITICAL),
	fam(931, "attack-rfi", "remote-file-inclusion", "remote file inclusion", owaspInjection, alert.Severity_SEVERITY_CRITICAL),
	fam(933, "attack-php", "php-injection", "PHP injection", owaspInjection, alert.Severity_SEVERITY_CRITICAL),
	fam(944, "attack-java", "java-injection", "Java injection", owaspInjection, alert.Severity_SEVERITY_CRITICAL),
	fam(934, "attack-generic", "generic-injection", "generic application attack", owaspInjection, alert.Severity_SEVERITY_CRITICAL),
	fam(943, "attack-fixation", "session-fixation", "session fixation", owaspInjection, alert.Severity_SEVERITY_HIGH),
	fam(921, "attack-protocol", "protocol-attack", "HTTP protocol attack", owaspProtocol, alert.Severity_SEVERITY_HIGH),
	fam(922, "attack-multipart", "protocol-attack", "multipart attack", owaspProtocol, alert.Severity_SEVERITY_HIGH),
	fam(920, "protocol-violation", "protocol-violation", "HTTP protocol violation", owaspProtocol, alert.Severity_SEVERITY_MEDIUM),
	fam(913, "scanner", "scanner", "security scanner", owaspProtocol, alert.Severity_SEVERITY_MEDIUM),
	fam(911, "method-enforcement", "protocol-violation", "disallowed method", owaspProtocol, alert.Severity_SEVERITY_MEDIUM),
}

// familyOf returns the index in families of the rule file of rule id, or
// -1 for rules that do not score (initialisation, exclusions, evaluation).
func familyOf(id int) int {
	block := id / 1000
	for i := range families {
		if families[i].block == block {
			return i
		}
	}
	return -1
}

// severityScore is what CRS adds to the anomaly score for a rule of
// severity s (tx.critical_anomaly_score and so on, CRS defaults).
func severityScore(s types.RuleSeverity) int {
	switch s {
	case types.RuleSeverityEmergency, types.RuleSeverityAlert, types.RuleSeverityCritical:
		return 5
	case types.RuleSeverityError:
		return 4
	case types.RuleSeverityWarning:
		return 3
	case types.RuleSeverityNotice:
		return 2
	}
	return 0
}

// inboundScore reads CRS's blocking inbound anomaly score from the
// transaction's TX collection, the value rule 949110 compares with the
// threshold. ok is false when the transaction does not expose it.
func inboundScore(tx types.Transaction) (score int, ok bool) {
	st, isState := tx.(plugintypes.TransactionState)
	if !isState {
		return 0, false
	}
	m, isMap := st.Collection(variables.TX).(collection.Map)
	if !isMap {
		return 0, false
	}
	vs := m.Get("blocking_inbound_anomaly_score")
	if len(vs) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil {
		return 0, false
	}
	return n, true
}

// match is one scoring rule that matched.
type match struct {
	mr  types.MatchedRule
	fam int
}

// newAlert builds the exchange's alert from the matched rules: category
// from the family that scored most, severity from the score, one evidence
// entry per scoring rule (the top family's first). It returns nil when no
// scoring rule matched (the score came from elsewhere).
func (d *Detector) newAlert(x *decoders.Exchange, mrs []types.MatchedRule, score int, parsed bool) *alert.Alert {
	byFam := make([]int, len(families))
	matches := make([]match, 0, len(mrs))
	for _, mr := range mrs {
		md := mr.Rule()
		f := familyOf(md.ID())
		pts := severityScore(md.Severity())
		if f < 0 || pts == 0 {
			continue
		}
		byFam[f] += pts
		matches = append(matches, match{mr: mr, fam: f})
	}
	if len(matches) == 0 {
		return nil
	}
	top := 0
	for i := range families {
		if byFam[i] > byFam[top] {
			top = i
		}
	}
	f := &families[top]
	r := f.rule
	r.Severity = min(r.Severity, severityOf(score, d.cfg.CRS.AnomalyThreshold))
	if score >= 2*d.cfg.CRS.AnomalyThreshold {
		r.Confidence = alert.Confidence_CONFIDENCE_HIGH
	}
	a := d.cfg.NewAlert(x, Name, &r, "")

	var firstLoc decoders.Location
	var firstName string
	var payloads []string
	first := true
	// The top family's rules first, then the others, in match order.
	for pass := 0; pass < 2; pass++ {
		for _, m := range matches {
			if (m.fam == top) != (pass == 0) {
				continue
			}
			md := firstMatch(x, m.mr.MatchedDatas())
			loc, name, value, matched := where(x, md, parsed)
			if !d.cfg.AddEvidence(a, loc, name, value, matched) {
				break
			}
			if value != "" && !slices.Contains(payloads, value) {
				payloads = append(payloads, value)
			}
			ev := a.Evidence[len(a.Evidence)-1]
			ev.Rule = strconv.Itoa(m.mr.Rule().ID())
			ev.Message = alert.Snippet(evidenceMessage(m.mr, md), maxMessage)
			if first {
				firstLoc, firstName, first = loc, name, false
			}
		}
	}
	a.Summary = summary(f.title, score, len(matches), d.cfg.CRS.ParanoiaLevel, firstLoc, firstName)
	// The response tells whether the attack worked (outcome, response
	// evidence), as for the tier-1 detectors' alerts.
	confirm.Apply(a, x, payloads, d.confirm)
	return a
}

// maxMessage bounds a CRS rule message in evidence.
const maxMessage = 256

// severityOf maps an anomaly score to a severity, in multiples of the
// threshold: one rule's worth is medium, two high, four critical.
func severityOf(score, threshold int) alert.Severity {
	switch {
	case score >= 4*threshold:
		return alert.Severity_SEVERITY_CRITICAL
	case score >= 2*threshold:
		return alert.Severity_SEVERITY_HIGH
	}
	return alert.Severity_SEVERITY_MEDIUM
}

func summary(title string, score, rules, pl int, loc decoders.Location, name string) string {
	var b strings.Builder
	b.WriteString("CRS: ")
	b.WriteString(title)
	b.WriteString(", anomaly score ")
	b.WriteString(strconv.Itoa(score))
	b.WriteString(" from ")
	b.WriteString(strconv.Itoa(rules))
	if rules == 1 {
		b.WriteString(" rule")
	} else {
		b.WriteString(" rules")
	}
	b.WriteString(" at paranoia level ")
	b.WriteString(strconv.Itoa(pl))
	if loc != "" {
		b.WriteString(", in ")
		b.WriteString(detect.LocationTitle(loc))
		if name != "" {
			b.WriteString(" ")
			b.WriteString(alert.Snippet(name, 64))
		}
	}
	return b.String()
}

// where turns the first variable a rule matched into the sensor's
// location and parameter name, the matched value, and the CRS variable
// ("ARGS:id") as what matched.
func where(x *decoders.Exchange, md types.MatchData, parsed bool) (loc decoders.Location, name, value, matched string) {
	if md == nil {
		return "", "", "", ""
	}
	v, key := md.Variable(), md.Key()
	matched = v.Name()
	if key != "" {
		matched += ":" + key
	}
	value = md.Value()
	switch v {
	case variables.ArgsGet, variables.ArgsGetNames:
		return decoders.LocQuery, key, value, matched
	case variables.ArgsPost, variables.ArgsPostNames, variables.Args, variables.ArgsNames, variables.ArgsCombinedSize:
		return paramLoc(x, v, key, parsed), key, value, matched
	case variables.RequestCookies, variables.RequestCookiesNames:
		return decoders.LocCookie, key, value, matched
	case variables.RequestHeaders, variables.RequestHeadersNames:
		return decoders.LocHeader, strings.ToLower(key), value, matched
	case variables.QueryString:
		return decoders.LocQuery, "", value, matched
	case variables.RequestFilename, variables.RequestBasename, variables.RequestURI,
		variables.RequestURIRaw, variables.RequestLine:
		return decoders.LocPath, "", value, matched
	case variables.RequestBody:
		return decoders.LocBody, "", value, matched
	case variables.XML:
		return decoders.LocXML, key, value, matched
	case variables.Files, variables.FilesNames:
		return decoders.LocMultipart, key, value, matched
	}
	return decoders.Location(strings.ToLower(v.Name())), key, value, matched
}

// firstMatch picks, among the variables a rule itself matched (chain
// level 0: a chained rule lists its chain's matches after them), the one
// of the parameter that comes first in the request. Coraza keeps a rule's
// matches in the order it walks a collection, which for ARGS is a map's:
// taking its first would make the evidence of the same request differ
// from one replay to the next.
//
// In a chained rule the first link is often a wide net (every header name,
// every argument) that the next links narrow down through MATCHED_VARS or a
// capture: a first-link match counts only when a deeper one names it or
// holds part of its value, unless none does.
func firstMatch(x *decoders.Exchange, mds []types.MatchData) types.MatchData {
	var deeper []types.MatchData
	for _, md := range mds {
		if md.ChainLevel() > 0 {
			deeper = append(deeper, md)
		}
	}
	confirmed := func(md types.MatchData) bool {
		name := md.Variable().Name() + ":" + md.Key()
		for _, dm := range deeper {
			if dm.Key() == name || dm.Value() != "" && strings.Contains(md.Value(), dm.Value()) ||
				len(md.Value()) >= 3 && strings.Contains(dm.Value(), md.Value()) {
				return true
			}
		}
		return false
	}
	if best := pickFirst(x, mds, confirmed); best != nil {
		return best
	}
	if best := pickFirst(x, mds, nil); best != nil {
		return best
	}
	if len(mds) > 0 {
		return mds[0]
	}
	return nil
}

// evidenceMessage is the rule's message for the chosen match md. Coraza
// expands a message's macros (%{MATCHED_VAR}) once, from the first match in
// its map order, so a message with macros is expanded again here from md:
// %{MATCHED_VAR_NAME} (921180) to its variable, any other (920450's
// %{MATCHED_VAR}) to its value. A message without macros is the rule's.
func evidenceMessage(mr types.MatchedRule, md types.MatchData) string {
	tmpl, ok := rawMessage(mr.Rule().Raw())
	if !ok || md == nil || !strings.Contains(tmpl, "%{") {
		return mr.Message()
	}
	return msgMacro.ReplaceAllStringFunc(tmpl, func(m string) string {
		if strings.EqualFold(m, "%{MATCHED_VAR_NAME}") {
			if md.Key() == "" {
				return md.Variable().Name()
			}
			return md.Variable().Name() + ":" + md.Key()
		}
		return md.Value()
	})
}

// msgMacro finds a macro in a rule message: %{MATCHED_VAR}, %{TX.0}.
var msgMacro = regexp.MustCompile(`%\{[^}]*\}`)

// rawMessage returns the msg action of a rule's text, unexpanded.
func rawMessage(raw string) (string, bool) {
	i := strings.Index(raw, "msg:'")
	if i < 0 {
		return "", false
	}
	rest := raw[i+len("msg:'"):]
	for j := 0; j < len(rest); j++ {
		switch rest[j] {
		case '\\':
			j++
		case '\'':
			return rest[:j], true
		}
	}
	return "", false
}

// pickFirst returns the chain-level-0 match of mds that keep accepts (all
// when keep is nil) whose parameter comes first in the request.
func pickFirst(x *decoders.Exchange, mds []types.MatchData, keep func(types.MatchData) bool) types.MatchData {
	var best types.MatchData
	bestPos := 0
	for _, md := range mds {
		if md.ChainLevel() != 0 || keep != nil && !keep(md) {
			continue
		}
		pos := paramPos(x, md.Key())
		if best == nil || pos < bestPos || pos == bestPos && matchLess(md, best) {
			best, bestPos = md, pos
		}
	}
	return best
}

// paramPos is the index of the first parameter named key, or len(x.Params)
// when none is (headers, the URI, the body as a whole).
func paramPos(x *decoders.Exchange, key string) int {
	if key != "" {
		for i := range x.Params {
			if x.Params[i].Name == key {
				return i
			}
		}
	}
	return len(x.Params)
}

// matchLess orders matches that paramPos does not tell apart by variable,
// key and value.
func matchLess(a, b types.MatchData) bool {
	if a.Variable() != b.Variable() {
		return a.Variable().Name() < b.Variable().Name()
	}
	if a.Key() != b.Key() {
		return a.Key() < b.Key()
	}
	return a.Value() < b.Value()
}

// paramLoc finds where the argument named key came from: the sensor's
// parameter of that name among those fed as arguments, else the query
// (for ARGS), else the form Coraza parsed from the body.
func paramLoc(x *decoders.Exchange, v variables.RuleVariable, key string, parsed bool) decoders.Location {
	for i := range x.Params {
		p := &x.Params[i]
		if p.Name == key && fedAsArgument(p.Loc, parsed) {
			return p.Loc
		}
	}
	if v == variables.Args || v == variables.ArgsNames {
		for i := range x.Params {
			if p := &x.Params[i]; p.Name == key && p.Loc == decoders.LocQuery {
				return decoders.LocQuery
			}
		}
	}
	for i := range x.Params {
		if p := &x.Params[i]; p.Name == key && (p.Loc == decoders.LocForm || p.Loc == decoders.LocMultipart) {
			return p.Loc
		}
	}
	return decoders.LocForm
}

func ipString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
