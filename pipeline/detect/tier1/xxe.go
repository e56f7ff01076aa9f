package tier1

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var (
	ruleXXE = rule{
		Rule:  detectRule("xxe-external-entity", "xxe", owaspXXE, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_HIGH),
		title: "XML external entity",
	}
	ruleXMLExpansion = rule{
		Rule:  detectRule("xml-entity-expansion", "xxe", owaspXXE, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "XML entity expansion",
	}
)

// The XML decoder hands a document type declaration over as the parameter
// "!DOCTYPE" (decoders/params_xml.go); a body that did not parse as XML
// comes as the body, where a declaration is looked for too. Data
// parameters, path segments and cookies are looked at as well: an
// application that parses XML out of one (an uploaded SVG, a SAML message,
// an XML-RPC string, state kept as XML) is as exposed, and a declaration or
// an XInclude has no business in one otherwise.
var xxeFamily = family{
	name: "xxe",
	// Headers a client controls too: applications parse XML carried in a
	// header (SOAP, signed assertions), and no benign header value holds
	// an entity declaration or an XInclude.
	scope: func(p *decoders.Param) bool {
		return scopeData(p) || p.Loc == decoders.LocPath || p.Loc == decoders.LocCookie ||
			p.Loc == decoders.LocHeader && detect.ScannedHeader(p.Name)
	},
	locs:  locQuery | locForm | locJSON | locXML | locProtobuf | locBody | locMultipart | locPath | locCookie | locHeader | locName,
	match: matchXXE,
	whole: xincludeBody,
	pre: func(p *decoders.Param, in *input) bool {
		// A declaration holds "!", an XInclude namespace ":". Outside
		// XML, only escapes are undone first: asking whether every such
		// value is base64 costs more than such a payload is likely.
		if in.has(':') && strings.Contains(in.best, "/XInclude") ||
			in.has('!') && (strings.Contains(in.best, "ENTITY") || strings.Contains(in.best, "entity") || indexFold(in.best, "<!doctype") >= 0) ||
			p.Loc == decoders.LocXML && p.Name == "!DOCTYPE" {
			return true
		}
		switch p.Loc {
		case decoders.LocXML, decoders.LocBody, decoders.LocMultipart:
			return in.mayChange()
		}
		// XML in base64 (a SAML message posted to an assertion consumer,
		// "<?xml", "<!DOCTYPE", "<samlp:" encoded) is read decoded.
		if b := in.best; len(b) >= 8 && b[0] == 'P' && base64XMLStart(b) || len(p.Name) >= 7 && len(p.Name) <= 12 && samlName(p.Name) {
			return in.mayChange()
		}
		return in.classes&changeMask != 0
	},
}

// samlName reports the parameters that carry a SAML message or a WS-Fed
// token, base64 of XML: SAMLResponse, SAMLRequest, wresult.
func samlName(name string) bool {
	return strings.EqualFold(name, "SAMLResponse") || strings.EqualFold(name, "SAMLRequest") || name == "wresult"
}

// base64XMLStart reports base64 of text that starts as XML does: "<?xml",
// "<!DOCTYPE" or "<!doctype", "<samlp:", "<saml2p:".
func base64XMLStart(s string) bool {
	// (And after a byte order mark: "77u/" is its base64.)
	s = strings.TrimPrefix(s, "77u/")
	for _, p := range [...]string{"PD94bWw", "PCFET0NUWVBF", "PCFkb2N0eXBl", "PHNhbWxwOl", "PHNhbWwycD"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

var (
	xxeExternal = regexp.MustCompile(`<!entity\s+(?:%\s*)?[^\s>]+\s+(?:system|public)\s*(?:"[^"]*"\s*)?["']([^"']{0,120})`)
	xxeEntity   = regexp.MustCompile(`<!entity\s`)
	// xxeParameter finds an external parameter entity declaration even
	// cut short of its "<" and system identifier ("!ENTITY % x SYSTEM"),
	// the out-of-band XXE that loads a remote DTD.
	xxeParameter = regexp.MustCompile(`!entity\s+%\s*[^\s>]+\s+(?:system|public)\b`)
	// xinclude finds an XInclude element (<xi:include href="…"/>), which
	// makes an XInclude-aware parser fetch or read the resource named,
	// without any DTD.
	xinclude = regexp.MustCompile(`<\s*(?:[a-z0-9_.-]+:)?include\b[^>]*?\bhref\s*=\s*["']?([^"'\s>]{0,120})`)
	// xxeDTD finds a document type whose external subset is a URL (the
	// decoders hand the declaration over without its "<!"): the parser
	// fetches it, and a DTD of the sender's defines the entities that read
	// files and send them out (out-of-band XXE), or a file: one makes the
	// parser's error message quote a local file; a UNC path
	// (\\host\share\x.dtd) makes a Windows parser authenticate to the host
	// (an NTLM hash leaked).
	xxeDTD = regexp.MustCompile(`(?:^\s*|<!)doctype\s+[^\s>\[]+\s+(?:system|public\s*(?:"[^"]*"|'[^']*'))\s*["']([a-z][a-z0-9+.-]+:[^"']{0,120}|/[^"']{1,120}|\\\\[^"']{1,120})`)
	// xmlNested finds an entity whose value refers to entities four times
	// or more, however far apart: the levels of a "billion laughs",
	// whatever their number.
	xmlNested = regexp.MustCompile(`<!entity\s+[^\s%>]+\s+["'][^"']{0,200}?(?:&[^;"'\s&]{1,40};[^"'&]{0,200}){4}`)
)

// publicDTDHosts are the domains of the document types that configuration
// and office files name (W3C's XHTML and SVG, Apple's plists, the Java
// frameworks' mapping files): a parser that loads one fetches a known
// schema.
var publicDTDHosts = []string{"w3.org", "apple.com", "mybatis.org", "hibernate.org", "sourceforge.net",
	"springframework.org", "apache.org", "oracle.com", "sun.com", "jcp.org", "docbook.org", "oasis-open.org",
	"jboss.org", "eclipse.org", "puppycrawl.com", "checkstyle.org", "netbeans.org", "evernote.com",
	"opensymphony.com", "testng.org", "getahead.org", "glassfish.org", "nlm.nih.gov", "opengis.net",
	// cXML (every Ariba and Coupa punch-out document), MusicXML, RSS 0.91,
	// WAP's WML, GraphML, GNOME's Glade.
	"cxml.org", "musicxml.org", "netscape.com", "rssboard.org", "wapforum.org", "openmobilealliance.org",
	"graphdrawing.org", "gnome.org"}

// externalDTD reports the URL of a document type's external subset that
// no well-known schema has: a file (a URL or an absolute path), or a host
// outside publicDTDHosts.
func externalDTD(s string) string {
	m := xxeDTD.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	if strings.HasPrefix(m[1], "/") {
		return m[1] // a file: a local DTD whose entities an error message quotes
	}
	scheme, rest, _ := strings.Cut(m[1], ":")
	if scheme == "about" {
		// about:legacy-compat, the document type XSLT writes for HTML5.
		return ""
	}
	if scheme == "http" || scheme == "https" {
		// authority ends the host at a backslash, as .NET's Uri does, and
		// takes it from after the user info.
		host := authority(rest)
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host = host[:i]
		}
		for _, d := range publicDTDHosts {
			if host == d || strings.HasSuffix(host, "."+d) {
				return ""
			}
		}
	}
	return m[1]
}

// xincludeNS is the XInclude namespace (lower-cased, as matched), which
// an include element needs to be one.
const xincludeNS = "http://www.w3.org/2001/xinclude"

// expansionEntities is how many entity declarations make a document look
// like an expansion bomb ("billion laughs"), when one of them refers to
// another (xmlEntityRef): Adobe Illustrator's SVGs declare eight
// namespace URLs, XHTML documents their character entities (&#160;), and
// neither expands.
const expansionEntities = 8

// xmlEntityRef finds an entity declaration whose value refers to an
// entity (not a character reference).
var xmlEntityRef = regexp.MustCompile(`<!entity\s+[^\s%>]+\s+["'][^"']{0,200}?&[^#;"'\s&]{1,40};`)

// xincludeBody finds an XInclude in an XML request body: the decoder hands
// the include element's attributes over one by one (its namespace apart
// from its href), so the body is read whole for it, when it names the
// XInclude namespace.
//
// It also reads a body with entity declarations whole for a quadratic
// blowup, whose references lie in the document, not in the declaration the
// decoder hands over (entityBomb).
func xincludeBody(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string)) {
	b := x.Request.Body
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) < 4 || t[0] != '<' && bytes.IndexByte(t[:4], 0) < 0 && t[0] != 0xef && t[0] != 0xfe && t[0] != 0xff {
		// Neither XML nor what a wide encoding or a byte order mark
		// starts with: the JSON and form bodies of every other request.
		return
	}
	b = decoders.BodyText(x.Request)
	t := bytes.TrimLeft(b, " \t\r\n\ufeff")
	if len(t) == 0 || t[0] != '<' {
		return
	}
	xi, ent := bytes.Contains(b, []byte("/XInclude")), bytes.Contains(b, []byte("<!ENTITY")) || bytes.Contains(b, []byte("<!entity"))
	if !xi && !ent {
		return
	}
	low := strings.ToLower(string(b))
	body := &decoders.Param{Loc: decoders.LocBody, Value: alert.Snippet(string(t), 256)}
	if xi && strings.Contains(low, xincludeNS) {
		if m := xinclude.FindStringSubmatch(low); m != nil {
			report(&ruleXXE, body, "XInclude of "+snippet(m[1]))
		}
	}
	if ent {
		if m := entityBomb(string(b)); m != "" {
			report(&ruleXMLExpansion, body, m)
		}
	}
}

func matchXXE(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		// Every pattern but xinclude holds "!entity".
		entity := strings.Contains(s, "!entity")
		if entity {
			if m := xxeExternal.FindStringSubmatch(s); m != nil {
				report(&ruleXXE, "external entity "+snippet(m[1]))
				return true
			}
			if m := xxeParameter.FindString(s); m != "" {
				report(&ruleXXE, "external parameter entity "+snippet(m))
				return true
			}
		}
		if strings.Contains(s, xincludeNS) {
			if m := xinclude.FindStringSubmatch(s); m != nil {
				report(&ruleXXE, "XInclude of "+snippet(m[1]))
				return true
			}
		}
		if strings.Contains(s, "doctype") {
			if u := externalDTD(s); u != "" {
				report(&ruleXXE, "external DTD "+snippet(u))
				return true
			}
		}
		if entity && len(xxeEntity.FindAllStringIndex(s, expansionEntities)) >= expansionEntities && xmlEntityRef.MatchString(s) {
			report(&ruleXMLExpansion, "many entity declarations")
			return true
		}
		if entity {
			if m := xmlNested.FindString(s); m != "" {
				report(&ruleXMLExpansion, "nested entity references "+snippet(m))
				return true
			}
			// Entity names are case-sensitive (B is no b): read from
			// the text unfolded.
			t := s
			if s == v.Fold {
				t = v.Text
			}
			if m := entityBomb(t); m != "" {
				report(&ruleXMLExpansion, m)
				return true
			}
		}
		return false
	})
}

// xmlEntityDecl finds an internal general entity's declaration and its
// value.
var xmlEntityDecl = regexp.MustCompile(`<!(?i:entity)\s+([^\s%>"']{1,64})\s+(?:"([^"]*)"|'([^']*)')`)

// xmlRef finds an entity reference (not a character reference).
var xmlRef = regexp.MustCompile(`&([^#;"'\s&<>]{1,64});`)

// maxEntityDecls bounds the declarations entityBomb reads.
const maxEntityDecls = 256

// entityBomb reports a document type whose entities multiply: one that
// refers to others at least twice, one of which does the same (the shape
// of a "billion laughs" of any width: &b;&b;&b; with b = &a;&a;&a;), or,
// with the document after it, one whose references there expand past
// maxEntityExpansion (the quadratic blowup: one long entity referred to
// thousands of times).
func entityBomb(s string) string {
	decls := xmlEntityDecl.FindAllStringSubmatch(s, maxEntityDecls)
	if len(decls) == 0 {
		return ""
	}
	refs := make(map[string][]string, len(decls))
	text := make(map[string]int, len(decls))
	for _, d := range decls {
		v := d[2] + d[3]
		if _, dup := refs[d[1]]; dup {
			continue
		}
		var rs []string
		for _, r := range xmlRef.FindAllStringSubmatch(v, -1) {
			rs = append(rs, r[1])
		}
		refs[d[1]] = rs
		text[d[1]] = len(xmlRef.ReplaceAllString(v, ""))
	}
	for name, rs := range refs {
		if len(rs) < 2 {
			continue
		}
		for _, r := range rs {
			if len(refs[r]) >= 2 {
				return "entities that multiply: " + name + " refers to " + r + " " + strconv.Itoa(len(rs)) + " times, " + r + " to others " + strconv.Itoa(len(refs[r])) + " times"
			}
		}
	}
	// The document after the declarations: what its references expand to.
	end := strings.LastIndex(s, "]>")
	if end < 0 {
		return ""
	}
	size := map[string]int{}
	var expand func(name string, depth int) int
	expand = func(name string, depth int) int {
		if n, ok := size[name]; ok {
			return n
		}
		size[name] = 0 // a cycle adds nothing
		n := text[name]
		if depth < 16 {
			for _, r := range refs[name] {
				n = min(n+expand(r, depth+1), maxEntityExpansion+1)
			}
		}
		size[name] = n
		return n
	}
	total := 0
	for _, r := range xmlRef.FindAllStringSubmatch(s[end:], -1) {
		if _, ok := refs[r[1]]; ok {
			if total += expand(r[1], 0); total > maxEntityExpansion {
				return "entity references expanding past " + strconv.Itoa(maxEntityExpansion>>20) + " MB"
			}
		}
	}
	return ""
}

// maxEntityExpansion is what a document's entity references may expand to
// before it counts as a blowup.
const maxEntityExpansion = 1 << 20
