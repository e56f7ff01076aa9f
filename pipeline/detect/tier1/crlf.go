package tier1

import (
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var (
	ruleCRLF = rule{
		Rule:  detectRule("crlf-injection", "crlf-injection", owaspInjection, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "CRLF header injection",
	}
	ruleMail = rule{
		Rule:  detectRule("mail-header-injection", "mail-header-injection", owaspInjection, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "Mail header injection",
	}
)

// CRLF injection matters where a value may be reflected into a response
// header (a redirect, a cookie): the path, query, cookies and headers, and
// the body fields that name a place to send the client or a file's name
// and type (returnUrl, next, filename, contentType), which applications
// write into Location and Content-Disposition. Such values cannot hold a
// line break unless it was encoded; other body fields hold multi-line
// text.
var crlfFamily = family{
	name: "crlf",
	scope: func(p *decoders.Param) bool {
		switch p.Loc {
		case decoders.LocQuery:
			// A GraphQL document sent by GET has line breaks and
			// "alias: field" lines of its own.
			return !graphqlParam(p)
		case decoders.LocPath, decoders.LocCookie, decoders.LocHeader:
			return true
		case decoders.LocJSON, decoders.LocForm, decoders.LocMultipart, decoders.LocXML:
			return crlfBodyName(p.Name)
		}
		return false
	},
	locs:    locPath | locQuery | locCookie | locHeader | locJSON | locForm | locMultipart | locXML,
	trigger: "\r\n\xe5\xc4",
	match:   matchCRLF,
}

// crlfBodyName reports a body field named for where to send the client
// or for a file's name or type: the last element of its name, in any case,
// without '_' and '-' ("returnUrl", "data[redirect_uri]", "file.fileName",
// anything ending in url, uri or redirect). Not names that also mean a
// place or a page (location, target, site, page), whose values are
// multi-line text as often.
func crlfBodyName(name string) bool {
	name = strings.TrimRight(name, "]")
	if i := strings.LastIndexAny(name, ".]["); i >= 0 {
		name = name[i+1:]
	}
	if len(name) > 32 {
		return false
	}
	switch l := strings.Join(nameTokens(name), ""); l {
	case "href", "link", "redirectto", "returnto", "return", "next", "continue", "callback", "goto", "dest",
		"destination", "redir", "forward", "filename", "contenttype", "mimetype":
		return true
	default:
		// successUrl, post_logout_redirect_uri, logoutRedirect.
		return strings.HasSuffix(l, "url") || strings.HasSuffix(l, "uri") || strings.HasSuffix(l, "redirect")
	}
}

// crlfHeader finds a line break followed by a header field, or by an empty
// line and a body (response splitting). The UTF-8 of U+560A U+560D, which
// some servers truncate to LF and CR, counts as a line break, and so does
// U+010D U+010A ("čĊ"), which Node.js before 10.14 wrote as CR LF in a
// request's path (CVE-2018-12116, request splitting); Czech text has "č",
// not the pair.
var crlfHeader = regexp.MustCompile(`(?:\r\n|\r|\n|\x{560a}|\x{560d}|\x{010d}[\x{010a}\x{010b}])+[ ]?([a-z][a-z0-9-]{1,40})\s*:|(?:\r?\n){2}\s*<`)

func matchCRLF(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		if !strings.ContainsAny(s, "\r\n\u560a\u560d\u010a") {
			return false
		}
		for _, m := range crlfHeader.FindAllStringSubmatchIndex(s, -1) {
			if m[2] < 0 {
				report(&ruleCRLF, "line breaks then a body (response splitting)")
				return true
			}
			// A URL on a line of its own ("\nhttps://…", "\ns3://logs")
			// names no header, unless the name is one that takes a URL
			// ("\r\nLocation://evil.example").
			switch name := s[m[2]:m[3]]; name {
			case "location", "content-location", "refresh", "link":
			default:
				if strings.HasPrefix(s[m[1]:], "//") {
					continue
				}
			}
			report(&ruleCRLF, "line break then header "+snippet(s[m[2]:m[3]])+":")
			return true
		}
		return false
	})
}

// Mail header injection: a line break then a mail header in a field that is
// an address or a subject line.
var mailFamily = family{
	name: "mailinj",
	scope: func(p *decoders.Param) bool {
		return p.Loc != decoders.LocHeader && p.Loc != decoders.LocPath && p.Loc != decoders.LocCookie
	},
	locs:    ^(locHeader | locPath | locCookie),
	trigger: "\r\n",
	match:   matchMail,
}

var mailNames = map[string]bool{
	"email": true, "mail": true, "to": true, "from": true, "cc": true, "bcc": true, "subject": true,
	"reply": true, "replyto": true, "sender": true, "recipient": true, "recipients": true, "address": true,
}

// Name words of fields that hold a message body, where a quoted header
// block ("From: … To: …") is ordinary text.
var mailBodyNames = map[string]bool{
	"body": true, "text": true, "message": true, "content": true, "html": true, "comment": true, "description": true,
}

// mailField reports a field named for an address or a subject.
func mailField(p *decoders.Param) bool {
	mailish := false
	for _, t := range nameTokens(p.Name) {
		if mailBodyNames[t] {
			return false
		}
		mailish = mailish || mailNames[t]
	}
	return mailish
}

var mailHeader = regexp.MustCompile(`[\r\n]+\s*(bcc|cc|to|from|reply-to|subject|sender|content-type|mime-version|x-mailer)\s*:`)

func matchMail(p *decoders.Param, v *normalize.Value, report reportFunc) {
	if !mailField(p) {
		return
	}
	forms(v, func(s string) bool {
		if !strings.ContainsAny(s, "\r\n") {
			return false
		}
		m := mailHeader.FindStringSubmatchIndex(s)
		if m == nil {
			return false
		}
		// An address or a subject is one short line before the break.
		if first := strings.TrimSpace(s[:m[0]]); len(first) > 200 {
			return false
		}
		report(&ruleMail, "line break then mail header "+s[m[2]:m[3]]+":")
		return true
	})
}
