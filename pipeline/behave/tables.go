package behave

import "strings"

// defaultProbePaths are paths that scanners try on every host and that an
// API client has no reason to call. Matched as prefixes of the lower-cased
// path template.
func defaultProbePaths() []string {
	return []string{
		"/.env", "/.git/", "/.svn/", "/.hg/", "/.ds_store", "/.aws/", "/.ssh/", "/.htaccess", "/.htpasswd",
		"/wp-admin", "/wp-login.php", "/wp-content/", "/wp-includes/", "/xmlrpc.php",
		"/phpmyadmin", "/pma/", "/myadmin", "/adminer", "/phpinfo.php",
		"/actuator", "/jolokia", "/server-status", "/server-info", "/cgi-bin/",
		"/config.php", "/web.config", "/etc/passwd", "/console", "/solr/", "/manager/html",
		"/vendor/phpunit", "/.well-known/security.txt.bak", "/backup.zip", "/db.sql", "/dump.sql",
	}
}

// defaultScannerAgents are User-Agent substrings (lower case) of scanners
// and fuzzers run as they ship.
func defaultScannerAgents() []string {
	return []string{
		"sqlmap", "nikto", "nuclei", "gobuster", "ffuf", "zgrab", "masscan", "dirbuster", "dirb/",
		"wfuzz", "acunetix", "nessus", "openvas", "nmap scripting engine", "burpcollaborator", "feroxbuster",
		"wpscan", "whatweb", "arachni", "zap/",
	}
}

// defaultScripts are the fingerprints of common HTTP client libraries. The
// HTTP/2 values are Akamai-style fingerprints (SETTINGS|WINDOW_UPDATE|
// PRIORITY|pseudo-header order) of the libraries' defaults; check them
// against captures of the versions you run and extend the list in the
// configuration (Node and other stacks: add them from your own captures,
// their defaults vary by version). A JA4 whose ALPN part is not "h2" never belongs to a
// current browser, whatever the table says (see browserALPN).
func defaultScripts() []Fingerprint {
	return []Fingerprint{
		// Separators as decoders/http2 writes them (";" between
		// settings). curl, nghttp2 and grpc-go are measured on this
		// repository's captures (decoders/http2 TestFingerprintCaptures);
		// Go and okhttp from their sources' defaults.
		{Name: "go-net/http", H2: "2:0;4:4194304;6:10485760|1073741824|*"},
		{Name: "curl", H2: "3:100;4:10485760;2:0|*"},
		{Name: "curl", H2: "3:100;4:33554432;2:0|*"},
		{Name: "nghttp2", H2: "3:100;4:65535|00|*"},
		{Name: "h2load", H2: "2:0;4:1073741823|*"},
		{Name: "grpc-go", H2: "|00|0|m,s,p,a"},
		{Name: "okhttp", H2: "4:16777216|16711681|*"},
	}
}

// browserFamily returns the browser a User-Agent claims ("chrome",
// "firefox", "safari"), or "" when it claims none.
func browserFamily(ua string) string {
	if !strings.HasPrefix(ua, "Mozilla/5.0") {
		return ""
	}
	switch {
	case strings.Contains(ua, "Firefox/"):
		return "firefox"
	case strings.Contains(ua, "Chrome/") || strings.Contains(ua, "CriOS/"):
		return "chrome"
	case strings.Contains(ua, "Safari/") && strings.Contains(ua, "Version/"):
		return "safari"
	}
	return ""
}

// scriptOf returns the name of the script library whose fingerprint ja4
// or h2 is, or "".
func scriptOf(scripts []Fingerprint, ja4, h2 string) string {
	for _, s := range scripts {
		if s.JA4 != "" && ja4 != "" && match(s.JA4, ja4) {
			return s.Name
		}
		if s.H2 != "" && h2 != "" && match(s.H2, h2) {
			return s.Name
		}
	}
	// JA4 part a ends with the first and last characters of the first
	// ALPN value: browsers always offer h2 first over TLS; "00" (no ALPN)
	// or "h1" is a library (python-requests/urllib3, Java, older curl).
	if len(ja4) >= 10 && ja4[0] == 't' {
		if alpn := ja4[8:10]; alpn != "h2" {
			return "tls-client-alpn-" + alpn
		}
	}
	return ""
}

// match compares a table value with an observed one: exact, or with "*"
// at the end (prefix) or at the start (suffix).
func match(pattern, v string) bool {
	switch {
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(v, pattern[:len(pattern)-1])
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(v, pattern[1:])
	}
	return pattern == v
}
