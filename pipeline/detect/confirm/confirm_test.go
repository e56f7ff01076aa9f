package confirm

import (
	"strings"
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
)

// exchange builds a GET exchange for target answered with status, content
// type ct ("" for none) and body.
func exchange(target string, status int, ct, body string) *decoders.Exchange {
	x := &decoders.Exchange{
		Proto:   "http/1.1",
		Request: &decoders.Message{Method: "GET", URI: target, Version: "HTTP/1.1"},
		Response: &decoders.Message{
			Status: status, Version: "HTTP/1.1", Body: []byte(body),
		},
	}
	if ct != "" {
		x.Response.Headers = append(x.Response.Headers, decoders.Header{Name: "Content-Type", Value: ct})
	}
	return x
}

// article is a long JSON document about SQL errors: prose, not an error.
var article = `{"id":17,"title":"Debugging database errors","body":"` + strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 40) +
	`When MySQL says You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version, look at the quotes. ` +
	`PostgreSQL reports ERROR:  syntax error at or near \"FROM\" and SQL Server says Unclosed quotation mark after the character string. ` +
	`A Java service may print java.lang.NullPointerException at java.base/java.util.Objects.requireNonNull(Objects.java:209)` +
	strings.Repeat(" Sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.", 30) + `"}`

// page pads text into a 16 KiB HTML page.
func page(text string) string {
	pad := strings.Repeat(`<div class="row"><span>Item</span><a href="/items/1">details</a></div>`+"\n", 110)
	return "<!doctype html><html><head><title>Shop</title></head><body>\n" + pad + text + "\n" + pad + "</body></html>"
}

func TestCheck(t *testing.T) {
	sqli := []string{"1' OR '1'='1"}
	tests := []struct {
		name     string
		x        *decoders.Exchange
		category string
		payloads []string
		outcome  alert.Outcome
		rule     string // first evidence rule, "" for none
		conf     alert.Confidence
		disclose bool
	}{
		{"no response", &decoders.Exchange{Request: &decoders.Message{}}, "sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"empty 200", exchange("/", 200, "", ""), "sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"mysql 500", exchange("/", 500, "text/html", page("You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''1'' OR '1'='1' at line 1")),
			"sql-injection", sqli, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "mysql-syntax", alert.Confidence_CONFIDENCE_HIGH, true},
		{"mysql in small JSON 200", exchange("/", 200, "application/json", `{"error":"SQLSTATE[42000]: Syntax error or access violation: 1064 You have an error in your SQL syntax"}`),
			"sql-injection", sqli, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "mysql-syntax", alert.Confidence_CONFIDENCE_HIGH, true},
		{"driver error alone", exchange("/", 500, "application/json", `{"error":"SQLSTATE[HY000]: General error"}`),
			"sql-injection", sqli, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "pdo-sqlstate", alert.Confidence_CONFIDENCE_HIGH, true},
		{"postgres echoing payload in a big page", exchange("/", 200, "text/html", page(`ERROR:  syntax error at or near "OR '1'='1"`)),
			"sql-injection", sqli, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "pg-syntax", alert.Confidence_CONFIDENCE_HIGH, true},
		{"mssql", exchange("/", 500, "", "Unclosed quotation mark after the character string '1'."), "sql-injection", sqli, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "mssql-quote", alert.Confidence_CONFIDENCE_HIGH, true},
		{"oracle", exchange("/", 500, "", "java.sql.SQLException: ORA-00933: SQL command not properly ended"), "sql-injection", sqli, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "oracle-ora", alert.Confidence_CONFIDENCE_HIGH, true},
		{"oracle lookalike", exchange("/", 500, "", "the corpora-12 set"), "sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "server-error", alert.Confidence_CONFIDENCE_MEDIUM, false},
		{"sqlite", exchange("/", 500, "", `sqlite3.OperationalError: near "OR": syntax error`), "sql-injection", sqli, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "sqlite-python", alert.Confidence_CONFIDENCE_HIGH, true},
		{"article about SQL errors", exchange("/", 200, "application/json", article), "sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"SQL error but the request was XSS", exchange("/", 500, "", "You have an error in your SQL syntax"), "xss", []string{"<script>alert(1)</script>"}, alert.Outcome_OUTCOME_ATTEMPTED, "server-error", alert.Confidence_CONFIDENCE_MEDIUM, false},
		{"java stack trace", exchange("/", 500, "text/plain", "java.lang.NumberFormatException: For input string\n\tat java.lang.Integer.parseInt(Integer.java:580)"),
			"sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "java-lang", alert.Confidence_CONFIDENCE_MEDIUM, true},
		{"python traceback", exchange("/", 500, "", "Traceback (most recent call last):\n  File \"app.py\", line 3"), "nosql-injection", []string{`{"$ne":1}`}, alert.Outcome_OUTCOME_ATTEMPTED, "python-trace", alert.Confidence_CONFIDENCE_MEDIUM, true},
		{"go panic", exchange("/", 500, "", "panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()"), "", nil, alert.Outcome_OUTCOME_ATTEMPTED, "go-runtime", alert.Confidence_CONFIDENCE_MEDIUM, true},
		{"passwd", exchange("/", 200, "text/plain", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"), "path-traversal", []string{"../../etc/passwd"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "passwd", alert.Confidence_CONFIDENCE_HIGH, false},
		{"passwd in html", exchange("/", 200, "text/html", page("<pre>root:x:0:0:root:/root:/bin/bash</pre>")), "local-file-inclusion", []string{"....//....//etc/passwd"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "passwd", alert.Confidence_CONFIDENCE_HIGH, false},
		{"css :root is not passwd", exchange("/", 200, "text/html", page("<style>:root{--a:0:0:1}</style>")), "path-traversal", []string{"../../etc/passwd"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"win.ini", exchange("/", 200, "", "; for 16-bit app support\n[fonts]\n[extensions]\n"), "path-traversal", []string{`..\..\windows\win.ini`}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "win-ini", alert.Confidence_CONFIDENCE_HIGH, false},
		{"environ", exchange("/", 200, "", "HOSTNAME=web1\x00PATH=/usr/local/bin:/usr/bin\x00HOME=/root\x00"), "local-file-inclusion", []string{"/proc/self/environ"}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "proc-environ", alert.Confidence_CONFIDENCE_HIGH, false},
		{"php include error", exchange("/", 200, "text/html", page("<b>Warning</b>:  include(../../etc/passwd): failed to open stream: No such file or directory in <b>/var/www/index.php</b>")),
			"local-file-inclusion", []string{"../../etc/passwd"}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "php-include-warning", alert.Confidence_CONFIDENCE_HIGH, true},
		{"passwd for SQLi is not looked for", exchange("/", 200, "", "root:x:0:0:root:/root:/bin/bash"), "sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"id output", exchange("/", 200, "", "uid=33(www-data) gid=33(www-data) groups=33(www-data)"), "os-command-injection", []string{";id"}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "id-output", alert.Confidence_CONFIDENCE_HIGH, false},
		{"uid in a URL is not id output", exchange("/", 200, "text/html", page(`<a href="/u?uid=33(x)">x</a>`)), "os-command-injection", []string{";id"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"uname", exchange("/", 200, "", "Linux web1 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux"), "os-command-injection", []string{"|uname -a"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "uname-smp", alert.Confidence_CONFIDENCE_HIGH, false},
		{"uname without SMP", exchange("/", 200, "", "Linux web1 4.19.0-18-amd64 x86_64 GNU/Linux"), "os-command-injection", []string{"|uname -a"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "uname-output", alert.Confidence_CONFIDENCE_HIGH, false},
		{"ls -l", exchange("/", 200, "", "total 8\ndrwxr-xr-x 2 root root 4096 Jan  1 00:00 bin\n"), "os-command-injection", []string{";ls -l /"}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "ls-output", alert.Confidence_CONFIDENCE_HIGH, false},
		{"dir", exchange("/", 200, "", " Volume in drive C has no label.\r\n Volume Serial Number is 1234-ABCD\r\n"), "os-command-injection", []string{"& dir"}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "dir-output", alert.Confidence_CONFIDENCE_HIGH, false},
		{"shell error", exchange("/", 500, "", "sh: 1: foo: not found"), "os-command-injection", []string{";foo"}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "sh-not-found", alert.Confidence_CONFIDENCE_HIGH, true},
		{"aws metadata", exchange("/", 200, "text/plain", "ami-id\nami-launch-index\nhostname\ninstance-id\n"), "ssrf", []string{"http://169.254.169.254/latest/meta-data/"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "aws-ami", alert.Confidence_CONFIDENCE_HIGH, false},
		{"aws credentials", exchange("/", 200, "application/json", `{"Code":"Success","AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG","Token":"abc"}`), "ssrf", []string{"http://169.254.169.254/latest/meta-data/iam/security-credentials/role"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "aws-keys", alert.Confidence_CONFIDENCE_HIGH, false},
		{"gcp", exchange("/", 200, "", `{"computeMetadata":{"v1":{}}}`), "ssrf", []string{"http://metadata.google.internal/computeMetadata/v1/"}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "gcp-metadata", alert.Confidence_CONFIDENCE_HIGH, false},
		{"kubeconfig", exchange("/", 200, "text/plain", "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1J\n    server: https://10.0.0.1:6443\n"), "local-file-inclusion", []string{"/etc/kubernetes/admin.conf"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "kubeconfig", alert.Confidence_CONFIDENCE_HIGH, false},
		{"kubeconfig as JSON", exchange("/", 200, "application/json", `{"users":[{"name":"admin","user":{"client-key-data":"LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQo="}}]}`), "path-traversal", []string{"../../root/.kube/config"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "kubeconfig", alert.Confidence_CONFIDENCE_HIGH, false},
		{"a PEM in base64 is no kubeconfig", exchange("/", 200, "application/json", `{"cert":"LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1J"}`), "local-file-inclusion", []string{"/etc/kubernetes/admin.conf"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"docker containers", exchange("/", 200, "application/json", `[{"Id":"8dfafdbc3a40","Names":["/web"],"Image":"nginx","ImageID":"sha256:`+strings.Repeat("ab", 32)+`","Command":"nginx"}]`), "ssrf", []string{"http://127.0.0.1:2375/containers/json"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "docker-list", alert.Confidence_CONFIDENCE_HIGH, false},
		{"docker version", exchange("/", 200, "application/json", `{"Platform":{"Name":"Docker Engine - Community"},"Version":"24.0.7","ApiVersion":"1.43","MinAPIVersion":"1.12"}`), "ssrf", []string{"http://localhost:2375/version"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "docker-version", alert.Confidence_CONFIDENCE_HIGH, false},
		{"kubelet pods", exchange("/", 200, "application/json", `{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[]}`), "ssrf", []string{"http://127.0.0.1:10255/pods"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "k8s-list", alert.Confidence_CONFIDENCE_HIGH, false},
		{"api server secrets", exchange("/", 200, "application/json", "{\n  \"kind\": \"SecretList\",\n  \"apiVersion\": \"v1\",\n  \"items\": []\n}"), "ssrf", []string{"https://kubernetes.default.svc/api/v1/secrets"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "k8s-list", alert.Confidence_CONFIDENCE_HIGH, false},
		{"a list kind of the application", exchange("/", 200, "application/json", `{"kind":"ProductList","items":[]}`), "ssrf", []string{"http://127.0.0.1/x"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"snakeyaml refuses the tag", exchange("/", 500, "text/plain", "org.yaml.snakeyaml.constructor.ConstructorException: could not determine a constructor for the tag tag:yaml.org,2002:javax.script.ScriptEngineManager"), "code-injection", []string{"!!javax.script.ScriptEngineManager [x]"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "snakeyaml-class", alert.Confidence_CONFIDENCE_HIGH, true},
		{"json.net type error", exchange("/", 500, "application/json", `{"error":"Newtonsoft.Json.JsonSerializationException: Type specified in JSON 'System.Windows.Data.ObjectDataProvider' is not compatible"}`), "code-injection", []string{`{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework"}`},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "jsonnet-type", alert.Confidence_CONFIDENCE_HIGH, true},
		{"xstream conversion error", exchange("/", 500, "text/html", page("com.thoughtworks.xstream.converters.ConversionException: java.lang.ProcessBuilder")), "java-injection", []string{"<java.lang.ProcessBuilder>"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "xstream", alert.Confidence_CONFIDENCE_HIGH, true},
		{"a deserializer named in an article", exchange("/", 200, "application/json", article+` Newtonsoft.Json.JsonSerializationException is thrown when a type is wrong.`+article), "code-injection", []string{`{"$type":"System.Diagnostics.Process, System"}`}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"a deserializer error for SQL injection is not looked for", exchange("/", 500, "", "java.io.InvalidClassException: x"), "sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "server-error", alert.Confidence_CONFIDENCE_MEDIUM, false},
		{"reflected xss", exchange("/search", 200, "text/html; charset=utf-8", page(`Results for <script>alert(1)</script>`)), "xss", []string{"<script>alert(1)</script>"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "xss-reflected", alert.Confidence_CONFIDENCE_HIGH, false},
		{"reflected xss, no content type", exchange("/search", 200, "", `Results for "><img src=x onerror=alert(1)>`), "xss", []string{`"><img src=x onerror=alert(1)>`},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "xss-reflected", alert.Confidence_CONFIDENCE_HIGH, false},
		// A string break-out echoed in a script, in a string its quote
		// opened (after an echo in the title); not in one of the other
		// quote, which JSON-encoding left it in.
		{"script string break-out", exchange("/", 200, "text/html", "<title>Results for ';alert(1)//</title><script>var q = '';alert(1)//';</script>"), "xss", []string{"';alert(1)//"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "xss-reflected", alert.Confidence_CONFIDENCE_HIGH, false},
		{"break-out inside the other quote", exchange("/", 200, "text/html", `<script>var q = "';alert(1)//";</script>`), "xss", []string{"';alert(1)//"},
			alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"break-out behind blanks", exchange("/", 200, "text/html", "<script>var q = '"+strings.Repeat(" ", 130)+"';alert(document.domain)//';</script>"), "xss",
			[]string{strings.Repeat(" ", 130) + "';alert(document.domain)//"}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "xss-reflected", alert.Confidence_CONFIDENCE_HIGH, false},
		{"escaped xss", exchange("/search", 200, "text/html", page(`Results for &lt;script&gt;alert(1)&lt;/script&gt;`)), "xss", []string{"<script>alert(1)</script>"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"bare tag is in any page", exchange("/search", 200, "text/html", page(`<script>var x=1</script>`)), "xss", []string{"q=<script>"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"xss echoed in JSON", exchange("/search", 200, "application/json", `{"q":"<script>alert(1)</script>"}`), "xss", []string{"<script>alert(1)</script>"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"ssti evaluated in JSON string", exchange("/?name={{7*7}}", 200, "application/json", `{"greeting":"49"}`), "template-injection", []string{"{{7*7}}"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "ssti-evaluated", alert.Confidence_CONFIDENCE_HIGH, false},
		{"ssti evaluated with context", exchange("/", 200, "text/html", page("Hello abc49def!")), "template-injection", []string{"abc{{7*7}}def"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "ssti-evaluated", alert.Confidence_CONFIDENCE_HIGH, false},
		{"ssti jinja string repeat", exchange("/", 200, "text/html", page("Hello 7777777")), "template-injection", []string{"{{7*'7'}}"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "ssti-evaluated", alert.Confidence_CONFIDENCE_HIGH, false},
		{"ssti not evaluated", exchange("/", 200, "text/html", page("Hello {{7*7}} <td>49</td>")), "template-injection", []string{"{{7*7}}"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"ssti result already in request", exchange("/?a=49", 200, "", `"49"`), "template-injection", []string{"{{7*7}}"}, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"template error", exchange("/", 500, "", "jinja2.exceptions.TemplateSyntaxError: unexpected '}'"), "template-injection", []string{"{{7*}}"},
			alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "jinja2", alert.Confidence_CONFIDENCE_HIGH, true},
		{"mongo error", exchange("/", 500, "", `MongoServerError: unknown operator: $foo`), "nosql-injection", []string{`{"$foo":1}`}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "mongo-server", alert.Confidence_CONFIDENCE_HIGH, true},
		{"ldap error", exchange("/", 500, "", `javax.naming.directory.InvalidSearchFilterException: Unbalanced parenthesis`), "ldap-injection", []string{`*)(uid=*`}, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL, "ldap-filter", alert.Confidence_CONFIDENCE_HIGH, true},
		{"cloudflare block", exchange("/", 403, "text/html", "<title>Attention Required! | Cloudflare</title> ... <script>alert(1)</script>"), "xss", []string{"<script>alert(1)</script>"},
			alert.Outcome_OUTCOME_BLOCKED, "waf-block", 0, false},
		{"modsecurity 406", exchange("/", 406, "text/html", "<h1>Not Acceptable!</h1><p>An appropriate representation of the requested resource could not be found on this server. This error was generated by Mod_Security.</p>"),
			"sql-injection", sqli, alert.Outcome_OUTCOME_BLOCKED, "waf-block", 0, false},
		{"f5 block with 200", exchange("/", 200, "text/html", "<html><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 123</body></html>"),
			"sql-injection", sqli, alert.Outcome_OUTCOME_BLOCKED, "waf-block", 0, false},
		{"plain 403 is not a WAF", exchange("/", 403, "application/json", `{"error":"forbidden"}`), "sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
		{"5xx only", exchange("/", 502, "text/html", "<h1>Bad Gateway</h1>"), "sql-injection", sqli, alert.Outcome_OUTCOME_ATTEMPTED, "server-error", alert.Confidence_CONFIDENCE_MEDIUM, false},
		{"unknown category", exchange("/", 200, "", "root:x:0:0:root:/root:/bin/bash"), "something-new", nil, alert.Outcome_OUTCOME_ATTEMPTED, "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Check(tt.x, tt.category, tt.payloads, 0)
			if res.Outcome != tt.outcome {
				t.Errorf("outcome %v, want %v (evidence %v)", res.Outcome, tt.outcome, res.Evidence)
			}
			rule := ""
			if len(res.Evidence) > 0 {
				rule = res.Evidence[0].Rule
			}
			if rule != tt.rule {
				t.Errorf("first evidence rule %q, want %q (evidence %v)", rule, tt.rule, res.Evidence)
			}
			if res.Confidence != tt.conf {
				t.Errorf("confidence %v, want %v", res.Confidence, tt.conf)
			}
			if res.Disclosure != tt.disclose {
				t.Errorf("disclosure %v, want %v", res.Disclosure, tt.disclose)
			}
			for _, e := range res.Evidence {
				if len(e.Value) > snippetBytes || e.Matched == "" || e.Location == "" {
					t.Errorf("bad evidence %v", e)
				}
			}
		})
	}
}

func TestCheckScanBound(t *testing.T) {
	body := strings.Repeat("x", 1000) + "\nroot:x:0:0:root:/root:/bin/bash\n"
	x := exchange("/", 200, "", body)
	if r := Check(x, "path-traversal", nil, 512); r.Outcome != alert.Outcome_OUTCOME_ATTEMPTED {
		t.Errorf("found content past the scan bound: %v", r.Evidence)
	}
	if r := Check(x, "path-traversal", nil, 2048); r.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Errorf("missed content within the scan bound")
	}
}

func TestCheckGRPCMessage(t *testing.T) {
	x := exchange("/demo.v1.Users/Get", 200, "application/grpc", "")
	x.GRPC = &decoders.GRPCCall{Status: 2, StatusMessage: `pq: syntax error at or near "OR"`}
	r := Check(x, "sql-injection", []string{"' OR 1=1--"}, 0)
	if r.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL || r.Evidence[0].Location != LocHeader || r.Evidence[1].Rule != "grpc-server-error" {
		t.Errorf("grpc-message: %v %v", r.Outcome, r.Evidence)
	}

	// File content in a (decompressed) response message.
	y := exchange("/demo.v1.Files/Read", 200, "application/grpc", "\x01\x00\x00\x00\x10compressed")
	y.GRPC = &decoders.GRPCCall{Status: 0, Responses: []decoders.GRPCMessage{{Data: []byte("\x0a\x20root:x:0:0:root:/root:/bin/bash\n")}}}
	r = Check(y, "path-traversal", []string{"../../etc/passwd"}, 0)
	if r.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL || r.Evidence[0].Rule != "passwd" {
		t.Errorf("grpc message: %v %v", r.Outcome, r.Evidence)
	}
	// Data echoing the payload is not an error.
	y.GRPC.Responses[0].Data = []byte("\x0a\x10fields:' OR '1'='1' --")
	if r = Check(y, "sql-injection", []string{"' OR '1'='1' --"}, 0); r.Outcome != alert.Outcome_OUTCOME_ATTEMPTED || len(r.Evidence) != 0 {
		t.Errorf("grpc echo: %v %v", r.Outcome, r.Evidence)
	}
}

func TestCheckCRLF(t *testing.T) {
	x := exchange("/", 302, "", "")
	x.Response.Headers = append(x.Response.Headers, decoders.Header{Name: "Location", Value: "/home"}, decoders.Header{Name: "Set-Cookie", Value: "crlf=injected"})
	r := Check(x, "crlf-injection", []string{"/home\r\nSet-Cookie: crlf=injected"}, 0)
	if r.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL || r.Evidence[0].Name != "set-cookie" {
		t.Errorf("injected header: %v %v", r.Outcome, r.Evidence)
	}
	r = Check(x, "crlf-injection", []string{"/home\r\nSet-Cookie: other=1"}, 0)
	if r.Outcome != alert.Outcome_OUTCOME_ATTEMPTED {
		t.Errorf("header not injected: %v %v", r.Outcome, r.Evidence)
	}
	r = Check(x, "crlf-injection", []string{"/home\r\nContent-Type: text/html"}, 0)
	if r.Outcome != alert.Outcome_OUTCOME_ATTEMPTED {
		t.Errorf("generic header counted: %v", r.Evidence)
	}
	// A value a server may set itself (short, or under a name servers
	// set) counts only right after the header that carries the payload's
	// text before the break.
	y := exchange("/", 302, "", "")
	y.Response.Headers = append(y.Response.Headers, decoders.Header{Name: "Location", Value: "/go?to=/x"}, decoders.Header{Name: "X-A", Value: "1"},
		decoders.Header{Name: "X-Cache-Status", Value: "HIT"}, decoders.Header{Name: "Access-Control-Allow-Credentials", Value: "true"})
	if r = Check(y, "crlf-injection", []string{"/x\r\nX-A: 1"}, 0); r.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Errorf("short injected header after its carrier: %v %v", r.Outcome, r.Evidence)
	}
	for _, p := range []string{"/x\r\nX-Cache-Status: HIT", "y\r\nX-A: 1", "/x\r\nAccess-Control-Allow-Credentials: true"} {
		if r = Check(y, "crlf-injection", []string{p}, 0); r.Outcome != alert.Outcome_OUTCOME_ATTEMPTED {
			t.Errorf("%q: a header the server may set, elsewhere: %v %v", p, r.Outcome, r.Evidence)
		}
	}
}

func TestApply(t *testing.T) {
	x := exchange("/", 500, "text/html", "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version")
	a := &alert.Alert{Category: "sql-injection", Severity: alert.Severity_SEVERITY_HIGH, Confidence: alert.Confidence_CONFIDENCE_MEDIUM,
		Owasp: []string{"A03:2021"}, Summary: "SQL injection in query parameter q"}
	Apply(a, x, []string{"1'"}, Config{})
	if a.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL || a.Severity != alert.Severity_SEVERITY_CRITICAL || a.Confidence != alert.Confidence_CONFIDENCE_HIGH {
		t.Errorf("outcome %v severity %v confidence %v", a.Outcome, a.Severity, a.Confidence)
	}
	if !strings.Contains(a.Summary, "likely successful (MySQL syntax error in response)") {
		t.Errorf("summary %q", a.Summary)
	}
	if len(a.Owasp) != 2 || a.Owasp[1] != "API8:2023" {
		t.Errorf("owasp %v", a.Owasp)
	}
	if len(a.ResponseEvidence) != 2 || a.ResponseEvidence[0].Rule != "mysql-syntax" || a.ResponseEvidence[1].Rule != "server-error" {
		t.Errorf("response evidence %v", a.ResponseEvidence)
	}
	if _, err := alert.MarshalJSON(a); err != nil {
		t.Fatal(err)
	}

	// Nothing in the response: attempted, nothing else changes.
	b := &alert.Alert{Category: "xss", Severity: alert.Severity_SEVERITY_MEDIUM, Summary: "s"}
	Apply(b, exchange("/", 200, "application/json", `{"ok":true}`), []string{"<b>x</b>"}, Config{})
	if b.Outcome != alert.Outcome_OUTCOME_ATTEMPTED || b.Severity != alert.Severity_SEVERITY_MEDIUM || b.Summary != "s" || len(b.ResponseEvidence) != 0 {
		t.Errorf("benign: %v", b)
	}
}

func TestApplyRedacts(t *testing.T) {
	x := exchange("/", 200, "application/json", `{"AccessKeyId" : "ASIAEXAMPLE","SecretAccessKey":"wJalrXUtnFEMI/K7MDENG","Token":"tok"}`)
	a := &alert.Alert{Category: "ssrf", Severity: alert.Severity_SEVERITY_HIGH}
	Apply(a, x, []string{"http://169.254.169.254/"}, Config{})
	for _, e := range a.ResponseEvidence {
		if strings.Contains(e.Value, "wJalr") {
			t.Errorf("secret left in evidence: %q", e.Value)
		}
	}
	if a.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Errorf("outcome %v", a.Outcome)
	}
	y := exchange("/", 200, "", "root:$6$salt$abcdefghijk:19000:0:99999:7:::\n")
	b := &alert.Alert{Category: "path-traversal"}
	Apply(b, y, nil, Config{})
	if len(b.ResponseEvidence) == 0 || strings.Contains(b.ResponseEvidence[0].Value, "abcdefghijk") {
		t.Errorf("shadow hash: %v", b.ResponseEvidence)
	}
}

func TestSetOutcomeNeverLowers(t *testing.T) {
	a := &alert.Alert{Severity: alert.Severity_SEVERITY_CRITICAL}
	detect.SetOutcome(a, alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL)
	detect.SetOutcome(a, alert.Outcome_OUTCOME_ATTEMPTED)
	if a.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL || a.Severity != alert.Severity_SEVERITY_CRITICAL {
		t.Errorf("%v %v", a.Outcome, a.Severity)
	}
}

func TestAnchorsAreLowerCase(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range sigs {
		if seen[s.id] {
			t.Errorf("duplicate signature id %q", s.id)
		}
		seen[s.id] = true
		if classNames[s.class] == "" {
			t.Errorf("%s: class without a name", s.id)
		}
	}
}

// TestCheckErrorEndsBody: a DBMS error that ends a long page (a script
// that died after its layout) is the server's, even for a payload too
// short to find echoed; the same text with the page going on after it is
// not, nor is a body cut by the capture.
func TestCheckErrorEndsBody(t *testing.T) {
	layout := "<!DOCTYPE html>\n<html><body>\n" + strings.Repeat("<li><a href=\"/c\">Category</a></li>\n", 80) + "<h2>Product</h2>\n"
	mysql := "You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''''' at line 1"
	x := exchange("/product?id='", 200, "text/html", layout+mysql+"\n")
	if r := Check(x, "sql-injection", []string{"'"}, 0); r.Outcome != alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Errorf("error ending the page: %v %v", r.Outcome, r.Evidence)
	}
	x = exchange("/product?id='", 200, "text/html", layout+mysql+"\n</body></html>\n")
	if r := Check(x, "sql-injection", []string{"'"}, 0); r.Outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Errorf("error inside a page that goes on: %v %v", r.Outcome, r.Evidence)
	}
	x = exchange("/product?id='", 200, "text/html", layout+mysql)
	x.Response.BodyTruncated = true
	if r := Check(x, "sql-injection", []string{"'"}, 0); r.Outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Errorf("error at the end of a cut body: %v %v", r.Outcome, r.Evidence)
	}
	x = exchange("/product?id='", 200, "text/html", layout+mysql)
	x.Response.Incomplete = true
	if r := Check(x, "sql-injection", []string{"'"}, 0); r.Outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
		t.Errorf("error at the end of a reset body: %v %v", r.Outcome, r.Evidence)
	}
	// Benign bodies whose last line quotes an error: a minified article,
	// a log tail, an event stream.
	for _, tc := range []struct{ ct, body string }{
		{"text/html", "<!DOCTYPE html>\n" + strings.Repeat("<p>x</p>", 300) + "<p>MySQL then says: " + mysql + "</p></body></html>"},
		{"text/plain", strings.Repeat("2026-11-29 INFO request served\n", 80) + "2026-11-29 ERROR SQLSTATE[42000]: " + mysql + "\n"},
		{"text/event-stream", strings.Repeat("data: {\"n\":1}\n\n", 200) + "data: " + mysql + "\n\n"},
	} {
		x = exchange("/logs?q=' OR 1=1--", 200, tc.ct, tc.body)
		if r := Check(x, "sql-injection", []string{"' OR 1=1--x"}, 0); r.Outcome == alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL {
			t.Errorf("%s ending with a quoted error: %v %v", tc.ct, r.Outcome, r.Evidence)
		}
	}
}

// TestCheckGCPListing: GCP's metadata listings confirm SSRF by consecutive
// entries; a lone "oauth/" line (a .gitignore) does not.
func TestCheckGCPListing(t *testing.T) {
	for body, want := range map[string]alert.Outcome{
		"instance/\noauth/\nproject/\n":                                   alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL,
		"attributes/\nnumeric-project-id\nproject-id\n":                   alert.Outcome_OUTCOME_LIKELY_SUCCESSFUL,
		"node_modules/\noauth/\n.env\ncpu-platform\nnumeric-project-id\n": alert.Outcome_OUTCOME_ATTEMPTED,
	} {
		x := exchange("/fetch?url=http://metadata.google.internal/computeMetadata/v1/", 200, "text/plain", body)
		if r := Check(x, "ssrf", []string{"http://metadata.google.internal/computeMetadata/v1/"}, 0); r.Outcome != want {
			t.Errorf("%q: %v %v, want %v", body, r.Outcome, r.Evidence, want)
		}
	}
}
