package tier1

import (
	"encoding/base64"
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// Code injection: a value that carries source code or serialized objects
// of the language the back end runs (PHP, Java, Node.js, Perl), or that
// rewrites a JavaScript prototype.
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
	ruleProto = rule{
		Rule:  detectRule("prototype-pollution", "code-injection", owaspInjection, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "JavaScript prototype pollution",
	}
)

// Code reaches an interpreter from any parameter and from the headers a
// client controls (logged, templated, deserialized).
var codeiFamily = family{
	name:   "codei",
	values: true,
	match:  matchCodei,
	// Every code pattern needs one of these bytes (registered as
	// prefilter classes; pre does the check).
	trigger: "(<.$_{[:@",
	pre: func(p *decoders.Param, in *input) bool {
		// A base64 gadget name travels as a value of its own.
		return in.classes&codeiMask != 0 || in.mayChange() || base64Token(in.best) ||
			strings.Contains(p.Name, "__proto__") || strings.Contains(p.Name, "prototype")
	},
}

var (
	// phpCode finds PHP source: an open tag (<?php, <?=, "<? " — not
	// <?xml), BBCode/Smarty php blocks, a call of a function that runs
	// code, commands or reads files with a code-like argument (a quote, a
	// variable, a nested call), a variable function call ($a(1),
	// $_GET['f']()), the request superglobals, variable variables
	// (${'name'}) and serialized objects (object injection through
	// unserialize).
	phpCode = regexp.MustCompile(`<\?(?:php\b|=|\s)` +
		`|[\[{][\\/]?php[\]}]` +
		`|(?:^|[^a-z0-9_$>.\-])@?(?:eval|assert|system|exec|shell_exec|passthru|popen|proc_open|pcntl_exec|file_put_contents|file_get_contents|fopen|fwrite|readfile|highlight_file|show_source|include|include_once|require_once|base64_decode|gzinflate|gzuncompress|gzdecode|str_rot13|create_function|call_user_func|call_user_func_array|preg_replace|phpinfo|move_uploaded_file|unserialize|fsockopen|symlink|chmod|putenv|ini_set|bzdecompress|array_map|usort)\s*\(\s*(?:['"$@(]|[a-z_][a-z0-9_]*\s*\(|\))` +
		`|\$+[a-z_][a-z0-9_]*(?:\s*\[[^\]\n]{0,40}\])*\s*\(` +
		`|\$_(?:get|post|request|cookie|server|files|env|session)\b` +
		`|\$\s*\{\s*['"$]` +
		`|(?:^|[^a-z0-9])[oc]:\d+:"[a-z_\\][a-z0-9_\\]*":\d+:\{` +
		`|\(\s*(?:system|exec|shell_exec|passthru|assert|eval|popen)\s*\)\s*\(`)

	// javaCode finds Java payloads: the classes that run commands, load
	// code or reach files and the network (java.lang.Runtime,
	// ProcessBuilder, java.io streams, reflection, script engines), the
	// Struts/OGNL and Spring EL ways to reach them (#_memberAccess,
	// @java.lang…, T(java.lang…)), the gadget classes of deserialization
	// chains (commons-collections transformers), and Java serialization
	// magic as hex or base64 (aced0005, rO0AB).
	javaCode = regexp.MustCompile(`(?:^|[^a-z0-9_])(?:java\.(?:lang\.(?:runtime|process|processbuilder|processimpl|system|class|classloader|reflect|object|string|stringbuilder|thread|integer|number)|io\.[a-z]*(?:file|stream|reader|writer)[a-z]*|net\.(?:url|socket|serversocket|urlclassloader)|nio\.file|beans\.)` +
		`|java\.(?:runtime|processbuilder|process)\b` +
		`|javax\.(?:script|naming|management)\.|com\.opensymphony\.xwork2|com\.sun\.(?:org\.apache|jndi|rowset)|org\.apache\.(?:commons\.(?:collections|beanutils)|xalan|struts2|catalina)|org\.springframework\.(?:context|beans|expression)|org\.omg\.corba|sun\.misc\.|sun\.reflect\.)` +
		`|runtime\s*\.\s*getruntime\s*\(|new\s+processbuilder\s*\(|processbuilder\s*\.|runtime\s*\.\s*(?:exec|clonetransformer|forclosure|instantiatefactory|instantiatetransformer|invokertransformer|prototypeclonefactory|prototypeserializationfactory|whileclosure)\b` +
		`|#_memberaccess|@java\.lang|#context\s*\[|%\{\s*\(?#|\bt\s*\(\s*java\.|class\.forname\s*\(|\.getclass\s*\(\s*\)\s*\.\s*forname|scriptenginemanager|\.getdeclaredmethod\s*\(` +
		`|(?:^|[^a-z0-9])aced0005`)

	// nodeCode finds server-side JavaScript: child_process and the
	// process object that reaches it, node-serialize's function marker
	// (_$$ND_FUNC$$_, funcster's __js_function), the Function constructor
	// reached through constructor chains, code built from char codes, and
	// injected infinite loops (denial of service in $where or vm code).
	nodeCode = regexp.MustCompile(`child_process|process\s*\.\s*(?:mainmodule|binding|dlopen|kill|exit)\b|require\s*\(\s*['"\x60](?:child_process|fs|net|vm|os)['"\x60]` +
		`|_\$\$nd_func\$\$_|__js_function|constructor\s*\.\s*constructor\s*\(|this\.constructor\.constructor|new\s+function\s*\(|eval\s*\(\s*string\.fromcharcode|string\.fromcharcode\s*\(\s*\d+\s*,` +
		`|\bwhile\s*\(\s*(?:true|1|!\s*(?:false|[-+]?0|''|""|\x60\x60))\s*\)|\bfor\s*\(\s*;\s*;\s*\)|module\.exports\s*=|global\s*\.\s*process|import\s*\(\s*['"](?:child_process|fs)`)

	// protoPollution finds writes to a JavaScript object's prototype
	// through merge or path-setting code: __proto__, constructor.prototype
	// (dotted or bracketed).
	protoPollution = regexp.MustCompile(`__proto__|constructor\s*(?:\.\s*|\[\s*['"]?)prototype\b`)

	// perlCode finds Perl interpolation of code in a string (@{[ … ]})
	// and Perl's ways to run commands (qx, open with a pipe, system).
	perlCode = regexp.MustCompile(`@\{\s*\[|\bqx\s*[{(/|]|\bopen\s*\(?\s*\w+\s*,\s*['"]\s*\|` + "|\\bexec\\s*\\{")
)

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
	for _, g := range javaGadgets {
		add([]byte(g))
		// Class names start with a capital; so do their encodings.
		add([]byte(strings.ToUpper(g[:1]) + g[1:]))
	}
	return out
}()

// codeiMask is codeiFamily's trigger classes, set by init (a family's pre
// cannot name the family).
var codeiMask uint32

func init() { codeiMask = classMask(codeiFamily.trigger) }

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
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=') {
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

func matchCodei(p *decoders.Param, v *normalize.Value, report reportFunc) {
	if strings.Contains(p.Name, "__proto__") || strings.Contains(p.Name, "prototype") {
		if m := protoPollution.FindString(strings.ToLower(p.Name)); m != "" {
			report(&ruleProto, "parameter name "+snippet(p.Name))
		}
	}
	forms(v, func(s string) bool {
		hit := false
		if strings.ContainsAny(s, "<[{(@$\"") {
			if m := phpCode.FindString(s); m != "" {
				report(&rulePHP, "php "+snippet(strings.TrimSpace(m)))
				hit = true
			}
		}
		if strings.Contains(s, ".") || strings.Contains(s, "#") || strings.Contains(s, "aced") {
			if m := javaCode.FindString(s); m != "" {
				report(&ruleJava, "java "+snippet(strings.TrimLeft(m, " =:'\"(")))
				hit = true
			}
		}
		if strings.ContainsAny(s, "_.(") {
			if m := nodeCode.FindString(s); m != "" {
				report(&ruleNode, "javascript "+snippet(m))
				hit = true
			}
			if strings.Contains(s, "proto") {
				if m := protoPollution.FindString(s); m != "" {
					report(&ruleProto, "prototype access "+snippet(m))
					hit = true
				}
			}
		}
		if strings.ContainsAny(s, "@{(") {
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
		}
	}
}
