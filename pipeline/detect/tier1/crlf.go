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
		case decoders.LocPath, decoders.LocQuery, decoders.LocCookie, decoders.LocHeader:
			return true
		case decoders.LocJSON, decoders.LocForm, decoders.LocMultipart, decoders.LocXML:
			return crlfBodyName(p.Name)
		}
		return false
	},
	locs: locPath | locQuery | locCookie | locHeader | locJSON | locForm | locMultipart | locXML,
	// A line break, or the lead byte of what crlfHeader reads as one (a
	// backslash, of \r written out, is one of normalize's change bytes:
	// it gets in).
	trigger: "\r\n\xe5\xc4\xe2\xc2",
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
		"destination", "redir", "forward", "filename", "contenttype", "mimetype",
		// OAuth's state comes back in the redirect's Location; a language
		// is set as a cookie or Content-Language.
		"state", "lang", "locale", "language":
		return true
	default:
		// successUrl, post_logout_redirect_uri, logoutRedirect.
		return strings.HasSuffix(l, "url") || strings.HasSuffix(l, "uri") || strings.HasSuffix(l, "redirect")
	}
}

// crlfHeader finds a line break followed by a header field, or by an empty
// line and a body or a status line (response splitting). Besides CR and
// LF: the UTF-8 of U+560A and U+560D (嘊, 嘍), which some servers truncate to
// LF and CR, and U+010D U+010A ("čĊ"), which Node.js before 10.14 wrote as
// CR LF in a request's path (CVE-2018-12116, request splitting); Unicode's
// line and paragraph separators and NEL, which some frameworks take for
// line ends; the escapes \r and \n written out, which a JSON or JavaScript
// layer turns into them. Group 1 is the break, group 2 the header name.
var crlfHeader = regexp.MustCompile(`((?:\r\n|\r|\n|\x{560a}|\x{560d}|\x{010d}[\x{010a}\x{010b}]|\x{2028}|\x{2029}|\x{0085}|\\r|\\n)+)[ \t]*([a-z][a-z0-9-]{1,40})[ \t]*:` +
	`|(?:\r?\n){2}\s*(?:<|\{\s*"|http/1\.[01] \d{3})|(?:\r\n|\r|\n)[ \t]*http/1\.[01] \d{3} `)

// crlfStrong are the response headers that injections set: a cookie, a
// redirect, the content's type, length or disposition, what a browser
// runs or trusts, and the framing (a second response).
var crlfStrong = map[string]bool{
	"set-cookie": true, "set-cookie2": true, "location": true, "content-location": true, "refresh": true,
	"content-type": true, "content-length": true, "content-disposition": true, "content-encoding": true,
	"transfer-encoding": true, "content-security-policy": true, "x-xss-protection": true,
	"access-control-allow-origin": true, "access-control-allow-credentials": true, "link": true,
	"host": true, "cache-control": true, "x-frame-options": true, "strict-transport-security": true,
	"connection": true, "upgrade": true, "www-authenticate": true, "authorization": true, "cookie": true,
	"x-forwarded-for": true, "x-forwarded-host": true,
	// One-word headers a proxy or a cache acts on (no dash to tell them
	// by): where a request goes, what a cache keys on, the framing.
	"forwarded": true, "via": true, "vary": true, "te": true,
}

func matchCRLF(p *decoders.Param, v *normalize.Value, report reportFunc) {
	// A GraphQL document sent by GET has line breaks and "alias: field"
	// lines of its own: there only a header no GraphQL name can be (one
	// of several words: Set-Cookie, X-Injected) counts.
	gql := graphqlParam(p)
	forms(v, func(s string) bool {
		if !strings.ContainsAny(s, "\r\n\u560a\u560d\u010a\u2028\u2029\u0085") && !strings.Contains(s, `\r`) && !strings.Contains(s, `\n`) {
			return false
		}
		for _, m := range crlfHeader.FindAllStringSubmatchIndex(s, -1) {
			if m[4] < 0 {
				report(&ruleCRLF, "line breaks then a body or a status line (response splitting)")
				return true
			}
			name := s[m[4]:m[5]]
			if !crlfInjected(s, m[2], m[3], name) || gql && !crlfCompound(name) {
				continue
			}
			// A URL on a line of its own ("\nhttps://…", "\ns3://logs")
			// names no header, unless the name is one that takes a URL
			// ("\r\nLocation://evil.example").
			switch name {
			case "location", "content-location", "refresh", "link":
			default:
				if strings.HasPrefix(s[m[1]:], "//") {
					continue
				}
			}
			report(&ruleCRLF, "line break then header "+snippet(name)+":")
			return true
		}
		return false
	})
}

// crlfCompound reports a header name of several words ("Set-Cookie",
// "X-Injected"), but a git trailer's ("Signed-off-by").
func crlfCompound(name string) bool {
	return strings.IndexByte(name, '-') > 0 && !strings.HasSuffix(name, "-by")
}

// crlfInjected decides a line break (s[from:to]) followed by "name:": a
// header injections set (crlfStrong), or one of several words ("Evil-
// Header", "X-Injected"; not a git trailer's "Signed-off-by"), counts
// after any break; a plain word ("Note:", "Attendees:", "kind:") only
// after a CR or LF that ends the value's first token: what a value
// reflected into a header holds before its break is a path, an id, a
// language ("en\r\nFoo: x"), where multi-line text ("Meeting notes\r\n
// Attendees: …", "apiVersion: v1\nkind: Pod") has words. Breaks that only
// some servers make of a character (嘍, U+2028, a written-out \n) count
// before the first two kinds alone: Cantonese has 嘍 before "Update:".
func crlfInjected(s string, from, to int, name string) bool {
	if crlfStrong[name] || crlfCompound(name) {
		return true
	}
	brk := s[from:to]
	if strings.Trim(brk, "\r\n") != "" {
		return false
	}
	first := strings.TrimSpace(s[:from])
	return first != "" && len(first) <= 200 && !strings.ContainsAny(first, " \t\r\n")
}

// Mail header injection: a line break then a mail header in a field that is
// an address, a name or a subject line, which a form mailer writes into the
// message's headers (PHP's mail(): To, From with the sender's name,
// Subject); or, in an address field, a blank line and a body of the
// sender's own.
var mailFamily = family{
	name: "mailinj",
	scope: func(p *decoders.Param) bool {
		return p.Loc != decoders.LocHeader && p.Loc != decoders.LocPath && p.Loc != decoders.LocCookie
	},
	locs:    ^(locHeader | locPath | locCookie),
	trigger: "\r\n\xe5",
	match:   matchMail,
}

// mailNames are the last words of the names of fields a mailer writes into
// a header: addresses (reply_to's last word is "to"), the sender's name
// ("name", "your-name", "first_name"), the subject.
var mailNames = map[string]bool{
	"email": true, "mail": true, "to": true, "from": true, "cc": true, "bcc": true, "subject": true,
	"replyto": true, "sender": true, "recipient": true, "recipients": true, "address": true,
	"name": true, "fullname": true, "firstname": true, "lastname": true, "sendername": true, "fromname": true,
}

// mailAddressNames are those of them that hold an address, after which a
// blank line starts a body.
var mailAddressNames = map[string]bool{
	"email": true, "mail": true, "to": true, "from": true, "cc": true, "bcc": true, "replyto": true,
	"sender": true, "recipient": true, "recipients": true,
}

// mailField returns the last word of a field's name when it names an
// address, a name or a subject ("contact_email", "data[your-name]"), ""
// otherwise: "email_template", "email_signature" and "reply" hold text.
func mailField(p *decoders.Param) string {
	last := lastToken(p.Name)
	if mailNames[last] {
		return last
	}
	if mailListWords[last] {
		// to_addresses, cc_emails, recipient_list, subject_line: the word
		// before names the field.
		if toks := nameTokens(p.Name); len(toks) >= 2 && mailNames[toks[len(toks)-2]] {
			return toks[len(toks)-2]
		}
	}
	return ""
}

// mailListWords end the names of fields that hold the addresses or the
// subject the word before them names.
var mailListWords = map[string]bool{
	"addresses": true, "addrs": true, "addr": true, "emails": true, "mails": true, "list": true, "line": true,
}

// mailHeader finds a line break (CR, LF, the 嘊 and 嘍 some servers truncate
// to them, or \r and \n written out) then a mail header or an SMTP command
// (an address's local part split into a second RCPT TO).
var mailHeader = regexp.MustCompile(`(?:[\r\n]|\x{560a}|\x{560d}|\\r|\\n)+\s*(bcc|cc|to|from|reply-to|subject|sender|content-type|content-transfer-encoding|mime-version|x-mailer|return-path|errors-to|disposition-notification-to|in-reply-to|references|x-[a-z0-9-]{1,40}|rcpt to|mail from)\s*:`)

func matchMail(p *decoders.Param, v *normalize.Value, report reportFunc) {
	field := mailField(p)
	if field == "" {
		return
	}
	forms(v, func(s string) bool {
		if !strings.ContainsAny(s, "\r\n\u560a\u560d") && !strings.Contains(s, `\r`) && !strings.Contains(s, `\n`) {
			return false
		}
		if first := s[:max(0, strings.IndexAny(s, "\r\n\u560a\u560d\\"))]; field == "address" && postalName(p.Name) &&
			strings.ContainsAny(strings.TrimSpace(first), " \t") && !strings.Contains(first, "@") {
			// A postal address ("Attn: Billing\nTo: Acme Corp", "10
			// Main St\n…"): words on its first line, no email address.
			return false
		}
		if m := mailHeader.FindStringSubmatchIndex(s); m != nil {
			// An address, a name or a subject is one short line before
			// the break.
			if first := strings.TrimSpace(s[:m[0]]); len(first) <= 200 {
				report(&ruleMail, "line break then mail header "+s[m[2]:m[3]]+":")
				return true
			}
		}
		// A blank line after the address: what follows is the body.
		if first, rest, ok := strings.Cut(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n"); ok && mailAddressNames[field] &&
			mailAddress(first) && strings.TrimSpace(rest) != "" {
			report(&ruleMail, "blank line then a message body")
			return true
		}
		return false
	})
}

// postalName reports a field named "address" that no word of its name
// makes an email address ("billing_address", not "email_address",
// "from_address").
func postalName(name string) bool {
	for _, t := range nameTokens(name) {
		if mailAddressNames[t] || t == "reply" {
			return false
		}
	}
	return true
}

// mailAddress reports a line that is an address alone: one token with an @.
func mailAddress(s string) bool {
	s = strings.TrimSpace(s)
	return strings.IndexByte(s, '@') > 0 && !strings.ContainsAny(s, " \t\r\n")
}
