package evalkit

import (
	"fmt"
	"strings"

	coreruleset "github.com/corazawaf/coraza-coreruleset/v4"
	"github.com/corazawaf/coraza/v3"
	"github.com/corazawaf/coraza/v3/collection"
	"github.com/corazawaf/coraza/v3/experimental/plugins/plugintypes"
	"github.com/corazawaf/coraza/v3/types"
	"github.com/corazawaf/coraza/v3/types/variables"
)

// CRSOracle asks the Core Rule Set itself which part of a regression test's
// request its rule matched, so the corpus takes that value as the payload
// instead of guessing. The guess (crsInput.payload: the longest value) is
// wrong when the attack is shorter than a filler value beside it: a test
// sending "-->" as an argument name with the value "941181-3", or
// `body="onzoom=` beside `mime=text/xml`, yielded "941181-3" and "text/xml",
// labelled attacks though no detector, CRS included, flags them.
//
// The rules are those of the coraza-coreruleset module the tests come from
// (embedded, same version), at paranoia level 4 so that every rule runs, in
// detection-only mode, with Coraza's recommended body processing (JSON, XML,
// multipart).
type CRSOracle struct {
	waf coraza.WAF
}

// NewCRSOracle builds the WAF; it takes about a second.
func NewCRSOracle() (*CRSOracle, error) {
	waf, err := coraza.NewWAF(coraza.NewWAFConfig().
		WithRootFS(coreruleset.FS).
		WithDirectives(`Include @coraza.conf-recommended
Include @crs-setup.conf.example
SecRuleEngine DetectionOnly
SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=4,setvar:tx.detection_paranoia_level=4"
Include @owasp_crs/REQUEST-*.conf`))
	if err != nil {
		return nil, fmt.Errorf("crs oracle: %w", err)
	}
	return &CRSOracle{waf: waf}, nil
}

// oracleDecoded lists the variables whose value Coraza keeps as the
// application sees it (URL-decoded once, JSON- or XML-decoded): the matched
// value is the payload as is. For an argument name it is the name.
var oracleDecoded = map[variables.RuleVariable]bool{
	variables.Args: true, variables.ArgsGet: true, variables.ArgsPost: true,
	variables.ArgsNames: true, variables.ArgsGetNames: true, variables.ArgsPostNames: true,
	variables.RequestXML: true, variables.XML: true, variables.Files: true,
}

// oracleRaw lists the variables Coraza keeps as sent: the CRS rules URL-decode
// them (t:urlDecodeUni) and so does the payload. Whole-request variables
// (QUERY_STRING, REQUEST_URI_RAW, REQUEST_BODY) are not here: they say
// where, not which value, and the guess stays.
var oracleRaw = map[variables.RuleVariable]bool{
	variables.RequestCookies: true, variables.RequestCookiesNames: true,
	variables.RequestHeaders: true, variables.RequestFilename: true,
	variables.RequestBasename: true,
}

// Payload returns the value the test's rule matched in the request, or ok
// false when the rule did not match or matched a whole-request variable.
func (o *CRSOracle) Payload(rule int, in *crsInput) (payload string, ok bool) {
	tx := o.waf.NewTransaction()
	defer tx.Close()
	method := in.Method
	if method == "" {
		method = "GET"
	}
	tx.ProcessConnection("127.0.0.1", 40000, "127.0.0.1", 80)
	tx.ProcessURI(in.URI, method, "HTTP/1.1")
	for k, v := range in.Headers {
		tx.AddRequestHeader(k, fmt.Sprint(v))
	}
	if it := tx.ProcessRequestHeaders(); it == nil {
		if body := in.body(); body != "" {
			if _, _, err := tx.WriteRequestBody([]byte(body)); err != nil {
				return "", false
			}
		}
		if _, err := tx.ProcessRequestBody(); err != nil {
			return "", false
		}
	}
	// The rule may match several values (two JSON keys, an argument and
	// its name); the order of Coraza's collections is not fixed, so the
	// longest, then the first in byte order, is taken.
	for _, mr := range tx.MatchedRules() {
		if mr.Rule().ID() != rule {
			continue
		}
		for _, md := range mr.MatchedDatas() {
			if md.ChainLevel() != 0 {
				continue
			}
			var p string
			switch v := md.Variable(); {
			case oracleDecoded[v]:
				p = originalValue(tx, md)
			case oracleRaw[v]:
				p = lenientUnescape(originalValue(tx, md), false)
			default:
				continue
			}
			if !ok || len(p) > len(payload) || len(p) == len(payload) && p < payload {
				payload, ok = p, true
			}
		}
	}
	return payload, ok
}

// originalValue finds the untransformed value of a match (the match data
// holds it after the rule's transformations: lowercased, decoded, comments
// removed). Argument names from a JSON body are flattened paths
// ("json.title.__proto__.name"); the "json." prefix is the body processor's.
func originalValue(tx types.Transaction, md types.MatchData) string {
	v := md.Variable()
	name := strings.HasSuffix(v.Name(), "_NAMES")
	out := md.Value()
	tx.(plugintypes.TransactionState).Variables().All(func(cv variables.RuleVariable, col collection.Collection) bool {
		if cv != v {
			return true
		}
		// A repeated argument (a=x&a=<payload>) has several items with
		// the key: the one equal to the matched value but for case, else
		// the longest.
		found := false
		for _, it := range col.FindAll() {
			if !strings.EqualFold(it.Key(), md.Key()) {
				continue
			}
			val := it.Value()
			if name && it.Key() != "" {
				val = it.Key()
			}
			if strings.EqualFold(val, md.Value()) {
				out = val
				return false
			}
			if !found || len(val) > len(out) {
				out, found = val, true
			}
		}
		return false
	})
	if name {
		out = strings.TrimPrefix(out, "json.")
	}
	return out
}
