package tier1

import (
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/literals"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var (
	ruleTraversal = rule{
		Rule:  detectRule("path-traversal", "path-traversal", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "Path traversal",
	}
	ruleSensitiveFile = rule{
		Rule:  detectRule("lfi-sensitive-file", "local-file-inclusion", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "Sensitive file path",
	}
	ruleWrapper = rule{
		Rule:  detectRule("lfi-wrapper", "local-file-inclusion", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_HIGH),
		title: "File inclusion wrapper",
	}
)

var traversalFamily = family{
	name:    "traversal",
	values:  true,
	trigger: "/\\:",
	match:   matchTraversal,
	whole:   traversalPath,
	pre: func(_ *decoders.Param, in *input) bool {
		// The trigger bytes, or traversal spelled in hex codes
		// (hexSpelled), which needs none of them.
		return in.has('/') || in.has('\\') || in.has(':') || in.mayChange() || in.hasAny(digitClass) && in.hasAny(lowerClass) && strings.Contains(in.best, "0x") ||
			in.hasAny(highClass) && lookalikeSlash(in.best)
	},
}

// dotdot is one traversal step: "../", "..\", "..;/" (Tomcat), "....//"
// (a filter that strips "../" once).
var dotdot = regexp.MustCompile(`(?:\.{2,}(?:;[^/\\]*)?[/\\]+)+`)

// sensitiveFile matches paths of files an attacker reads through an LFI.
// /etc/hosts is left out: it is named in too much documentation.
var sensitiveFile = regexp.MustCompile(`(?:^|[^a-z0-9_.-]|\.\.)(?:` +
	`/etc/(?:passwd|shadow|group|gshadow|sudoers|issue|crontab|master\.passwd|security/passwd)\b` +
	`|/proc/(?:self|thread-self|\d+)/(?:environ|cmdline|maps|mem|fd/|status|root/|cwd/|exe\b|mounts|mountinfo|cgroup)` +
	`|\.ssh/(?:id_[a-z0-9]+|authorized_keys)\b|\.aws/credentials\b|\.docker/config\.json` +
	`|/root/\.(?:bash_history|ssh)` +
	// What a pod or a node holds that opens the cluster or the cloud
	// account: secrets mounted into containers (a service account's
	// token, Docker's and Compose's secrets), the kubeconfigs and keys of
	// the control plane, the kubelet, k3s and RKE2, etcd's data, and the
	// gcloud and Azure CLIs' credentials. (The container runtimes'
	// sockets are the ssrf family's: a socket is asked, not read.)
	`|(?:/var)?/run/secrets/|/etc/kubernetes/(?:pki/|manifests/|[a-z-]+\.conf\b)|/var/lib/kubelet/(?:kubeconfig|config\.yaml|pki/|pods/)` +
	`|/etc/rancher/(?:k3s|rke2)/|/var/lib/rancher/(?:k3s|rke2)/(?:server|agent)/|/var/lib/etcd/` +
	`|\.config/gcloud/(?:credentials\.db|access_tokens\.db|application_default_credentials\.json|legacy_credentials/)` +
	`|\.azure/(?:accesstokens\.json|msal_token_cache\.(?:json|bin)|azureprofile\.json|service_principal_entries\.json)` +
	`|win\.ini\b|boot\.ini\b|system32[/\\]+(?:config[/\\]+sam|drivers[/\\]+etc)` +
	`|web-inf[/\\]+web\.xml|\.htpasswd\b|/var/log/(?:apache2?|nginx|httpd)/(?:access|error)` +
	// Windows' setup answers and SAM backup, IIS's configuration;
	// Tomcat's users, Kerberos keys, Jenkins' and GitLab's secrets.
	`|panther[/\\]+unattend(?:ed)?\.xml\b|repair[/\\]+sam(?:$|[^\w.-])|inetsrv[/\\]+config[/\\]+applicationhost\.config\b` +
	`|conf[/\\]+tomcat-users\.xml\b|/etc/krb5\.keytab\b|jenkins[/\\]+(?:[\w.-]+[/\\]+)?secrets[/\\]+master\.key\b` +
	`|secrets[/\\]+(?:initialadminpassword|hudson\.util\.secret)\b|gitlab-secrets\.json\b` +
	`)`)

// restrictedFile matches files a web server must not serve, wherever the
// path starts (an application prefix, "/get/…", is common): a file's NTFS
// data stream ("index.php::$DATA", which IIS serves as source), environment
// and credential files, version-control metadata, server configuration,
// kernel and process state under /proc and /sys, debug logs, the Vite dev
// server's /@fs/ file access, and the configuration and ignore files of AI
// coding assistants (API keys, tool permissions), PHP session files.
var restrictedFile = regexp.MustCompile(`\.[a-z0-9]{1,8}::\$data\b|/\.env\b|/\.(?:git|svn|hg|bzr)(?:/|$)|/\.git-credentials|/\.htaccess\b|(?:^|[/\\])web\.config\b|(?:^|[/\\])global\.asax?(?:$|[^.\w])|/wp-config\.php` +
	`|/\.(?:npmrc|pypirc|netrc|bash_history|zsh_history|ds_store|kube/config)\b|/\.(?:ssh|aws|docker|gnupg)/` +
	`|/proc/(?:sys|net)/|/proc/(?:interrupts|cpuinfo|meminfo|version|mounts|kallsyms|modules)\b|/sys/(?:class|kernel|devices|firmware|module)\b` +
	`|/etc/(?:subuid|subgid|apache2|nginx|httpd|mysql|ssh/|ssl/private|environment|fstab|login\.defs)\b` +
	`|/wp-content/(?:debug|errors?)\.log|/@fs/` +
	// The Vite dev server's /@id/ endpoint with a virtual module's NUL
	// prefix (spelled __x00__ in URLs), which serves modules by id.
	`|/@id/(?:__x00__|\x00)` +
	// PHP session files, included to run code planted in a session
	// variable (/tmp/sess_<id>, /var/lib/php/sessions/sess_<id>).
	`|(?:[/\\](?:tmp|temp|sessions?))[/\\]sess_[a-z0-9,-]{8,}` +
	`|/\.(?:claude|cursor|continue|aider|roo|zed|cline|kiro|windsurf|codex|opencode|rovodev|a0proj|plandex|fabric|n8n|junie)/|/\.(?:aiignore|cursorignore|cursorrules|aiderignore)\b`)

// wrapper matches PHP and Java stream wrappers that include or run files.
var wrapper = regexp.MustCompile(`(?:^|[^a-z0-9])(php://(?:filter|input|fd|memory)|expect://|phar://|zip://|glob://|data://text/)`)

// wrapperSchemes are substrings every wrapper match holds one of; checking
// them first keeps the regexp off ordinary URLs.
var wrapperSchemes = []string{"php://", "expect://", "phar://", "zip://", "glob://", "data://"}

func wrapperHint(s string) bool {
	if !strings.Contains(s, "://") {
		return false
	}
	for _, w := range wrapperSchemes {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// sensitiveHints are substrings every sensitiveFile match holds one of.
var sensitiveHints = []string{"::$data", "/etc/", "/proc/", ".ssh/", ".aws/", ".docker/", "/var/", "/root/", ".ini", "system32", "web-inf", ".htpasswd",
	"/.", "web.config", "global.as", "/wp-", "/sys/", "/@fs/", "/@id/", "sess_", "/run/", "gcloud/", ".azure/",
	"unattend", "repair", "inetsrv", "tomcat-users", ".keytab", "secrets/", "secrets\\", "secrets.json"}

// sensitiveHintSet finds sensitiveHints in one pass, in any case.
var sensitiveHintSet = literals.MustNewFold(sensitiveHints)

func sensitiveHint(s string) bool { return literals.Find(sensitiveHintSet, s) != 0 }

// hexSpelled undoes traversal written with the characters' hex codes as
// text ("0x2e0x2e0x2f" for "../", mixed with the characters themselves),
// which decoders that read 0xNN tokens turn back into a path; NUL bytes
// between the parts (cut by C string functions) are dropped too. It
// returns "" when s holds no such token.
func hexSpelled(s string) string {
	if !strings.Contains(s, "0x2") && !strings.Contains(s, "0x5c") {
		return ""
	}
	t := hexDots.Replace(s)
	if t == s {
		return ""
	}
	return strings.ReplaceAll(t, "\x00", "")
}

var hexDots = strings.NewReplacer("0x2e", ".", "0x2f", "/", "0x5c", "\\")

// pathInProse reports whether the sensitive path matched at s[i] (with the
// byte before it, when there is one) is named in a sentence: two words or
// more come before it, separated by spaces, and nothing that would make it
// the argument of an injected command or the target of a traversal
// ("Format of /etc/group is", "in the /etc/passwd file"). One word is not
// enough, whatever follows: "cat /etc/passwd" is a command line, and so is
// "fold /etc/shadow and some words" (fold, rev, pr print the first file
// before they fail on the others).
func pathInProse(s string, i int) bool {
	if i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	prefix := s[:i]
	if len(prefix) < 2 || prefix[len(prefix)-1] != ' ' || strings.ContainsAny(prefix, ";|&`$<>(){}[]=\\/\n'\"") {
		return false
	}
	return len(strings.Fields(prefix)) >= 2
}

// dotdotStart matches a value that is one path starting with a traversal
// step: "../x", "..\x", "..;/x" (no whitespace anywhere).
var dotdotStart = regexp.MustCompile(`^\.{2,}(?:;[^/\\\s]*)?[/\\]+[^\s]+$`)

// pathCanon undoes what path resolution ignores and a filter looking for
// "../" or "/etc/passwd" does not: NUL bytes inside a path, which filters
// that strip them drop from ".\x00./", and "." segments
// ("/./././etc/passwd", ".\.\"), backslashes that escape a dot of a step
// (".\./", ".\\./": a shell or stripslashes() leaves "../") and a
// stray '%' before a step ("%\..%\..", a malformed escape IIS ignored).
// It returns s when there is none of them.
func pathCanon(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = dropPathNULs(s)
	}
	if lookalikeSlash(s) {
		s = lookalikeSteps.Replace(s)
	}
	if strings.Contains(s, ".\\\\./") || strings.Contains(s, ".\\./") || strings.Contains(s, "%\\..") {
		s = escapedSteps.Replace(s)
	}
	for _, seg := range [...]string{"/./", "\\.\\"} {
		for strings.Contains(s, seg) {
			s = strings.ReplaceAll(s, seg, seg[:1])
		}
	}
	return s
}

// mergeSlashes turns each run of slashes into one, as path resolution
// does (/proc/self//environ), but after a scheme's colon (php://filter,
// file:///etc/passwd keep theirs).
func mergeSlashes(s string) string {
	b := make([]byte, 0, len(s))
	run := false // in a run of slashes that follows a colon
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] != '/':
			run = false
		case i > 0 && s[i-1] == ':':
			run = true
		case i > 0 && s[i-1] == '/' && !run:
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// lookalikeSteps maps the characters that Windows' best-fit conversion to
// the ANSI code page, and some Unicode-normalizing servers, turn into a
// dot, a slash or a backslash ("．．／", "..∕..∕etc", "..＼windows") to them.
var lookalikeSteps = strings.NewReplacer("．", ".", "․", ".", "／", "/", "∕", "/", "⁄", "/", "⧸", "/",
	"＼", "\\", "∖", "\\", "⧹", "\\")

// lookalikeSlash reports one of lookalikeSteps' slashes or the full-width
// dot in s: ／, ＼ and ． (EF BC 8F, EF BC BC, EF BC 8E), ∕ and ∖ (E2 88 95/96), ⁄ (E2 81 84), ⧸ and ⧹
// (E2 A7 B8/B9). Their lead bytes are looked for with IndexByte: most
// values have neither.
func lookalikeSlash(s string) bool {
	for _, lead := range [...]byte{0xef, 0xe2} {
		for i := strings.IndexByte(s, lead); i >= 0 && i+2 < len(s); {
			switch b, c := s[i+1], s[i+2]; {
			case lead == 0xef && b == 0xbc && (c == 0x8f || c == 0xbc || c == 0x8e),
				lead == 0xe2 && (b == 0x88 && (c == 0x95 || c == 0x96) || b == 0x81 && c == 0x84 || b == 0xa7 && (c == 0xb8 || c == 0xb9)):
				return true
			}
			j := strings.IndexByte(s[i+1:], lead)
			if j < 0 {
				break
			}
			i += 1 + j
		}
	}
	return false
}

var escapedSteps = strings.NewReplacer(".\\\\./", "../", ".\\./", "../", "%\\..", "\\..")

// dropPathNULs removes the NUL bytes before a '.', '/' or '\\' (".\x00./",
// "\x00../"); one before anything else ends the name for C string functions
// ("boot.ini\x00index.html") and stays.
func dropPathNULs(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == 0 && i+1 < len(s) && (s[i+1] == '.' || s[i+1] == '/' || s[i+1] == '\\') {
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func matchTraversal(p *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		s = pathCanon(s)
		hit := false
		if h := hexSpelled(s); h != "" && dotdot.MatchString(h) {
			report(&ruleTraversal, "hex-spelled traversal "+snippet(s))
			return true
		}
		if t := strings.TrimSpace(s); strings.HasPrefix(t, ">/tmp/") || strings.HasPrefix(t, ">>/tmp/") {
			// A value that starts with a shell redirection into /tmp is
			// appended to a command to drop a file there.
			report(&ruleSensitiveFile, "redirection into "+snippet(strings.TrimLeft(t, ">")))
			return true
		}
		dots, sensitive := strings.Contains(s, ".."), sensitiveHint(s)
		if !dots && !sensitive && !strings.Contains(s, "://") {
			return false
		}
		if wrapperHint(s) {
			if m := wrapper.FindStringSubmatch(s); m != nil {
				report(&ruleWrapper, "stream wrapper "+m[1])
				hit = true
			}
		}
		var file string
		if sensitive {
			file = sensitivePath(s, 0)
			if file == "" && strings.Contains(s, "//") {
				// Slashes path resolution merges (/proc/self//environ);
				// merged only now, as "//etc/passwd" after a route is
				// itself the sign of an absolute path appended to it.
				file = sensitivePath(mergeSlashes(s), 0)
			}
		}
		// A sensitive path reached through ".." is the traversal's target:
		// the traversal below reports it.
		if file != "" && !strings.HasPrefix(file, "..") {
			report(&ruleSensitiveFile, "sensitive path "+snippet(strings.TrimLeft(file, " =:'\"(")))
			hit = true
		}
		if !dots {
			return hit
		}
		for _, m := range dotdot.FindAllStringIndex(s, 4) {
			steps := strings.Count(s[m[0]:m[1]], "..")
			// A single ../ is how relative links and imports are
			// written; it counts in a URL-ish place with a sensitive
			// target, or as a run of two or more outside free text
			// (prose quotes source paths: "Source: ../../cmd/x.go").
			// A value that is nothing but a path climbing out of its
			// directory with a Windows separator or a path parameter
			// ("..\\x.7z", "..;/x") is a traversal whatever the step
			// count: relative links are written with "/".
			switch {
			case steps >= 3, file != "",
				steps >= 2 && !inBody(p) && !strings.ContainsAny(s, " \t\n"),
				steps >= 2 && strings.TrimSpace(s[:m[0]]) == "",
				strings.TrimSpace(s[:m[0]]) == "" && strings.ContainsAny(s[m[0]:m[1]], "\\;") && dotdotStart.MatchString(strings.TrimSpace(s)):
				report(&ruleTraversal, "traversal "+snippet(s[m[0]:min(len(s), m[1]+24)]))
				return true
			}
		}
		return hit
	})
}

// traversalPath checks the request's path as a whole. The decoder splits
// it into segments, one parameter each, so a restricted or sensitive file
// the path names (GET /.env, /.git/config, /WEB-INF/web.xml: the probes of
// scanners, CRS 930130) is no parameter's value, and the dot segments of
// "/a/../../../etc/passwd", "/cgi-bin/.%2e/.%2e/etc/passwd"
// (CVE-2021-41773) or Tomcat's "/..;/manager/html" are each a lone ".."
// that no check reads as a step. Clients remove dot segments before they
// send a request (RFC 3986, 5.2.4): one that still has them was written
// so. It counts when a dot is percent-encoded, a step carries a path
// parameter (";"), there are two steps or more, or a sensitive file
// follows; a single plain "/../" is left to the server's own resolution.
func traversalPath(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string)) {
	path := x.Request.Path
	dots := strings.Contains(path, "..") || strings.IndexByte(path, '%') >= 0
	// The restricted and sensitive files a request's path names itself
	// have a dot (/.env, /.git/config, /web.config, /WEB-INF/web.xml);
	// those without one (/etc/passwd) are out of a web root unless dot
	// segments climb to them. Most API paths have no dot and cost one
	// vectorised search.
	if !dots && (strings.IndexByte(path, '.') < 0 || !sensitiveHint(path)) {
		return
	}
	decoded, _ := decoders.DecodeRepeated(path, false, 4)
	folded := strings.ToLower(decoded)
	file := ""
	if sensitiveHint(folded) {
		// A segment of prose that quotes a path ("not to touch
		// /etc/issue") names no file to fetch, as in a value: the
		// sentence starts after the slash before it.
		file = sensitivePath(folded, '/')
	}
	steps, odd := 0, false
	for rest := path; dots && rest != ""; {
		seg, next, _ := strings.Cut(rest, "/")
		rest = next
		if step, o := dotSegment(seg); step {
			steps++
			odd = odd || o
		}
	}
	r, what := &ruleTraversal, "dot segments in the request path "
	switch {
	case steps > 0 && (odd || steps >= 2 || file != ""):
	case file != "":
		r, what = &ruleSensitiveFile, "sensitive path in the request path "
	default:
		return
	}
	report(r, &decoders.Param{Loc: decoders.LocPath, Value: path, Decoded: decoded}, what+snippet(decoded))
}

// sensitivePath returns the sensitive or restricted file path s names,
// unless a sentence quotes it (pathInProse), or "". The sentence starts
// after the last byte sep before the path when sep is not 0, else at the
// start of s.
func sensitivePath(s string, sep byte) string {
	loc := sensitiveFile.FindStringIndex(s)
	if loc == nil {
		// backend/.env.example is a template, committed to share: a
		// later restricted name still counts ("/.env.example/../.env").
		for _, m := range restrictedFile.FindAllStringIndex(s, 8) {
			if !envTemplate(s[m[1]:]) {
				loc = m
				break
			}
		}
	}
	if loc == nil {
		return ""
	}
	from := 0
	if sep != 0 {
		from = strings.LastIndexByte(s[:loc[0]], sep) + 1
	}
	if pathInProse(s[from:], loc[0]-from) {
		return ""
	}
	return s[loc[0]:loc[1]]
}

// envTemplate reports whether what follows a restricted file name makes
// it the template of one (.env.example, .env.sample, .env.dist), which
// projects commit and documentation names.
func envTemplate(after string) bool {
	for _, t := range [...]string{".example", ".sample", ".template", ".dist", ".tpl"} {
		if len(after) < len(t) || !strings.EqualFold(after[:len(t)], t) {
			continue
		}
		// The name ends there: at the end, or at a byte no name has
		// ('.' only before no letter or digit: a sentence's).
		rest := after[len(t):]
		if rest == "" || !isAlnum(rest[0]|0x20) && rest[0] != '_' && rest[0] != '-' &&
			(rest[0] != '.' || len(rest) == 1 || !isAlnum(rest[1]|0x20)) {
			return true
		}
	}
	return false
}

// dotSegment reports whether seg, a raw path segment, is a ".." step,
// its dots plain or percent-encoded (once or more: %2e, %252e, and
// %%32%65 for servers that decode twice, CVE-2021-42013) and a path
// parameter after them allowed ("..;jsessionid=x"), and whether it is
// written otherwise than "..".
func dotSegment(seg string) (step, odd bool) {
	if seg == ".." {
		return true, false
	}
	if len(seg) < 3 || seg[0] != '.' && seg[0] != '%' {
		return false, false
	}
	d, _ := decoders.DecodeRepeated(seg, false, 4)
	if i := strings.IndexByte(d, ';'); i >= 0 {
		d = d[:i]
	}
	step = d == ".."
	return step, step // spelled otherwise than ".."
}
