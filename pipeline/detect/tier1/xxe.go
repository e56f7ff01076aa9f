package tier1

import (
	"regexp"
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
		return in.classes&changeMask != 0
	},
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
	// parser's error message quote a local file.
	xxeDTD = regexp.MustCompile(`(?:^\s*|<!)doctype\s+[^\s>\[]+\s+(?:system|public\s*(?:"[^"]*"|'[^']*'))\s*["']([a-z][a-z0-9+.-]+:[^"']{0,120}|/[^"']{1,120})`)
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
	"opensymphony.com", "testng.org", "getahead.org", "glassfish.org", "nlm.nih.gov", "opengis.net"}

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
// like an expansion bomb ("billion laughs").
const expansionEntities = 8

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
		if entity && len(xxeEntity.FindAllStringIndex(s, expansionEntities)) >= expansionEntities {
			report(&ruleXMLExpansion, "many entity declarations")
			return true
		}
		if entity {
			if m := xmlNested.FindString(s); m != "" {
				report(&ruleXMLExpansion, "nested entity references "+snippet(m))
				return true
			}
		}
		return false
	})
}
