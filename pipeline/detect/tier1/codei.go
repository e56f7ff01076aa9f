package tier1

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/literals"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// Code injection: a value that carries source code or serialized objects
// of the language the back end runs (PHP, Java, Node.js, Perl, Ruby,
// Python, C#), or that rewrites a JavaScript prototype.
var (
	rulePHP = rule{
		Rule:  detectRule("php-injection", "code-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "PHP code injection",
	}
	ruleJava = rule{
		Rule:  detectRule("java-injection", "code-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "Java code or deserialization injection",
	}
	ruleNode = rule{
		Rule:  detectRule("node-injection", "code-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "Node.js code injection",
	}
	rulePerl = rule{
		Rule:  detectRule("perl-injection", "code-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "Perl code injection",
	}
	ruleDotnet = rule{
		Rule:  detectRule("dotnet-injection", "code-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: ".NET code injection",
	}
	ruleRuby = rule{
		Rule:  detectRule("ruby-injection", "code-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "Ruby code injection",
	}
	// A type tag or a gadget a deserializer instantiates: the request
	// carries objects, not data (A08:2021, Software and Data Integrity
	// Failures, is where OWASP files insecure deserialization).
	ruleDeser = rule{
		Rule:  detectRule("deserialization-gadget", "code-injection", []string{"A08:2021", "A03:2021"}, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_HIGH),
		title: "Insecure deserialization gadget",
	}
	rulePython = rule{
		Rule:  detectRule("python-injection", "code-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "Python code injection",
	}
	ruleProto = rule{
		Rule:  detectRule("prototype-pollution", "code-injection", owaspInjection, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "JavaScript prototype pollution",
	}
)

// Code reaches an interpreter from any parameter and from the headers a
// client controls (logged, templated, deserialized).
var codeiFamily = family{
	name:        "codei",
	values:      true,
	moreHeaders: codeiHeader,
	match:       matchCodei,
	// Every code pattern needs one of these bytes (registered as
	// prefilter classes; pre does the check).
	trigger: "(<.$_{[:@",
	pre: func(p *decoders.Param, in *input) bool {
		// A base64 gadget name travels as a value of its own, with an
		// upper-case letter (as every needle has); Java's serialization
		// magic also as a parameter name (a JSON key). Code needs a word:
		// prices and decimal ids have a '.' and nothing to run.
		return in.classes&codeiMask != 0 && in.codeWord() && codeUnderscoreWorth(in) || in.mayChange() ||
			in.hasAny(upperClass) && (base64Token(strings.TrimSpace(in.best)) || javaMagic(in.best) != "") ||
			in.hasAny(digitClass) && in.hasAny(lowerClass|upperClass) && hexMagic(in.best) || codeiName(p.Name)
	},
}

// codeiHeader reports the two request headers beyond detect.ScannedHeader
// that Java frameworks evaluate: Content-Type, whose OGNL Struts' Jakarta
// multipart parser ran on an error (S2-045, CVE-2017-5638, the Equifax
// breach), and Spring Cloud Function's routing expression, SpEL
// (CVE-2022-22963). No content type has code in it; other standard headers
// stay out, as their grammars look like payloads.
func codeiHeader(name string) bool {
	return name == "content-type" || name == "spring.cloud.function.routing-expression"
}

// phpDyn finds PHP calls whose function name is built or hidden so that
// filters on "system(" miss it: a quoted name called directly
// ("system"(ls), "\x73y\x73tem"(ls)), array and constant tricks
// ([system][0](ls), (['system'])[0](…), (z)[0][0]('uname')), a (string)
// cast, bareword concatenation ((sy.(st).em)(…)), a name concatenated into
// a variable or constant and called through it ($y='sys'.'tem';($y)(…)),
// obfuscated variable functions (${@a}(1), $OOO0{0}(1), $__[_]{_}(1)) and
// comments between a dangerous function and its parenthesis (exec#\n(…)).
var phpDyn = regexp.MustCompile(`['"](?:system|exec|passthru|shell_exec|assert|eval|popen|proc_open|phpinfo|create_function|call_user_func)['"]\s*\(` +
	`|\[\s*['"]?[a-z_]\w*['"]?\s*\]\s*\)?\s*\[\s*0\s*\]\s*\)?\s*(?:\{[^}]{0,30}\}\s*)?\(` +
	`|\)\s*(?:\[\s*0\s*\]\s*)+\(\s*['"]` +
	`|\(\s*string\s*\)\s*(?:["'{]|\[)` +
	`|\(\s*[a-z]{1,8}\s*\.\s*\(?\s*[a-z]{1,8}\s*\)?\s*\.\s*[a-z]{1,8}\s*\)\s*\(` +
	`|['"][a-z]{1,8}['"]\s*\.\s*['"][a-z]{1,8}['"][^;]{0,30};\s*\(\s*\$?\w+\s*\)\s*(?:/\*[^*]*\*/\s*)?\(` +
	`|\$\s*\{\s*[@_][^}]{0,20}\}\s*\(` +
	`|\$[a-z_]\w*(?:\{\w*\}|\[[^\]]{0,10}\]){1,4}\s*\(` +
	`|\b(?:exec|system|passthru|shell_exec|assert|eval|popen|proc_open)\s*(?:(?://|#)[^\n]*\n\s*|/\*[^*]*\*/\s*)+\(`)

// phpInterp finds a call inside "${…}", which PHP evaluates when it
// interpolates a double-quoted string (${@print(md5(1))}, {${phpinfo()}}):
// with '@', PHP's error silencer, any function; without, the ones probes
// call that JavaScript has not (its template literals call functions in
// "${…}" too: ${exec(cmd).status} is JavaScript); inside "{${…}}", which
// only PHP writes, any function.
var phpInterp = regexp.MustCompile(`\$\{\s*(?:@\s*[a-z_]\w*|passthru|shell_exec|phpinfo|assert|popen|proc_open|file_get_contents|file_put_contents)\s*\(` +
	// "{${" is PHP's own: any function.
	`|\{\$\{\s*@?\s*[a-z_]\w*\s*\(`)

// phpDynHint is phpDyn's prefilter: a variable, a comment (a line
// comment only with a line break after it, as phpDyn needs: "gate code
// 15# (back door)" is no call), a cast, or a call parenthesis after a
// quoted name or a closing bracket (FuzzPhpDynHint).
func phpDynHint(s string) bool {
	if strings.IndexByte(s, '$') >= 0 || strings.Contains(s, "/*") || strings.Contains(s, "string") ||
		(strings.IndexByte(s, '#') >= 0 || strings.Contains(s, "//")) && strings.IndexByte(s, '\n') >= 0 {
		return true
	}
	// Otherwise a call parenthesis right after a closing bracket ([0](,
	// )(, }() or a quoted name ("system"(; not prose's `"it's late" (left
	// at 5)`).
	for i := strings.IndexByte(s, '('); i >= 0; {
		j := i - 1
		for j >= 0 && strings.IndexByte(" \t\n\v\f\r", s[j]) >= 0 {
			j-- // phpDyn's \s*: a line break too ("system"\n(ls))
		}
		if j >= 0 && strings.IndexByte("])}", s[j]) >= 0 {
			return true
		}
		if j >= 0 && (s[j] == '\'' || s[j] == '"') {
			k := j - 1
			for k >= 0 && ('a' <= s[k] && s[k] <= 'z' || s[k] == '_') {
				k--
			}
			if k < j-1 && k >= 0 && (s[k] == '\'' || s[k] == '"') {
				return true
			}
		}
		k := strings.IndexByte(s[i+1:], '(')
		if k < 0 {
			return false
		}
		i += 1 + k
	}
	return false
}

// phpDoubleExt finds an upload name with a PHP extension before an image
// or text one (shell.php.jpg, x.phar.png): servers that map handlers by
// any extension run it as PHP.
var phpDoubleExt = regexp.MustCompile(`^[\w./-]*\.\s*(?:php\d?|phtml|phar|pht)\s*\.\s*(?:jpe?g|png|gif|bmp|ico|txt|pdf|zip)\s*$`)

var (
	// phpTag finds PHP open tags (<?php, <?=, "<? " and a short tag that
	// ends the value, where it opens code the rest of the page closes —
	// not <?xml) and BBCode/Smarty php blocks.
	phpTag = regexp.MustCompile(`<\?(?:php\b|=|\s|$)|[\[{][\\/]?php[\]}]`)
	// phpVar finds the request superglobals, variable variables
	// (${'name'}, ${$name}; CMake's ${${list}} is not one), PHP's complex
	// variable syntax with blanks after the dollar ($ {NAME}), which no
	// shell or template language accepts, as a statement of its own (a
	// price, "$ {amount}", has words before it), and the php:// stream
	// wrappers: php://input and php://filter (the request body and a
	// file's source as code or text) anywhere, the others (php://stdout,
	// php://memory …) as the whole value, where a file name goes.
	phpVar = regexp.MustCompile(`\$_(?:get|post|request|cookie|server|files|env|session)\b|\$\s*\{\s*(?:['"]|\$[a-z_])` +
		`|(?:^|[;=(.])\s*\$\s+\{\s*\w+\s*\}\s*(?:[(\[;]|$)` +
		`|\bphp://(?:input|filter)\b|^\s*php://(?:std(?:in|out|err)|output|memory|temp|fd)\b`)
	// phpFile finds a file name that makes a PHP script out of an upload:
	// the extensions PHP handlers run besides .php (.phtml, .phar, .php5,
	// …), and .php followed by the dots or spaces Windows drops from a
	// name.
	phpFile = regexp.MustCompile(`^[^\s/?#:]*(?:/[^\s/?#:]+)*\.(?:phtml|phar|pht|phps|phpt|php[3-8]|php\d*(?:\s*\.|\s+$|\.\s|\.+$))[\s.]*$|^[^\s/?#:]+\.\s+ph(?:p\d*|tml|ar)\s*$`)
	// phpIni finds php.ini directives that turn on remote includes, run
	// a file before every script or lift restrictions, as set through an
	// uploaded .user.ini or PHP-CGI's -d arguments (CVE-2024-4577).
	phpIni = regexp.MustCompile(`(?:^|[\s;&-])(?:auto_prepend_file|auto_append_file|allow_url_include|allow_url_fopen|disable_functions|open_basedir|extension_dir|include_path|cgi\.force_redirect|unserialize_max_depth|sendmail_path|error_log|memory_limit|opcache\.[a-z_]+|mbstring\.[a-z_]+)\s*=`)
	// phpSerial finds serialized PHP objects (object injection through
	// unserialize) and a function name called through a cast or a
	// parenthesis: (system)('id').
	phpSerial = regexp.MustCompile(`(?:^|[^a-z0-9])[oc]:\d+:"[a-z_\\][a-z0-9_\\]*":\d+:\{|\(\s*['"]?\s*(?:system|exec|shell_exec|passthru|assert|eval|popen)\s*['"]?\s*\)\s*\(`)

	// javaCode finds Java payloads: the classes that run commands, load
	// code or reach files and the network (java.lang.Runtime,
	// ProcessBuilder, java.io streams, reflection, script engines), the
	// Struts/OGNL and Spring EL ways to reach them (#_memberAccess,
	// @java.lang…, T(java.lang…), T(Runtime), @Runtime@: SpEL and OGNL
	// take java.lang's classes without their package), the gadget classes
	// of deserialization chains (commons-collections transformers), Java
	// serialization magic as hex or base64 (aced0005, rO0AB), and Groovy
	// running a string, a list or strings joined in parentheses as a
	// command ("id".execute(), ("i"+"d").execute(); a call's result,
	// prepare("…" + q).execute(), is not one).
	javaCode = regexp.MustCompile(`(?:^|[^a-z0-9_])(?:java\.(?:lang\.(?:runtime|process|processbuilder|processimpl|system|class|classloader|reflect|object|string|stringbuilder|thread|integer|number)|io\.[a-z]*(?:file|stream|reader|writer)[a-z]*|net\.(?:url|socket|serversocket|urlclassloader)|nio\.file|beans\.)` +
		`|java\.(?:[a-z_$][\w$]*\.){0,3}(?:runtime|processbuilder|process)\b` +
		`|javax\.(?:script|naming|management)\.|com\.opensymphony\.xwork2|com\.sun\.(?:org\.apache|jndi|rowset)|org\.apache\.(?:commons\.(?:collections|beanutils)|xalan|struts2|catalina)|org\.springframework\.(?:context|beans|expression)|org\.omg\.corba|sun\.misc\.|sun\.reflect\.)` +
		`|runtime\s*\.\s*getruntime\s*\(|new\s+processbuilder\s*\(|processbuilder\s*\.|runtime\s*\.\s*(?:exec|clonetransformer|forclosure|instantiatefactory|instantiatetransformer|invokertransformer|prototypeclonefactory|prototypeserializationfactory|whileclosure)\b` +
		`|#_memberaccess|@java\.lang|@runtime@|#context\s*\[|%\{\s*\(?#|\bt\s*\(\s*(?:java\.|(?:runtime|processbuilder)\s*\)\s*\.)|class\.forname\s*\(|\.getclass\s*\(\s*\)\s*\.\s*forname|scriptenginemanager|\.getdeclaredmethod\s*\(` +
		`|(?:^|[^a-z0-9])aced0005|['"]\s*\??\.\s*execute\s*\(|(?:^|[\s=(,])\[\s*['"][^\]]{0,200}['"]\s*\]\s*\.\s*execute\s*\(|(?:^|[^\w$.])\(\s*['"][^'"()]{0,40}['"]\s*\+[^()]{0,200}\)\s*\??\.\s*execute\s*\(|\bgroovy\.(?:lang\.groovy(?:shell|classloader)|util\.eval)\b`)

	// dotnetCode finds C# that starts a process, as sent to what
	// evaluates C# or a LINQ expression (Roslyn scripting, Dynamic LINQ:
	// CVE-2023-32571): Process.Start with a string, a ProcessStartInfo
	// built, the Process type named for reflection (typeof(…),
	// Type.GetType("…")), and Dynamic LINQ's way from any object to the
	// runtime's types ("".GetType().Assembly). "Process.Start is how…"
	// in prose has no call.
	dotnetCode = regexp.MustCompile(`\bprocess\.start\s*\(\s*(?:[@$]?"|new\b)|\bprocessstartinfo\s*[({]` +
		`|\bsystem\.diagnostics\.process(?:startinfo)?\s*(?:\)|['"]\s*\))|\.\s*gettype\s*\(\s*\)\s*\.\s*assembly\b`)

	// jspFile finds a file name that makes a JSP out of an upload with the
	// dots or spaces Windows drops from a name ("shell.jsp.", "a.jspx ",
	// "shell. jsp").
	jspFile = regexp.MustCompile(`^[^\s/?#:]*(?:/[^\s/?#:]+)*\.\s*jspx?(?:\s+|\.+)[\s.]*$|^[^\s/?#:]+\.\s+jspx?$`)

	// nodeCode finds server-side JavaScript: the child_process module
	// named in code (quoted, called, or a method taken from it: C's
	// "struct child_process" is not) and the process object that reaches
	// it (process.kill, not Go's os.Process.Kill), node-serialize's
	// function marker (_$$ND_FUNC$$_, funcster's __js_function), the
	// Function constructor reached through constructor chains, code built
	// from char codes, injected infinite loops (a while with a constant
	// condition, also in extra parentheses, then a body, a semicolon or
	// the end, not a word: denial of service in $where or vm code),
	// dynamic access to process and require (process[…], require.main,
	// Module._load), process.env as the whole value or handed whole to a
	// call or a template (the secrets an eval sink leaks; "port =
	// process.env.PORT" in a snippet is not), console reached with a
	// bracketed name or called through .call/.apply (eval-sink probes that
	// avoid "console.log("), an anonymous function that opens an
	// immediately invoked expression or is left open for the page to
	// close, and React Server Components' flight references that walk to
	// a constructor or prototype ($1:constructor:constructor,
	// $1:__proto__:then, $7:Module:prototype; CVE-2025-55182).
	nodeCode = regexp.MustCompile(`[('"\x60]\s*child_process\b|\bchild_process\s*(?:[)'"\x60]|\.\s*(?:exec|spawn|fork)\w*)` +
		`|(?:^|[^.\w])process\s*\.\s*(?:mainmodule|binding|dlopen|kill|exit)\b|\brequire\s*\(\s*['"\x60](?:child_process|fs|net|vm|os)['"\x60]` +
		`|_\$\$nd_func\$\$_|__js_function|\bconstructor\s*\.\s*constructor\s*\(|\bthis\.constructor\.constructor|\bnew\s+function\s*\(|\beval\s*\(\s*string\.fromcharcode\b|\bstring\.fromcharcode\s*\(\s*\d+\s*,` +
		`|\bwhile\s*\(\s*(?:\(\s*)*(?:true|1|!\s*(?:false|[-+]?0|''|""|\x60\x60))\s*\)\s*(?:$|[;{)])|\bwhile\s*\(\s*\(?[^()]{0,20}\)?\s*\)\s*(?:;|$|\{\s*\})|\bfor ?\(\s*;\s*;\s*\)` +
		`|\bmodule\.exports\s*=|\bglobal(?:this)?\s*\.\s*process\b|\[\s*['"]constructor['"]\s*\]\s*\[\s*['"]constructor['"]\s*\]\s*\(|\.\s*constructor\s*\(\s*['"\x60]return\s|\bdeno\s*\.\s*(?:run|command)\s*\(|\bbun\s*\.\s*spawn(?:sync)?\s*\(|(?:^|['"])\s*;\s*return\s+process\b|\bimport\s*\(\s*['"](?:child_process|fs)` +
		`|\bprocess\s*\[|\brequire\s*(?:\[|\.\s*main\b)|\._load\s*\(|\$[0-9a-f]{1,8}:(?:__proto__\b|constructor:constructor|\w+:prototype\b)` +
		`|^\s*process\s*\.\s*env(?:\s*\.\s*\w+|\s*\[[^\]]{0,40}\])?\s*;?\s*$|\(\s*process\s*\.\s*env\s*\)|\$\{\s*process\s*\.\s*env\s*\}` +
		`|\bconsole\s*\[\s*['"\x60]\w+['"\x60]\s*\]\s*\(|\bconsole\s*\.\s*\w+\s*\.\s*(?:call|apply)\s*\(` +
		`|^\s*\(\s*(?:async\s+)?function\s*\(|^\s*(?:async\s+)?function\s*\(\s*\)\s*\{\s*$`)

	// nodeConsole finds a value that is one console call with literal
	// arguments (console.info(1)): an eval sink's probe. In a question
	// the call has words around it or an expression inside.
	nodeConsole = regexp.MustCompile(`^\s*console\s*\.\s*[a-z]+\s*\(\s*(?:\d+|'[^']{0,20}'|"[^"]{0,20}"|\x60[^\x60]{0,20}\x60)?\s*\)\s*;?\s*$`)

	// rubyCode finds Ruby's ways to run a command from code:
	// Process.spawn, Kernel#exec/system/spawn, IO.popen and Open3, the %x()
	// literal, open("|cmd") (Kernel#open and URI.open run a command after a
	// pipe), send(:system, …), Object.const_get(:Kernel), a value that is a
	// spawn("…") call.
	rubyCode = regexp.MustCompile(`\b(?:process|kernel)\s*\.\s*(?:spawn|exec|system)\s*\(|\bio\s*\.\s*popen\s*\(|\bopen3\s*\.\s*(?:popen[23e]?|capture[23]?\w*)\s*\(` +
		`|(?:^|[#{=;(]\s*)%x\s*[({\[]|\bopen\s*\(\s*['"]\s*\||\b(?:public_)?send\s*\(\s*:(?:system|exec|spawn|eval|instance_eval|class_eval|\x60)` +
		`|\bconst_get\s*\(\s*:kernel\s*\)|^\s*spawn\s*\(\s*['"]`)

	// pythonCode finds what injected Python carries and a developer's
	// snippet or question does not (they call os.system and subprocess
	// too, with words around: "os.system('ls -la')  # list files", and
	// name one dunder at a time: "object.__subclasses__()",
	// "MyClass.__mro__[1]"): a module imported inline by name and used at
	// once (__import__('os').system, the one-liner that needs no import
	// statement), a chain of dunder attributes that climbs from any object
	// to the builtins, the sandbox escape of eval'd expressions and of
	// templates outside {{ }} (().__class__.__bases__[0].__subclasses__(),
	// x.__init__.__globals__['os']), the builtins or a function's globals
	// indexed for a module or a sink (__builtins__['eval'],
	// f.__globals__['os']), exec or eval of a string that imports, and a
	// pickle stream's GLOBAL or INST opcode loading a command runner
	// (cos\nsystem\n, (S'id'\nios\nsystem\n, in protocol 0's text,
	// which base64 cookies carry); a module reached by name
	// (getattr(__import__('os'), …), sys.modules['os'].system,
	// importlib.import_module('os').…) and the one-line import-and-call
	// an injection sends ("import os;os.system('id')").
	pythonCode = regexp.MustCompile(`\b__import__\s*\(\s*['"][\w.]+['"]\s*\)\s*\.\s*\w` +
		`|\b__(?:class|bases?|mro|init|globals|builtins|subclasses|getattribute|dict)__[^\s]{0,60}?__(?:subclasses|globals|builtins|bases?|mro|import)__` +
		`|\b__builtins__\s*(?:\[|\.\s*(?:eval|exec|open|compile)\b)|\b__globals__\s*\[\s*['"](?:os|sys|subprocess|__builtins__)['"]` +
		`|\b(?:eval|exec)\s*\(\s*['"]\s*(?:import\s|__import__)` +
		`|(?:^|[\n(])[ci](?:os|posix|nt|subprocess|builtins|__builtin__)\n(?:system|popen|exec\w*|spawn\w*|eval|call|run|check_output|getoutput)\n` +
		`|\bgetattr\s*\(\s*__import__\s*\(|\bsys\s*\.\s*modules\s*\[\s*['"](?:os|subprocess|posix|pty)['"]\s*\]\s*\.\s*\w` +
		`|\bimportlib\s*\.\s*import_module\s*\(\s*['"](?:os|subprocess|posix|pty)['"]\s*\)\s*\.` +
		`|(?:^|;)\s*import\s+(?:os|subprocess|pty|socket)\s*;\s*(?:os\s*\.\s*(?:system|popen|exec\w*|spawn\w*)|subprocess\s*\.\s*\w+|pty\s*\.\s*spawn|socket\s*\.\s*socket)\s*\(`)
	// pythonOSCall is pythonCode's lone os.system/os.popen call, looked
	// for in a value that starts with "os" (pythonOSStart).
	pythonOSCall = regexp.MustCompile(`^\s*os\s*\.\s*(?:system|popen)\s*\(\s*(?:'[^']{1,60}'|"[^"]{1,60}")\s*\)(?:\s*\.\s*read\s*\(\s*\))?\s*;?\s*$`)

	// protoPollution finds writes to a JavaScript object's prototype
	// through merge or path-setting code: __proto__, constructor.prototype
	// (dotted or bracketed).
	protoPollution = regexp.MustCompile(`__proto__|constructor\s*\]?\s*(?:\.\s*|\[\s*['"]?)prototype\b|constructor['"]?\s*:\s*\{\s*['"]?prototype\b`)

	// perlCode finds Perl interpolation of code in a string (@{[ … ]})
	// and Perl's ways to run commands (qx, open with a pipe, system).
	perlCode = regexp.MustCompile(`@\{\s*\[|\bqx\s*[{(/|]|\bopen\s*\(?\s*\w+\s*,\s*['"]\s*\|` + "|\\bexec\\s*\\{")
)

// phpFuncs are the PHP functions that run code or commands, write or read
// files, or decode hidden payloads: a call of one with a code-like argument
// is PHP injection. The ones whose call alone is (shell_exec, gzinflate …)
// are in phpRiskFuncs only.
var phpFuncs = map[string]bool{
	"eval": true, "assert": true, "system": true, "exec": true, "popen": true, "file_get_contents": true,
	"fopen": true, "fwrite": true, "readfile": true, "include": true, "include_once": true, "require_once": true,
	"base64_decode": true, "preg_replace": true, "unserialize": true, "symlink": true, "putenv": true,
	"ini_set": true, "bzdecompress": true, "array_map": true, "usort": true,
}

// phpRiskFuncs are PHP functions no other language or prose spells this
// way, that run code or commands, open sockets, reveal the process's
// identity and symbols (recon before an exploit: CRS 933150) or undo the
// compression and reversal that hide a payload. A call of one is PHP
// injection whatever its arguments, also glued to a junk prefix
// (FOOgzinflate()) or written as an assignment-looking call
// (shell_exec=(…)), which PHP's lexer and some filters read differently.
var phpRiskFuncs = []string{
	"call_user_func", "call_user_func_array", "create_function", "shell_exec", "proc_open", "pcntl_exec",
	"passthru", "fsockopen", "stream_socket_client", "gzinflate", "gzdecode", "gzuncompress", "zlib_decode",
	"str_rot13", "get_defined_functions", "get_defined_vars", "get_defined_constants", "get_current_user",
	"get_cfg_var", "php_uname", "phpinfo", "assert_options", "posix_getpwuid", "posix_getpwnam",
	"posix_getegid", "posix_geteuid", "posix_getgid", "posix_getuid", "posix_getlogin", "posix_kill",
	"posix_mkfifo", "posix_setuid", "register_shutdown_function", "move_uploaded_file", "highlight_file",
	"show_source", "file_put_contents", "runkit_function_add", "runkit_function_redefine",
}

// phpWholeFuncs are PHP functions whose names are also words or other
// languages' functions (printf, file, substr, unpack …; CRS 933150 and
// 933160): a call of one is PHP only when it is the whole value (after
// at most a path, as in a routed URL), with no arguments or literal or
// variable ones — a probe, not a sentence that mentions the function.
// Bare-word arguments ("mkdir(path)", a signature looked up in docs)
// count only for the names no other language has, marked true.
var phpWholeFuncs = map[string]bool{
	// PHP's alone: snake_case and PHP's run-together names.
	"print_r": true, "var_dump": true, "var_export": true, "strrev": true, "file_exists": true,
	"curl_init": true, "curl_exec": true, "filegroup": true, "fileowner": true, "strip_tags": true,
	"opendir": true, "scandir": true, "readdir": true, "tmpfile": true, "getmypid": true, "getmyuid": true,
	"phpversion": true, "ini_get": true, "ini_get_all": true, "parse_ini_file": true, "set_include_path": true,
	"preg_replace_callback": true, "error_reporting": true, "get_loaded_extensions": true,
	"sys_get_temp_dir": true,
	// Names other languages and prose use too.
	"intval": false, "printf": false, "substr": false, "unpack": false, "file": false, "fputs": false,
	"glob": false, "unlink": false, "mkdir": false, "getcwd": false, "escapeshellcmd": false, "getenv": false,
	"dirname": false,
}

// phpCall finds, at each "(" of s, a variable function call ($a(1),
// $_GET['f'](), $$b(2), also with comments between the subscripts), a
// call of a phpRiskFuncs function, or a call of a phpFuncs function whose
// argument starts like code (a quote, a variable, @, a nested call, or
// nothing), and returns the call's text. An empty call followed by a
// word ("the fopen() wrapper") mentions the function, not calls it.
func phpCall(s string) string {
	for i := strings.IndexByte(s, '('); i >= 0; {
		j := i
		for j > 0 && phpSpace(s[j-1]) {
			j--
		}
		// An assignment-looking call: name=(…) (function names only).
		eq := false
		if j > 0 && s[j-1] == '=' {
			eq = true
			j--
			for j > 0 && phpSpace(s[j-1]) {
				j--
			}
		}
		// Array subscripts between a variable and its call: $f['x'](,
		// with whitespace and comments between them.
		for k := 0; k < 4 && !eq && j > 0 && s[j-1] == ']'; k++ {
			// Only the subscript's own bytes are searched: a search back
			// to the start would make "](](…" quadratic.
			lo := max(0, j-42)
			o := strings.LastIndexByte(s[lo:j-1], '[')
			if o < 0 {
				break
			}
			o += lo
			j = phpSkipBack(s, o)
		}
		e := j
		for j > 0 && (wordChar(s[j-1])) {
			j--
		}
		name := s[j:e]
		a := strings.TrimLeft(s[i+1:], " \t\r\n")
		switch {
		case name == "" || phpMention(a):
		case !eq && j > 0 && s[j-1] == '$' && !('0' <= name[0] && name[0] <= '9') && (j < 2 || !wordChar(s[j-2])):
			// A space before the parenthesis is prose ("$PATH (most
			// shells)") unless the argument is code-like.
			if !phpSpace(s[i-1]) || a != "" && (strings.IndexByte("'\"$@)", a[0]) >= 0 || '0' <= a[0] && a[0] <= '9') {
				return s[j-1 : i+1]
			}
		case phpRisk(name):
			return s[j:min(len(s), i+1+16)]
		case eq:
		case phpFuncs[name] && (j == 0 || !wordChar(s[j-1]) && s[j-1] != '$' && s[j-1] != '>' && s[j-1] != '.' && s[j-1] != '-'):
			if a == "" || strings.IndexByte("'\"$@()", a[0]) >= 0 || callStart(a) {
				return s[j:min(len(s), i+1+16)]
			}
		}
		n := strings.IndexByte(s[i+1:], '(')
		if n < 0 {
			break
		}
		i += 1 + n
	}
	return phpWholeCall(s)
}

func phpSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// phpSkipBack returns the start of the whitespace and PHP line comments
// (# or // to the end of a line) that end at j.
func phpSkipBack(s string, j int) int {
	for {
		nl := false
		for j > 0 && phpSpace(s[j-1]) {
			nl = nl || s[j-1] == '\n'
			j--
		}
		if !nl {
			return j
		}
		line := s[strings.LastIndexByte(s[:j], '\n')+1 : j]
		c := strings.IndexByte(line, '#')
		if d := strings.Index(line, "//"); d >= 0 && (c < 0 || d < c) {
			c = d
		}
		if c < 0 {
			return j
		}
		j -= len(line) - c
	}
}

// phpMention reports whether a, what follows a call's "(", is an empty
// argument list followed by a word: "fopen() wrapper", "gzinflate():
// data error" in prose. After a semicolon, a word that ends a statement
// or is called is the next statement, not prose: "phpinfo(); exit;",
// "phpinfo(); die()".
func phpMention(a string) bool {
	if a == "" || a[0] != ')' {
		return false
	}
	a = a[1:]
	semi := a != "" && a[0] == ';'
	if a != "" && strings.IndexByte(";:,.", a[0]) >= 0 {
		a = a[1:]
	}
	r := strings.TrimLeft(a, " \t")
	if len(r) == len(a) || r == "" || !wordChar(r[0]) {
		return false
	}
	if semi {
		w := 0
		for w < len(r) && wordChar(r[w]) {
			w++
		}
		if n := strings.TrimLeft(r[w:], " \t"); n == "" || n[0] == ';' || n[0] == '(' {
			return false
		}
	}
	return true
}

// phpRisk reports whether name is, or ends with, a phpRiskFuncs name.
func phpRisk(name string) bool {
	if len(name) < 7 {
		return false
	}
	for _, f := range phpRiskFuncs {
		if strings.HasSuffix(name, f) {
			return true
		}
	}
	return false
}

// phpWholeCall returns s when it is one call, after at most a path, of a
// phpWholeFuncs or phpFuncs function with literal or variable arguments
// ("printf(foo)", "/get/substr($x)", "file\n()", "system(whoami);"),
// or "". include and require take a string: include(Module) is CMake.
func phpWholeCall(s string) string {
	t := strings.TrimSpace(s)
	i := strings.IndexByte(t, '(')
	if i < 0 || len(t) > 120 {
		return ""
	}
	// The path a routed URL puts before the call.
	name := strings.TrimRight(t[:i], " \t\r\n")
	if k := strings.LastIndexByte(name, '/'); k >= 0 {
		if name[0] != '/' || strings.ContainsAny(name[:k], " ?#") {
			return ""
		}
		name = name[k+1:]
	}
	for k := 0; k < len(name); k++ {
		if !wordChar(name[k]) {
			return ""
		}
	}
	own, whole := phpWholeFuncs[name]
	if !whole && !phpFuncs[name] {
		return ""
	}
	args, ok := strings.CutSuffix(strings.TrimRight(t[i+1:], " ;"), ")")
	if !ok {
		return ""
	}
	args = strings.TrimSpace(args)
	if strings.HasPrefix(name, "include") || strings.HasPrefix(name, "require") {
		if args == "" || strings.IndexByte("'\"$", args[0]) < 0 {
			return ""
		}
	}
	// One nested call: print_r(scandir('.')).
	if callStart(args) && strings.HasSuffix(args, ")") && args[0] != '/' {
		if phpWholeCall(args) == "" {
			return ""
		}
		return t
	}
	if !phpLiteralArgs(args) {
		return ""
	}
	if !phpFuncs[name] && !own && phpBareWords(args) {
		return ""
	}
	return t
}

// phpBareWords reports whether the argument list a holds a bare word:
// not a number, a string, a variable, or one of PHP's own constants
// (__FILE__, PHP_VERSION, PHP_OS …). a is folded text, lower case like
// the rest of a matched form.
func phpBareWords(a string) bool {
	for p := range strings.SplitSeq(a, ",") {
		p = strings.TrimSpace(p)
		if p == "" || !('a' <= p[0] && p[0] <= 'z' || p[0] == '_') {
			continue
		}
		if strings.HasPrefix(p, "php_") || len(p) > 4 && strings.HasPrefix(p, "__") && strings.HasSuffix(p, "__") {
			continue
		}
		return true
	}
	return false
}

// phpLiteralArgs reports whether a is a list of at most four bare words,
// numbers, $variables or quoted strings without spaces.
func phpLiteralArgs(a string) bool {
	if strings.TrimSpace(a) == "" {
		return true
	}
	parts := strings.Split(a, ",")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if len(p) >= 2 && (p[0] == '\'' || p[0] == '"') && p[len(p)-1] == p[0] {
			p = p[1 : len(p)-1]
		} else {
			p = strings.TrimPrefix(p, "$")
		}
		if p == "" {
			return false
		}
		for k := 0; k < len(p); k++ {
			if !wordChar(p[k]) && p[k] != '.' && p[k] != '-' && p[k] != '/' {
				return false
			}
		}
	}
	return true
}

// callStart reports whether a starts with a function call: name(.
func callStart(a string) bool {
	k := 0
	for k < len(a) && wordChar(a[k]) {
		k++
	}
	a = strings.TrimLeft(a[k:], " ")
	return k > 0 && a != "" && a[0] == '('
}

func wordChar(c byte) bool {
	return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || 'A' <= c && c <= 'Z'
}

// Words that nodeCode and rubyCode matches hold (bit wordNode,
// wordRuby), looked up per word so that most values cost one scan.
const (
	wordNode = 1 << iota
	wordRuby
)

var codeWordBits = map[string]uint8{
	"child_process": wordNode, "process": wordNode | wordRuby, "require": wordNode,
	"__js_function": wordNode, "constructor": wordNode, "function": wordNode, "fromcharcode": wordNode,
	"while": wordNode, "exports": wordNode, "import": wordNode, "_load": wordNode, "console": wordNode,
	"prototype": wordNode, "__proto__": wordNode, "globalthis": wordNode, "deno": wordNode, "bun": wordNode,
	"kernel": wordRuby, "io": wordRuby, "open3": wordRuby, "open": wordRuby, "send": wordRuby, "public_send": wordRuby,
	"const_get": wordRuby, "spawn": wordRuby, "x": wordRuby,
}

// codeiGates finds, in one pass, the literals that let matchCodei's
// expressions run (gateJSP…): a JSP file name, the OGNL, SpEL and
// serialization marks, class and package names of Java code, Node's loops
// and serialized functions, prototype access, Perl's interpolation and
// process calls, and Python's dunder names, eval/exec and pickle's
// GLOBAL and INST opcodes (FuzzCodeiGates).
var codeiGates = literals.MustNew(
	[]string{"jsp"},
	// "runtime" with what javaCode's "runtime\s*\." lets follow it
	// (folding makes tabs and form feeds spaces): PostmanRuntime/7.39.0
	// is a user agent.
	append([]string{"%{", "#_", "#context", "aced0005", "java.", "javax.", "runtime.", "runtime ", "runtime\n",
		"runtime\r", "runtime)", "runtime@", "execute", "groovy.", "processbuilder", "forname", "scriptenginemanager", "getdeclaredmethod"}, javaPackages...),
	[]string{"for(", "for (", "_$$nd_func$$_", "__js_function"},
	[]string{"proto"},
	[]string{"@{", "qx", "open", "exec"},
	[]string{"__import__", "__subclasses__", "__globals__", "__mro__", "__bases__", "__builtins__", "eval", "exec",
		"modules", "importlib", "import",
		"__base__", "cos\n", "ios\n", "cposix\n", "iposix\n", "cnt\n", "int\n", "csubprocess\n", "isubprocess\n",
		"cbuiltins\n", "ibuiltins\n", "c__builtin__\n", "i__builtin__\n"},
	[]string{"!!", "!ruby/", "tag:yaml.org,2002:python/", "%tag", "$type", "objectdataprovider", "<dynamic-proxy", "serialization", "resolves-to", "<java.lang.processbuilder"},
	[]string{"process.start", "processstartinfo", "diagnostics.process", "gettype"},
)

// codeiGates' groups.
const (
	gateJSP = 1 << iota
	gateJava
	gateNode
	gateProto
	gatePerl
	gatePython
	gateDeser
	gateDotnet
)

// deserGadget finds the type tags and gadgets that make a deserializer
// build objects the sender chose: PyYAML's python/object tags (also as a
// verbatim tag or through a %TAG directive), a YAML global tag naming a
// Java class (SnakeYAML: !!javax.script.ScriptEngineManager [...]), Ruby
// Psych's !ruby/object, Json.NET's $type naming one of ysoserial.net's
// gadget types, the XAML ObjectDataProvider that calls a method (as an
// attribute or a property element), and XStream's dynamic proxies,
// custom-serialized JDK classes and ProcessBuilder. YAML's own tags (!!str,
// !!binary) name no class, and a $type naming an application's own class
// is what Json.NET's type names look like in ordinary traffic: only the
// gadgets count. A document the decoders took apart (a JSON or XML body)
// is read by its names instead (deserName).
var deserGadget = regexp.MustCompile(`(?:!!|tag:yaml\.org,2002:)` + yamlPython + `|!!` + yamlJavaClass +
	`|!ruby/(?:object|hash|struct|marshal)\b` +
	`|["']\$type["']\s*:\s*["'](?:[^"']{0,200}\[\[\s*)?` + jsonNetGadgets +
	`|<(?:[\w.]+:)?objectdataprovider\b[^>]*\bmethodname\s*=\s*["']` + xamlMethods +
	`|<(?:[\w.]+:)?objectdataprovider\.methodname\s*>\s*` + xamlMethods +
	`|<dynamic-proxy\s*>|<(?:java|javax|sun|jdk)\.[\w.$-]+\s+(?:serialization|resolves-to)\s*=|<java\.lang\.processbuilder\s*>`)

// xamlMethods are the methods an ObjectDataProvider gadget calls: starting
// a process, parsing or loading more XAML, invoking by reflection. A
// binding to an enum's values (MethodName="GetValues") is ordinary WPF.
const xamlMethods = `(?:start|parse|load|invoke|exec)\b`

// yamlTagDirective is a YAML %TAG directive that names a handle for a
// prefix of YAML's own tag space, and yamlTagTarget what a tag made with
// it must not name: PyYAML's python/object… or a Java class.
var (
	yamlTagDirective = regexp.MustCompile(`%tag\s+(![\w-]*!)\s+tag:yaml\.org,2002:(\S*)`)
	yamlTagTarget    = regexp.MustCompile(`^(?:` + yamlPython + `|` + yamlJavaClass + `)`)
)

// What a YAML tag names that a loader builds: PyYAML's Python objects, and
// a Java class (SnakeYAML's global tags).
const (
	yamlPython    = `python/(?:object|name|module)\b`
	yamlJavaClass = `(?:javax?|com|org|net|sun|jdk)\.[\w$]+(?:\.[\w$]+)+`
)

// yamlTagged returns a tag of s, a YAML document, that a %TAG directive
// makes a python/object… tag or a Java class
// (%TAG !x! tag:yaml.org,2002:\n--- !x!python/object/apply:os.system), or "".
func yamlTagged(s string) string {
	for _, d := range yamlTagDirective.FindAllStringSubmatch(s, 4) {
		handle, prefix := d[1], d[2]
		for rest := s; ; {
			i := strings.Index(rest, handle)
			if i < 0 {
				break
			}
			rest = rest[i+len(handle):]
			suffix := rest
			if j := strings.IndexAny(suffix, " \t\r\n[{,"); j >= 0 {
				suffix = suffix[:j]
			}
			if suffix != "" && !strings.HasPrefix(suffix, "tag:") && yamlTagTarget.MatchString(prefix+suffix) {
				return handle + suffix + " (" + d[0] + ")"
			}
		}
	}
	return ""
}

// jsonNetGadgets are ysoserial.net's gadget types, as Json.NET's $type
// names them (lower case: the forms are folded).
const jsonNetGadgets = `(?:system\.(?:windows\.data\.objectdataprovider|diagnostics\.process|management\.automation\.psobject` +
	`|security\.principal\.windowsidentity` +
	`|configuration\.install\.assemblyinstaller|activities\.presentation\.workflowdesigner` +
	`|windows\.resourcedictionary|web\.security\.roleprincipal|identitymodel\.tokens\.sessionsecuritytoken` +
	`|data\.services\.internal\.expandedwrapper|windows\.forms\.bindingsource|resources\.resourceset` +
	`|drawing\.design\.toolboxitemcontainer|web\.ui\.mobilecontrols\.sessionviewstate)` +
	`|microsoft\.identitymodel\.claims\.windowsclaimsidentity|microsoft\.visualstudio\.text\.formatting\.textformattingrunproperties)\b`

// jsonNetGadget matches a $type value naming a gadget, also as a generic
// type's argument (List`1[[System.Windows.Data.ObjectDataProvider, …]]).
var jsonNetGadget = regexp.MustCompile(`^\s*(?:[^"]{0,200}\[\[\s*)?` + jsonNetGadgets)

// deserNameHints are what a parameter name holds when a deserializer's
// document was taken apart by the decoders: a JSON key "$type", or an XML
// path through XStream's or XAML's gadget elements.
var deserNameHints = literals.MustNewFold([]string{"$type", "dynamic-proxy", "objectdataprovider", "processbuilder", "/@serialization", "/@resolves-to"})

// xamlMethodName reports whether the last element of an XML path (after
// its last '/', '.' or ']') names ObjectDataProvider's MethodName: the
// attribute (@MethodName, @w:MethodName) or the property element
// (ObjectDataProvider.MethodName, whose last element deserName cuts at the
// dot).
func xamlMethodName(last string) bool {
	last = strings.TrimPrefix(last, "@")
	if i := strings.IndexByte(last, ':'); i >= 0 {
		last = last[i+1:]
	}
	return last == "methodname"
}

var xamlMethod = regexp.MustCompile(`^\s*` + xamlMethods)

// deserNameHint reports whether name, which holds a '$' when dollar is
// set, holds a deserNameHints word, as every name deserName reads does: a
// JSON key "$type" has its '$', an XML path starts with '/'; most names
// have neither, and skip the search.
func deserNameHint(name string, dollar bool) bool {
	return (dollar || len(name) > 0 && name[0] == '/') && literals.Find(deserNameHints, name) != 0
}

// xstreamClassAttr finds XStream's custom serialization of a JDK class in
// an XML path (/java.util.PriorityQueue/@serialization).
var xstreamClassAttr = regexp.MustCompile(`/(?:java|javax|sun|jdk)\.[\w.$-]+/@(?:serialization|resolves-to)$`)

// deserName returns what marks parameter p, of a JSON or XML document the
// decoders took apart, as a deserializer's gadget, or "": a "$type" key
// naming a gadget type, an element of XStream's dynamic proxy or
// ProcessBuilder, a JDK class custom-serialized, XAML's ObjectDataProvider
// with the method it calls.
func deserName(p *decoders.Param) string {
	if !deserNameHint(p.Name, strings.IndexByte(p.Name, '$') >= 0) {
		return ""
	}
	name := strings.ToLower(p.Name)
	last := name[strings.LastIndexAny(name, "./]")+1:]
	switch {
	case last == "$type" && jsonNetGadget.MatchString(strings.ToLower(p.Best())):
		return "$type " + p.Best()
	case strings.Contains(name, "/dynamic-proxy"), strings.Contains(name, "/java.lang.processbuilder"):
		return "xstream element " + name
	case xstreamClassAttr.MatchString(name):
		return "xstream custom serialization " + name
	case strings.Contains(name, "objectdataprovider") && xamlMethodName(last) && xamlMethod.MatchString(strings.ToLower(p.Best())):
		return "xaml ObjectDataProvider calling " + p.Best()
	}
	return ""
}

// pythonOSStart reports whether s starts, after blanks, with "os":
// pythonOSCall's values.
func pythonOSStart(s string) bool {
	return strings.HasPrefix(strings.TrimLeft(s, " \t\n\r\f"), "os")
}

// javaPackages are the package prefixes javaCode names besides java.*.
var javaPackages = []string{"com.opensymphony", "com.sun.", "org.apache.", "org.springframework.", "org.omg.", "sun.misc.", "sun.reflect.", "ognl."}

// codeWords returns the bits of the words of s (runs of lower-case
// letters, digits and _, as sqlWordByte reads them) found in codeWordBits.
// A '$' ends a word, as \b does in the expressions the words gate
// ($process.mainModule); node-serialize's _$$ND_FUNC$$_ is a literal of
// codeiGates.
func codeWords(s string) uint8 {
	var bits uint8
	for i := 0; i < len(s); {
		for i < len(s) && !sqlWordByte(s[i]) {
			i++
		}
		j := i
		for j < len(s) && sqlWordByte(s[j]) {
			j++
		}
		if j-i <= 24 && literals.Has(codeWordSet, s[i:j]) {
			bits |= codeWordBits[s[i:j]]
		}
		i = j
	}
	return bits
}

// codeWordSet holds codeWordBits' words, to turn most words away before
// the map is read.
var codeWordSet = literals.NewWordsOf(codeWordBits)

func anyOf(s string, hints []string) bool {
	for _, h := range hints {
		if strings.Contains(s, h) {
			return true
		}
	}
	return false
}

// javaGadgets are the class names of Java deserialization gadget chains,
// which payloads carry base64-encoded inside a serialized object: matched
// in all three base64 alignments (see gadgetNeedles).
var javaGadgets = []string{"runtime", "processbuilder", "clonetransformer", "forclosure", "instantiatefactory",
	"instantiatetransformer", "invokertransformer", "prototypeclonefactory", "prototypeserializationfactory",
	"whileclosure", "getproperty", "filewriter", "xmldecoder"}

// gadgetNeedles holds, for each gadget name, its base64 forms at the three
// byte offsets it can start at within a larger encoded stream, cut to the
// characters that depend on the name alone. Java serialization's magic
// (0xaced0005, "rO0AB" at offset 0) and its other alignments are included.
var gadgetNeedles = func() []string {
	var out []string
	add := func(raw []byte) {
		for off := range 3 {
			b := append(make([]byte, off), raw...)
			enc := base64.StdEncoding.EncodeToString(b)
			enc = strings.TrimRight(enc, "=")
			// Characters mixing padding bytes with the name, at either
			// end, are dropped.
			start := (off*4 + 2) / 3
			end := len(enc)
			if (off+len(raw))%3 != 0 {
				end--
			}
			if end-start >= 5 {
				out = append(out, enc[start:end])
			}
		}
	}
	add([]byte{0xac, 0xed, 0x00, 0x05})
	// The magic and a new object's class descriptor (TC_OBJECT,
	// TC_CLASSDESC), long enough to be found at every alignment.
	add([]byte{0xac, 0xed, 0x00, 0x05, 0x73, 0x72})
	for _, g := range javaGadgets {
		add([]byte(g))
		// Class names start with a capital; so do their encodings.
		add([]byte(strings.ToUpper(g[:1]) + g[1:]))
	}
	return out
}()

// hexMagic reports whether s holds Java serialization's stream magic in
// hex (aced0005, any case), the start of a serialized object sent as hex.
func hexMagic(s string) bool {
	for i := 0; i+8 <= len(s); i++ {
		if s[i]|0x20 == 'a' && strings.EqualFold(s[i:i+8], "aced0005") {
			return true
		}
	}
	return false
}

// codeiName reports a parameter name matchCodei reads: one naming a
// prototype (prototype pollution by key), or holding Java's serialization
// magic in base64 (every needle has an 'A'), in one pass over the name.
func codeiName(name string) bool {
	upperA, dollar := false, false
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case 'p':
			if strings.HasPrefix(name[i:], "proto") {
				return true
			}
		case 'A':
			upperA = true
		case '$':
			dollar = true
		}
	}
	if deserNameHint(name, dollar) {
		return true
	}
	return upperA && len(name) >= 5 && javaMagic(name) != ""
}

// codeWord reports whether the value holds a byte of a name: a letter,
// '$' or '_' (PHP's letterless variable functions, ${_}(1), $_[0](1),
// [_][0](1)), a byte past ASCII (a full-width letter normalisation folds),
// '<' (PHP's short open tag, <?) or '@' (Perl's @{[…]}). A value with
// none holds no code (TestCodeiNeedsWordBytes).
func (in *input) codeWord() bool {
	return in.hasAny(upperClass|lowerClass|highClass) || in.has('$') || in.has('_') || in.has('<') || in.has('@')
}

// codeUnderscoreWorth reports whether a value whose only trigger is '_'
// ("recent_orders,email", "snake_case") may still hold code: a PHP ini
// directive (memory_limit=512M), a dunder name (__proto__, __js_function),
// an OGNL #_memberAccess or a quoted name ('child_process'). A value with
// another trigger is worth it.
func codeUnderscoreWorth(in *input) bool {
	if in.classes&codeiMask&^codeiUnderscore != 0 {
		return true
	}
	return strings.ContainsAny(in.best, "=#'\"`") || strings.Contains(in.best, "__")
}

// codeiMask is codeiFamily's trigger classes, set by init (a family's pre
// cannot name the family).
var codeiMask classSet

// codeiUnderscore is the class of '_' alone.
var codeiUnderscore classSet

func init() {
	codeiMask = classMask(codeiFamily.trigger)
	codeiUnderscore = classMask("_")
}

// gadgetIndex maps the first five characters of every gadget needle to
// the needles, so a value is searched in one pass.
var gadgetIndex = func() map[string][]string {
	m := map[string][]string{}
	for _, n := range gadgetNeedles {
		m[n[:5]] = append(m[n[:5]], n)
	}
	return m
}()

// base64Token reports whether s is one base64 token of 6 or more
// characters (serialized objects travel as a value of their own; the
// shortest needle is 5 characters).
func base64Token(s string) bool {
	if len(s) < 6 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !base64Byte(s[i]) && s[i] != '=' {
			return false
		}
	}
	return true
}

// findGadget returns the gadget needle s holds, or "".
func findGadget(s string) string {
	for i := 0; i+5 <= len(s); i++ {
		for _, n := range gadgetIndex[s[i:i+5]] {
			if strings.HasPrefix(s[i:], n) {
				return n
			}
		}
	}
	return ""
}

// classLoaderPath returns the property path in s that walks a data-bound
// object to its class loader ("class.module.classLoader.resources…", Spring4Shell,
// CVE-2022-22965; "class.classLoader…", CVE-2010-1622; Struts'
// "class['classLoader']"), or "". Request binding turns such a parameter
// name into setter calls that rewrite the server's logging configuration.
func classLoaderPath(s string) string {
	for off := 0; ; {
		i := indexFold(s[off:], "classloader")
		if i < 0 {
			return ""
		}
		i += off
		pre := strings.ToLower(s[max(0, i-8):i])
		if strings.HasSuffix(pre, "class.") || strings.HasSuffix(pre, "module.") ||
			strings.HasSuffix(strings.TrimRight(pre, "'\""), "class[") {
			return s
		}
		off = i + len("classloader")
	}
}

func matchCodei(p *decoders.Param, v *normalize.Value, report reportFunc) {
	if strings.Contains(p.Name, "__proto__") || strings.Contains(p.Name, "prototype") {
		if m := protoPollution.FindString(strings.ToLower(p.Name)); m != "" {
			report(&ruleProto, "parameter name "+snippet(p.Name))
		}
	}
	if strings.Contains(v.Text, ";base64,") {
		if m := phpDataURI(v.Text); m != "" {
			report(&rulePHP, "php in a base64 data: URI "+snippet(m))
		}
	}
	if m := deserName(p); m != "" {
		report(&ruleDeser, "deserialization "+snippet(m))
	}
	// A class loader path holds '.' or a quote: the prefilter let the
	// value in, and a parameter name with one is a value of its own
	// (decoders.LocName). The folded form is lower case.
	if strings.Contains(v.Fold, "classloader") {
		if m := classLoaderPath(v.Text); m != "" {
			report(&ruleJava, "class loader property path "+snippet(m))
		}
	}
	// An upload's file name is the upload family's: a script's name
	// there is a script upload, not code.
	upload := uploadName(p)
	forms(v, func(s string) bool {
		hit := false
		if m := phpMatch(s, !upload); m != "" {
			report(&rulePHP, "php "+snippet(strings.TrimSpace(m)))
			hit = true
		}
		gates := literals.Find(codeiGates, s)
		if gates&gateJSP != 0 && !upload {
			if m := jspFile.FindString(s); m != "" {
				report(&ruleJava, "jsp file name "+snippet(m))
				hit = true
			}
		}
		words := codeWords(s)
		if gates&gateJava != 0 {
			if m := javaCode.FindString(s); m != "" {
				report(&ruleJava, "java "+snippet(strings.TrimLeft(m, " =:'\"(")))
				hit = true
			}
		}
		if words&wordNode != 0 || gates&gateNode != 0 {
			if m := nodeCode.FindString(s); m != "" {
				report(&ruleNode, "javascript "+snippet(strings.TrimSpace(m)))
				hit = true
			} else if m := nodeConsole.FindString(s); m != "" {
				report(&ruleNode, "javascript "+snippet(strings.TrimSpace(m)))
				hit = true
			}
		}
		if words&wordRuby != 0 {
			if m := rubyCode.FindString(s); m != "" {
				report(&ruleRuby, "ruby "+snippet(m))
				hit = true
			}
		}
		m := ""
		if gates&gatePython != 0 {
			m = pythonCode.FindString(s)
		}
		if m == "" && pythonOSStart(s) {
			m = pythonOSCall.FindString(s)
		}
		if m != "" {
			report(&rulePython, "python "+snippet(strings.TrimSpace(m)))
			hit = true
		}
		if gates&gateDotnet != 0 {
			if m := dotnetCode.FindString(s); m != "" {
				report(&ruleDotnet, "c# "+snippet(strings.TrimSpace(m)))
				hit = true
			}
		}
		if gates&gateProto != 0 {
			if m := protoPollution.FindString(s); m != "" {
				report(&ruleProto, "prototype access "+snippet(m))
				hit = true
			}
		}
		if gates&gateDeser != 0 {
			m := deserGadget.FindString(s)
			if m == "" && strings.Contains(s, "%tag") {
				m = yamlTagged(s)
			}
			if m != "" {
				report(&ruleDeser, "deserialization "+snippet(m))
				hit = true
			}
		}
		if gates&gatePerl != 0 {
			if m := perlCode.FindString(s); m != "" {
				report(&rulePerl, "perl "+snippet(m))
				hit = true
			}
		}
		return hit
	})
	// Base64 is case-sensitive: the needles are looked for in the value as
	// sent (decoded), not in the folded form.
	if t := strings.TrimSpace(v.Text); base64Token(t) {
		if n := findGadget(t); n != "" {
			report(&ruleJava, "base64 Java serialization or gadget class "+snippet(n))
			return
		}
		if strings.HasPrefix(t, "gA") || t[0] == 'Y' || t[0] == 'K' {
			if m := binaryPickle(t); m != "" {
				report(&rulePython, "base64 pickle loading "+m)
				return
			}
		}
	}
	if m := javaMagic(v.Text); m != "" {
		report(&ruleJava, "base64 Java serialization "+snippet(m))
	} else if m := javaMagic(p.Name); m != "" {
		report(&ruleJava, "base64 Java serialization in parameter name "+snippet(m))
	}
}

// binaryPickle returns the callable a base64 pickle of protocol 1 to 5
// loads when it is a command runner ("posix.system"), or "". Python 3's
// pickle.dumps writes protocols 2 to 5 (they start with PROTO, 0x80, which
// is why the token starts "gA"); their bytes are no text, so normalize
// does not decode them. The callable is named by GLOBAL or INST (c or i,
// "module\nname\n"), or by the last two strings (SHORT_BINUNICODE,
// BINUNICODE, UNICODE, SHORT_BINSTRING, BINSTRING) before STACK_GLOBAL
// (0x93), whatever memo opcodes stand between. The first 16 KB are read.
func binaryPickle(t string) string {
	t = strings.TrimRight(t, "=")
	t = t[:min(len(t), 16<<10/3*4)]
	enc := base64.RawStdEncoding
	if strings.ContainsAny(t, "-_") {
		enc = base64.RawURLEncoding
	}
	// Protocols 0 and 1 have no PROTO: they start with GLOBAL ('c', the
	// token "Y…") or MARK ('(', "K…"), and binary strings of protocol 1
	// keep them from being text. Only the first 24 bytes are decoded to
	// tell one from a random token.
	start := 2
	if t[0] != 'g' {
		head, err := enc.DecodeString(t[:min(len(t)&^3, 32)])
		if err != nil || !pickleHead(head) {
			return ""
		}
		start = 0
	}
	b, err := enc.DecodeString(t[:len(t)&^3])
	if err != nil || len(b) < 2 || start == 2 && (b[0] != 0x80 || b[1] < 2 || b[1] > 5) {
		return ""
	}
	var last [2]string // the last two strings pushed
	push := func(s string) { last[0], last[1] = last[1], s }
	for i := start; i < len(b); i++ {
		switch op := b[i]; op {
		case 'c', 'i': // GLOBAL, INST: module\nname\n
			m, rest, ok := strings.Cut(string(b[i+1:min(len(b), i+128)]), "\n")
			n, _, ok2 := strings.Cut(rest, "\n")
			if ok && ok2 && pickleRunners[m] && pickleSinks[n] {
				return m + "." + n
			}
		case 0x8c, 'U': // SHORT_BINUNICODE, SHORT_BINSTRING: 1-byte length
			if i+1 < len(b) && i+2+int(b[i+1]) <= len(b) {
				push(string(b[i+2 : i+2+int(b[i+1])]))
				i += 1 + int(b[i+1])
			}
		case 'X', 'T': // BINUNICODE, BINSTRING: 4-byte length
			if i+4 < len(b) {
				n := int(binary.LittleEndian.Uint32(b[i+1 : i+5]))
				if n >= 0 && n <= len(b)-i-5 {
					push(string(b[i+5 : i+5+n]))
					i += 4 + n
				}
			}
		case 'V': // UNICODE: up to a line break
			if s, _, ok := strings.Cut(string(b[i+1:min(len(b), i+128)]), "\n"); ok {
				push(s)
				i += len(s) + 1
			}
		case 0x93: // STACK_GLOBAL
			if pickleRunners[last[0]] && pickleSinks[last[1]] {
				return last[0] + "." + last[1]
			}
		}
	}
	return ""
}

// pickleHead reports the start of a protocol 0 or 1 pickle that loads a
// runner: GLOBAL ('c') of one of pickleRunners first, or MARK ('(') with
// an INST ('i') of one within its first bytes.
func pickleHead(h []byte) bool {
	if len(h) < 3 {
		return false
	}
	switch h[0] {
	case 'c':
		m, _, ok := strings.Cut(string(h[1:]), "\n")
		return ok && pickleRunners[m]
	case '(':
		// INST: 'i', a module, a line break.
		for i := bytes.IndexByte(h, 'i'); i >= 0; {
			if m, _, ok := bytes.Cut(h[i+1:], []byte("\n")); ok && pickleRunners[string(m)] {
				return true
			}
			j := bytes.IndexByte(h[i+1:], 'i')
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}

// pickleRunners and pickleSinks are the modules and callables through
// which a pickle runs a command or code.
var (
	pickleRunners = map[string]bool{"os": true, "posix": true, "nt": true, "subprocess": true, "builtins": true,
		"__builtin__": true, "commands": true, "pty": true, "platform": true, "timeit": true}
	pickleSinks = map[string]bool{"system": true, "popen": true, "exec": true, "eval": true, "execv": true,
		"execve": true, "execvp": true, "spawnv": true, "spawnlp": true, "call": true, "run": true,
		"check_output": true, "check_call": true, "getoutput": true, "getstatusoutput": true, "Popen": true,
		"spawn": true, "__import__": true, "compile": true, "popen2": true, "timeit": true}
)

// javaMagicB64 are the base64 forms of Java serialization's stream magic
// (0xaced0005) at the three offsets of an encoding group, as CRS 944210
// spells them.
var javaMagicB64 = [...]string{"rO0AB", "KztAA", "Cs7QA"}

// javaMagic returns the base64 token of s (a value, or a parameter name
// such as a JSON key) that starts with Java serialization's magic, or "".
func javaMagic(s string) string {
	// Every needle holds an 'A'.
	if strings.IndexByte(s, 'A') < 0 {
		return ""
	}
	for _, n := range javaMagicB64 {
		for off := 0; ; {
			i := strings.Index(s[off:], n)
			if i < 0 {
				break
			}
			i += off
			if i == 0 || !base64Byte(s[i-1]) {
				e := i + len(n)
				for e < len(s) && base64Byte(s[e]) {
					e++
				}
				return s[i:e]
			}
			off = i + len(n)
		}
	}
	return ""
}

func base64Byte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/'
}

// phpMatch returns the PHP code in s, or "". With files, a file name that
// makes a PHP script (phpFile, phpDoubleExt) counts as code too: a value
// that names one is written or included as one.
func phpMatch(s string, files bool) string {
	if strings.Contains(s, "<?") || strings.Contains(s, "php") {
		if m := phpTag.FindString(s); m != "" {
			return m
		}
	}
	if strings.IndexByte(s, '(') >= 0 {
		if m := phpCall(s); m != "" {
			return m
		}
		if phpDynHint(s) {
			if m := phpDyn.FindString(s); m != "" {
				return m
			}
		}
		if strings.Contains(s, "${") {
			if m := phpInterp.FindString(s); m != "" {
				return m
			}
		}
	}
	if strings.IndexByte(s, '=') >= 0 && strings.IndexByte(s, '_') >= 0 || strings.Contains(s, "opcache.") || strings.Contains(s, "mbstring.") {
		if m := phpIni.FindString(s); m != "" {
			return m
		}
	}
	if files && (strings.Contains(s, ".ph") || strings.Contains(s, ". ph")) {
		if m := phpFile.FindString(s); m != "" {
			return m
		}
		if m := phpDoubleExt.FindString(s); m != "" {
			return m
		}
	}
	if strings.IndexByte(s, '$') >= 0 || strings.Contains(s, "php:") {
		if m := phpVar.FindString(s); m != "" {
			return m
		}
	}
	if strings.Contains(s, "\":") || strings.Contains(s, ")(") || strings.Contains(s, ") (") {
		if m := phpSerial.FindString(s); m != "" {
			return m
		}
	}
	if t := strings.TrimLeft(s, " \t\r\n"); strings.Contains(t, "//") || strings.Contains(t, "/*") || strings.IndexByte(t, '#') >= 0 ||
		strings.HasSuffix(strings.TrimRight(t, " \t\r\n"), ";") {
		if j := phpBreakoutStart(t); j > 0 {
			// Ending on "exit;" with no comment is how debug code ends
			// too ("ok; var_dump($x); die;"): it counts after a quote
			// that closed a string.
			if m := phpBreakoutCall.FindString(t[j:]); m != "" && (phpCommentEnd(m) || strings.ContainsAny(t[:j], "'\"")) {
				return t[:j] + m
			}
		}
	}
	return ""
}

// phpBreakoutCall finds, after phpBreakoutStart, the call of a PHP function
// and a comment that cuts off the rest of the eval()'d code, or an exit;
// that ends it (folding has made a "/*" comment after it a space).
var phpBreakoutCall = regexp.MustCompile(`^\s*(?:exit|die|md5|phpinfo|system|passthru|shell_exec|assert|eval|var_dump|print_r|file_put_contents|base64_decode)\s*\(.{0,120}\)\s*;?\s*(?://|#|/\*|(?:exit|die)\s*;\s*(?://|#|/\*|$))`)

// phpDataURI returns the PHP code a data: URI carries base64-encoded
// ("data:;base64,PD9waHAg…", "data://text/plain;base64,…"), for include()
// or a stream wrapper to run, or "". s is the value as sent: base64 is
// case-sensitive.
func phpDataURI(s string) string {
	i := indexFold(s, "data:")
	if i < 0 {
		return ""
	}
	_, enc, ok := strings.Cut(s[i:], ";base64,")
	if !ok {
		return ""
	}
	// The base64 text, line breaks dropped (decoders skip them), up to the
	// value bound the decoders already applied.
	b := make([]byte, 0, len(enc))
	for i := 0; i < len(enc); i++ {
		switch c := enc[i]; {
		case base64Byte(c):
			b = append(b, c)
		case c == '\r' || c == '\n':
		default:
			i = len(enc)
		}
	}
	b = b[:len(b)/4*4]
	dec := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(dec, b)
	if err != nil {
		return ""
	}
	dec = dec[:n]
	// Binary data (an image) holds "<?" and a blank by chance; only text,
	// or "<?php" itself, is code.
	lower := strings.ToLower(string(dec))
	if !utf8.Valid(dec) {
		if strings.Contains(lower, "<?php") {
			return "<?php"
		}
		return ""
	}
	if m := phpTag.FindString(lower); m != "" {
		return m
	}
	return ""
}

// indexFold is strings.Index ignoring ASCII case; needle is lower case. A
// needle that starts with a byte without case (".sock") is looked for
// with IndexByte.
func indexFold(s, needle string) int {
	c := needle[0]
	caseless := c < 'a' || c > 'z' // found by IndexByte
	for i := 0; i+len(needle) <= len(s); i++ {
		if caseless {
			j := strings.IndexByte(s[i:len(s)-len(needle)+1], c)
			if j < 0 {
				return -1
			}
			i += j
		} else if s[i]|0x20 != c {
			continue
		}
		if strings.EqualFold(s[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

// phpCommentEnd reports whether a phpBreakoutCall match ends with a comment.
func phpCommentEnd(m string) bool {
	return strings.HasSuffix(m, "//") || strings.HasSuffix(m, "#") || strings.HasSuffix(m, "/*")
}

func skipBlanks(t string, j int) int {
	for j < len(t) && (t[j] == ' ' || t[j] == '\t') {
		j++
	}
	return j
}

// skipCallClose skips, from the ',' at t[j], up to 3 more arguments (an empty
// or short quoted string, a number or a word) and the ')' that close the
// calls, and returns where the ';' should be; it returns j when there is no
// ')'.
func skipCallClose(t string, j int) int {
	k := j
	for n := 0; n < 3 && k < len(t) && t[k] == ','; n++ {
		k = skipBlanks(t, k+1)
		switch {
		case k < len(t) && (t[k] == '\'' || t[k] == '"'):
			e := strings.IndexByte(t[k+1:min(len(t), k+22)], t[k])
			if e < 0 {
				return j
			}
			k += e + 2
		default:
			for k < len(t) && (isAlnum(t[k]) || t[k] == '_') {
				k++
			}
		}
		k = skipBlanks(t, k)
	}
	if k >= len(t) || t[k] != ')' {
		return j
	}
	for k < len(t) && (t[k] == ')' || t[k] == ' ') {
		k++
	}
	return k
}

// phpBreakoutStart returns where a value that ends the string or statement
// an eval() puts it in continues, or 0: up to 20 word bytes at the start
// (leading blanks aside), then a quote and ';' or '.', or ';'
// ("';exit(md5('x'));//", "a;die(…);#", "\".phpinfo();//"). A C or Python
// snippet starts with code ("perror(x); exit(1); // fail"), and a method
// call is a bare word and a dot ("os.system('ls')  # list").
func phpBreakoutStart(t string) int {
	j := 0
	for j < len(t) && j < 20 && (isAlnum(t[j]) || t[j] == '_') {
		j++
	}
	if j < len(t) && (t[j] == '\'' || t[j] == '"') {
		j++
		j = skipBlanks(t, j)
		if j < len(t) && t[j] == ',' {
			// The string was an argument: more arguments, the calls
			// closed ("','')); ", "', 1));").
			j = skipCallClose(t, j)
		}
		if j < len(t) && (t[j] == ';' || t[j] == '.') {
			return j + 1
		}
		return 0
	}
	if j < len(t) && t[j] == ';' {
		return j + 1
	}
	return 0
}
