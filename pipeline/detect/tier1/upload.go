package tier1

import (
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// owaspUpload maps an upload of what the server runs: unrestricted upload
// of a dangerous file (CWE-434) is A04:2021, Insecure Design.
var owaspUpload = []string{"A04:2021"}

var ruleScriptUpload = rule{
	Rule:  detectRule("script-upload", "file-upload", owaspUpload, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
	title: "Server-side script upload",
	// A stored file answers 200 whether or not it ever runs: the
	// response tells nothing of success.
	noConfirm: true,
}

// uploadFamily looks at the file names of multipart uploads for what a web
// server runs or obeys: a script (shell.php, cmd.aspx, x.jsp), one hidden
// behind the tricks that get it past an extension check and still run it
// (shell.php.jpg under Apache's per-extension handlers, shell.asp;.jpg under
// IIS 6, shell.php%00.jpg cut at the NUL, shell.php. and shell.php::$DATA on
// Windows, shell.pHp), or a server configuration file that makes any upload
// run (.htaccess, web.config, .user.ini). Web shells arrive this way; CRS
// rule 933110 reads file names the same way for PHP.
var uploadFamily = family{
	name:  "upload",
	scope: uploadName,
	locs:  locMultipart,
	match: matchUpload,
}

// uploadName reports whether p is the file name of a multipart upload
// (decoders names it "<field>.filename").
func uploadName(p *decoders.Param) bool {
	return p.Loc == decoders.LocMultipart && strings.HasSuffix(p.Name, ".filename")
}

// scriptExts are the extensions web servers hand to an interpreter by
// default or by common configuration.
var scriptExts = map[string]bool{
	// PHP (php.conf, mod_php, php-fpm pools).
	"php": true, "php2": true, "php3": true, "php4": true, "php5": true, "php6": true, "php7": true, "php8": true,
	"pht": true, "phtm": true, "phtml": true, "phar": true,
	// ASP and ASP.NET (IIS handler mappings).
	"asp": true, "aspx": true, "asa": true, "cer": true, "cdx": true, "ascx": true, "ashx": true, "asmx": true,
	"axd": true, "svc": true, "cshtml": true, "vbhtml": true, "soap": true, "rem": true,
	// Java (servlet containers).
	"jsp": true, "jspx": true, "jsw": true, "jsv": true, "jspf": true, "jhtml": true, "war": true,
	// ColdFusion, server-side includes, CGI.
	"cfm": true, "cfml": true, "cfc": true, "shtml": true, "shtm": true, "stm": true, "cgi": true, "pl": true,
}

// serverConfigNames are files that change how the server treats what sits
// beside them.
var serverConfigNames = map[string]bool{".htaccess": true, "web.config": true, ".user.ini": true, "php.ini": true}

func matchUpload(p *decoders.Param, v *normalize.Value, report reportFunc) {
	seen := ""
	for _, name := range []string{p.Best(), p.Value, v.Text} {
		if name == seen || name == "" {
			continue
		}
		seen = name
		if m := scriptName(name); m != "" {
			report(&ruleScriptUpload, m)
			return
		}
	}
}

// scriptName says why file name s is one a server would run, or "".
func scriptName(s string) string {
	how := ""
	// A C string ends at the NUL (PHP's upload parser works on them),
	// before the base name is taken: shell.php\x00/x.jpg is shell.php.
	if i := strings.IndexByte(s, 0); i >= 0 {
		s, how = s[:i], " (cut at a NUL byte)"
	}
	// The base name: a client may send the path it read the file from.
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	name := strings.ToLower(s)
	// NTFS drops a trailing ::$DATA.
	if t := strings.TrimSuffix(name, "::$data"); t != name {
		name, how = t, " (NTFS stream ::$DATA)"
	}
	if m := scriptFile(s, name, how); m != "" {
		return m
	}
	// IIS 6 maps shell.asp;.jpg by what comes before the ';'; elsewhere
	// ';' is a byte of the name, read above.
	if i := strings.IndexByte(name, ';'); i >= 0 {
		return scriptFile(s, name[:i], " (cut at ';', as IIS 6 maps it)")
	}
	return ""
}

// scriptFile says why name, the lower-cased file name of s as a server
// reads it (how says how it was read), is one it would run, or "".
func scriptFile(s, name, how string) string {
	// Windows drops trailing dots and spaces.
	if t := strings.TrimRight(name, ". "); t != name && t != "" {
		name, how = t, how+" (trailing dots or spaces, which Windows drops)"
	}
	if serverConfigNames[name] {
		return "server configuration file " + snippet(name) + how
	}
	dot := strings.LastIndexByte(name, '.')
	if dot < 0 {
		return ""
	}
	if ext := name[dot+1:]; scriptExts[ext] {
		return "script extension ." + ext + " in " + snippet(s) + how
	}
	// An inner extension: Apache's AddHandler (and AddType) match any
	// of a name's extensions, so shell.php.jpg runs as PHP.
	for rest := name[:dot]; ; {
		i := strings.LastIndexByte(rest, '.')
		if i <= 0 {
			return ""
		}
		if ext := rest[i+1:]; scriptExts[ext] && (strings.HasPrefix(ext, "ph") || ext == "asp" || ext == "aspx" || ext == "jsp") {
			return "double extension ." + ext + name[dot:] + " in " + snippet(s) + how
		}
		rest = rest[:i]
	}
}
