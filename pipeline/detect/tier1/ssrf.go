package tier1

import (
	"net/netip"
	"path"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect"
	"github.com/apisensor/sensor/pipeline/detect/literals"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var (
	ruleSSRFMetadata = rule{
		Rule:  detectRule("ssrf-metadata", "ssrf", owaspSSRF, alert.Severity_SEVERITY_CRITICAL, alert.Confidence_CONFIDENCE_HIGH),
		title: "SSRF to a cloud metadata service",
	}
	ruleSSRFLoopback = rule{
		Rule:  detectRule("ssrf-loopback", "ssrf", owaspSSRF, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_LOW),
		title: "SSRF to a loopback address",
	}
	ruleSSRFLinkLocal = rule{
		Rule:  detectRule("ssrf-link-local", "ssrf", owaspSSRF, alert.Severity_SEVERITY_MEDIUM, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "SSRF to a link-local address",
	}
	ruleSSRFEncoded = rule{
		Rule:  detectRule("ssrf-encoded-ip", "ssrf", owaspSSRF, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_HIGH),
		title: "SSRF with an obfuscated IP address",
	}
	ruleSSRFScheme = rule{
		Rule:  detectRule("ssrf-scheme", "ssrf", owaspSSRF, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
		title: "SSRF with a dangerous URL scheme",
	}

	// A container runtime's API socket: a request through it starts a
	// privileged container with the node's root file system mounted. As
	// with a loopback URL, configuration names the same sockets
	// (Portainer's endpoint, a kubelet's runtime endpoint): confidence is
	// low until the response shows the API answered.
	ruleSSRFSocket = rule{
		Rule:  detectRule("ssrf-runtime-socket", "ssrf", owaspSSRF, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_LOW),
		title: "SSRF to a container runtime socket",
	}
	ruleRFI = rule{
		Rule:  detectRule("rfi", "remote-file-inclusion", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_LOW),
		title: "Remote file inclusion",
	}
)

// SSRF is about values the server fetches: data parameters, path segments
// and cookies (routed or stored, then fetched), and the client-controlled
// headers but Referer and Origin, which name localhost all day in
// development.
var ssrfFamily = family{
	name:  "ssrf",
	scope: scopeSSRF,
	locs:  locQuery | locForm | locJSON | locXML | locMultipart | locProtobuf | locBody | locPath | locCookie | locHeader | locName,
	match: matchSSRF,
	whole: ssrfPath,
	pre: func(p *decoders.Param, in *input) bool {
		// A bare host counts only in a data parameter named for one, or
		// written as a host with a path ("localhost/").
		return in.has(':') || in.mayChange() || p.Loc != decoders.LocHeader && in.has('/') && bareHostShape(in.best) ||
			in.has('/') && indexFold(in.best, ".sock") >= 0 ||
			in.has('/') && strings.HasPrefix(strings.TrimSpace(in.best), "//") ||
			scopeData(p) && literals.Has(urlNameSet, lastToken(p.Name))
	},
}

// authority returns the host[:port] that starts s (what follows "://"),
// without user info; extra slashes and a backslash are skipped, as lenient
// URL parsers do.
func authority(s string) string {
	s = strings.TrimLeft(s, "/\\")
	end := strings.IndexAny(s, "/?#\\ \t\r\n\"'<>")
	if end >= 0 {
		s = s[:end]
	}
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// schemeStart returns where the scheme ending at s[i] ("://" at i)
// starts.
func schemeStart(s string, i int) int {
	for i > 0 && (isAlnum(s[i-1]) || s[i-1] == '+' || s[i-1] == '.' || s[i-1] == '-') {
		i--
	}
	return i
}

// prose finds for inProse, once per value, where its text starts and
// where the first character that is no prose is: looking again before
// every URL would make a value of many URLs quadratic.
type prose struct {
	set        bool
	text, code int
}

// inProse reports whether what starts at s[i] is quoted in a sentence:
// words, spaces and quotes come before it and no character that would
// make it part of an injected command, statement or markup. A loopback
// URL there is documentation ("wrk -c 1 http://localhost:8080/", `Get
// "http://127.0.0.1:58079": read tcp`), not a value the server fetches.
func (pr *prose) inProse(s string, i int) bool {
	if !pr.set {
		pr.set = true
		pr.text = len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace))
		if pr.code = strings.IndexAny(s, ";|&`$<>(){}[]=\\\n@#%"); pr.code < 0 {
			pr.code = len(s)
		}
	}
	if i <= pr.text || pr.code < i {
		return false
	}
	c := s[i-1]
	return c == ' ' || c == '\t' || c == '"' || c == '\''
}

// bareHost returns the host[:port] that a value made of one token starts
// with when a path ("host/", "host/x") or a port follows it, and whether a
// path did; "" otherwise.
func bareHost(s string) (string, bool) {
	t := strings.TrimSpace(s)
	end := len(t)
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c <= ' ' {
			return "", false
		}
		if c == '/' && end == len(t) {
			end = i
		}
	}
	host, path := t[:end], end < len(t)
	colon := strings.IndexByte(host, ':')
	if host == "" || colon < 0 && !path {
		return "", false
	}
	name := host
	if colon >= 0 {
		name = host[:colon]
		if port := host[colon+1:]; port == "" || len(port) > 5 || strings.Trim(port, "0123456789") != "" {
			return "", false
		}
	}
	for i := 0; i < len(name); i++ {
		if c := name[i] | 0x20; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-') {
			return "", false
		}
	}
	return host, path
}

// bareHostShape is bareHost's test, for the prefilter.
func bareHostShape(s string) bool {
	h, _ := bareHost(s)
	return h != ""
}

// badScheme finds the schemes that reach non-HTTP services or local files.
// A "file:" followed by a word is the FILE:LINE of a message, not a URL:
// file URLs go on with a slash or a drive letter.
var badScheme = regexp.MustCompile(`(?:^|[^a-z0-9+.-])(?:(gopher|dict|ldap|ldaps|tftp|netdoc|jar|sftp):(?://|[a-z])|(file):(?:/|[a-z]:[/\\]))`)

// Parameter name words that say the value is a URL or host to contact.
var urlNames = map[string]bool{
	"url": true, "uri": true, "host": true, "hostname": true, "domain": true, "server": true,
	"endpoint": true, "webhook": true, "callback": true, "redirect": true, "dest": true,
	"destination": true, "target": true, "proxy": true, "feed": true, "link": true, "src": true,
	"ip": true, "addr": true, "next": true, "return": true, "site": true, "fetch": true,
	"image": true, "img": true, "avatar": true, "load": true, "page": true, "continue": true,
}

// urlNameSet is urlNames with the cheap first check: most parameter names
// are turned away before the map is read.
var urlNameSet = literals.NewWordsOf(urlNames)

func matchSSRF(p *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		if ssrfCheck(p, s, report) {
			return true
		}
		// ssrfCanon drops a backslash in a host, as parsers that ignore
		// it do (http://g\o\o\g\l\e.com); WHATWG URL parsers read it
		// as a slash in a URL of a special scheme: "http:\\127.0.0.1\admin"
		// and "http://127.0.0.1\@evil.example/" reach 127.0.0.1 there.
		if t, ok := whatwgSlashes(s); ok {
			return urlHosts(ssrfCanon(t), report)
		}
		return false
	})
}

// runtimeSocket returns the container runtime API socket (Docker,
// containerd, CRI-O, Podman, k3s, MicroK8s, cri-dockerd, rootless Docker and
// Podman, Docker's Windows pipe) that value s (folded: lower case) asks,
// or "": a URL through one (unix:///…, http+unix://…, http://unix:/…sock:/…,
// npipe:…), or, when bare is set, the socket's path alone. The path is
// resolved first (//var/run/./docker.sock, /tmp/../var/run/docker.sock). A
// socket named in a sentence or a volume mapping
// (/var/run/docker.sock:/var/run/docker.sock) is configuration talk.
func runtimeSocket(s string, bare bool) string {
	t := strings.Trim(strings.TrimSpace(s), `"'`)
	if len(t) <= 64 && strings.Contains(t, "docker_engine") && dockerPipe.MatchString(t) {
		return t
	}
	url := true
	switch {
	case strings.HasPrefix(t, "unix:"):
		t = t[len("unix:"):]
	case strings.HasPrefix(t, "http+unix://"), strings.HasPrefix(t, "https+unix://"):
		t = t[strings.Index(t, "://")+2:]
	case strings.HasPrefix(t, "http://unix:"), strings.HasPrefix(t, "https://unix:"):
		t = t[strings.Index(t, "unix:")+len("unix:"):]
	default:
		url = false
		if !bare {
			return ""
		}
	}
	i := strings.Index(t, ".sock")
	if i < 0 || i > maxSocketSpan {
		return "" // no socket's path is that long, steps back included
	}
	end := i + len(".sock")
	if strings.HasPrefix(t[end:], ".ttrpc") {
		end += len(".ttrpc")
	}
	if rest := t[end:]; rest != "" && !(url && (rest[0] == ':' || rest[0] == '/')) {
		return ""
	}
	sock := path.Clean("/" + t[:end])
	if !runtimeSockets.MatchString(sock) {
		return ""
	}
	return sock
}

// maxSocketSpan bounds what comes before ".sock" in a socket's path or
// URL: the longest path (/var/snap/microk8s/common/run/containerd) with a
// URL's scheme and a few "../" or "./" steps.
const maxSocketSpan = 128

// runtimeSockets are the sockets' paths, resolved.
var runtimeSockets = regexp.MustCompile(`^(?:/var)?/run/(?:docker|containerd/containerd|crio/crio|podman/podman|k3s/containerd/containerd|dockershim|cri-dockerd|user/\d+/docker|user/\d+/podman/podman)\.sock(?:\.ttrpc)?$` +
	`|^/var/snap/microk8s/common/run/containerd\.sock$`)

// dockerPipe is Docker's Windows named pipe, as a value alone or an npipe
// URL.
var dockerPipe = regexp.MustCompile(`^(?:npipe:)?[/\\]{2,4}\.[/\\]+pipe[/\\]+docker_engine$`)

// ssrfCheck looks for SSRF and RFI in s, one form of parameter p's value.
func ssrfCheck(p *decoders.Param, s string, report reportFunc) bool {
	if strings.Contains(s, ".sock") || strings.Contains(s, "docker_engine") {
		// A bare socket path counts in a parameter named for a place to
		// connect to: a URL name (docker_host), a socket (dockerSocket).
		name := lastToken(p.Name)
		if m := runtimeSocket(s, literals.Has(urlNameSet, name) || name == "sock" || strings.HasSuffix(name, "socket")); m != "" {
			report(&ruleSSRFSocket, "container runtime socket "+snippet(m))
			return true
		}
	}
	s = ssrfCanon(s)
	if schemeAndHosts(s, report) {
		return true
	}
	if h, kind := slashedHost(s); h != "" {
		// As a bare value: "//2 items" starts a comment, not 0.0.0.2.
		if r, why := classifyHost(stripPort(h), false); r != nil {
			report(r, why+" ("+kind+")")
			return true
		}
	}
	if strings.Contains(s, "://") {
		why := rfiURL(s)
		if why != "" {
			report(&ruleRFI, why)
		}
		return why != ""
	}
	if scopeData(p) && literals.Has(urlNameSet, lastToken(p.Name)) {
		// A bare host or address in a parameter named for one.
		h := strings.TrimSpace(s)
		if i := strings.IndexAny(h, "/?#"); i >= 0 {
			h = h[:i]
		}
		if r, why := classifyHost(stripPort(h), false); r != nil {
			report(r, why)
			return true
		}
	} else if p.Loc != decoders.LocHeader {
		// Whatever the parameter's name, a value that is nothing but
		// a host with a path ("localhost/admin", also as one path
		// segment or a cookie) or, in a data parameter, an internal
		// host name with a port ("host.docker.internal:2375") is a
		// URL without its scheme, which many fetchers complete.
		if h, path := bareHost(s); h != "" {
			host := stripPort(h)
			if r, why := classifyHost(host, false); r != nil && (path || scopeData(p) && !addressChars(host) && host != "localhost") {
				report(r, why+" (URL without a scheme)")
				return true
			}
		}
	}
	return false
}

// ssrfPath checks the request path as a whole for a URL written into it
// (GET /proxy/http://169.254.169.254/latest/meta-data/): its slashes
// split it over several segments, none of which holds the URL. A path
// with no ":/" nor ":\\" costs two searches.
func ssrfPath(x *decoders.Exchange, report func(r *rule, p *decoders.Param, matched string)) {
	path := x.Request.Path
	if indexFold(path, ".sock") >= 0 {
		// A socket's path or URL appended to a route
		// (/api/v1/proxy/unix:///var/run/docker.sock).
		decoded, _ := decoders.DecodeRepeated(path, false, 4)
		folded := strings.ToLower(decoded)
		// Only the slashes shortly before each ".sock" (the longest
		// socket path, its URL's scheme and steps back fit in
		// maxSocketSpan) start a candidate, and only the first few
		// ".sock": each candidate is a pass to its end, and a path of
		// slashes before a ".sock" would otherwise cost one per slash.
		for k, from := 0, 0; k < 4; k++ {
			at := strings.Index(folded[from:], ".sock")
			if at < 0 {
				break
			}
			at += from
			from = at + len(".sock")
			for i := max(0, at-maxSocketSpan); i < at; i++ {
				if folded[i] != '/' {
					continue
				}
				// The socket's path from this slash, or a URL after it.
				m := runtimeSocket(folded[i:], true)
				if m == "" {
					m = runtimeSocket(folded[i+1:], false)
				}
				if m != "" {
					report(&ruleSSRFSocket, &decoders.Param{Loc: decoders.LocPath, Value: path, Decoded: decoded}, "container runtime socket "+snippet(m)+" in the request path")
					return
				}
			}
		}
	}
	if !strings.Contains(path, ":/") && !strings.Contains(path, ":\\") {
		return
	}
	decoded, _ := decoders.DecodeRepeated(path, false, 4)
	s := ssrfCanon(strings.ToLower(decoded))
	schemeAndHosts(s, func(r *rule, matched string) {
		report(r, &decoders.Param{Loc: decoders.LocPath, Value: path, Decoded: decoded}, matched+" in the request path")
	})
}

// schemeAndHosts reports in s, canonicalised by ssrfCanon, a scheme that
// reaches a non-HTTP service or a local file, and the SSRF hosts of its
// URLs (urlHosts); it reports whether it found either.
func schemeAndHosts(s string, report reportFunc) bool {
	hit := false
	if hasBadScheme(s) {
		if m := badScheme.FindStringSubmatch(s); m != nil {
			report(&ruleSSRFScheme, "scheme "+m[1]+m[2]+":")
			hit = true
		}
	}
	return urlHosts(s, report) || hit
}

// slashedHost returns the host of a value that starts with a
// protocol-relative URL ("//127.0.0.1/admin", which a fetcher completes
// with its own scheme) or a UNC path ("\\localhost\c$\…", which Windows
// file APIs open over SMB; also the long form \\?\UNC\host\…), and which
// of the two it is; "" when it starts with neither. Three or more slashes
// are a local path (///tmp), not a host.
func slashedHost(s string) (host, kind string) {
	t := strings.TrimSpace(s)
	if len(t) > 8 && strings.EqualFold(t[:8], `\\?\unc\`) {
		t = `\\` + t[8:]
	}
	if len(t) < 3 || t[0] != t[1] || t[0] != '/' && t[0] != '\\' || t[2] == '/' || t[2] == '\\' {
		return "", ""
	}
	kind = "protocol-relative URL"
	if t[0] == '\\' {
		kind = "UNC path"
	}
	t = t[2:]
	if end := strings.IndexAny(t, "/\\?# \t"); end >= 0 {
		t = t[:end]
	}
	if i := strings.LastIndexByte(t, '@'); i >= 0 {
		t = t[i+1:]
	}
	return t, kind
}

// urlHosts reports SSRF in the hosts of the URLs in s (canonicalised by
// ssrfCanon): every host after "://", and the host after a confusing user
// info.
func urlHosts(s string, report reportFunc) bool {
	var pr prose
	for rest := s; ; {
		i := strings.Index(rest, "://")
		if i < 0 {
			break
		}
		host := authority(rest[i+3:])
		start := len(s) - len(rest) + i // the "://" in s
		rest = rest[i+3:]
		if r, why := classifyHost(stripPort(host), true); r != nil && !(r == &ruleSSRFLoopback && pr.inProse(s, schemeStart(s, start))) {
			report(r, why)
			return true
		}
		// Parsers disagree on where the authority ends: a user
		// info "@" after a space or a fragment sign
		// ("http://good:80 &@127.0.0.1/") reaches the last host
		// for some of them.
		auth := rest
		if end := strings.IndexByte(auth, '/'); end >= 0 {
			auth = auth[:end]
		}
		if at := strings.LastIndexByte(auth, '@'); at >= 0 && strings.ContainsAny(auth[:at], " #") {
			if r, why := classifyHost(stripPort(authority(auth[at+1:])), true); r != nil {
				report(r, why+" (after a confusing user info)")
				return true
			}
		}
	}
	return false
}

// whatwgSchemes are the special schemes of the WHATWG URL standard whose
// parsers read a backslash as a slash.
var whatwgSchemes = []string{"http:", "https:", "ws:", "wss:", "ftp:"}

// whatwgSlashes returns s with every backslash in a URL of a special
// scheme (from the scheme to the first blank, quote or angle bracket)
// turned into a slash, and whether there was one.
func whatwgSlashes(s string) (string, bool) {
	if strings.IndexByte(s, '\\') < 0 {
		return s, false
	}
	var b []byte
	for _, scheme := range whatwgSchemes {
		for from := 0; ; {
			i := strings.Index(s[from:], scheme)
			if i < 0 {
				break
			}
			i += from
			from = i + len(scheme)
			if schemeStart(s, i) != i {
				continue // the end of another scheme or a word (xhttp:)
			}
			for j := from; j < len(s) && strings.IndexByte(" \t\r\n\"'<>", s[j]) < 0; j++ {
				if s[j] == '\\' {
					if b == nil {
						b = []byte(s)
					}
					b[j] = '/'
				}
			}
		}
	}
	if b == nil {
		return s, false
	}
	return string(b), true
}

var badSchemes = []string{"gopher:", "dict:", "file:", "ldap:", "ldaps:", "tftp:", "netdoc:", "jar:", "sftp:"}

// hasBadScheme is badScheme's cheap prefilter.
func hasBadScheme(s string) bool {
	for _, b := range badSchemes {
		if strings.Contains(s, b) {
			return true
		}
	}
	return false
}

// addressChars reports whether h could be an IP address in some notation
// (digits, hex, dots, colons); anything else is a host name.
func addressChars(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '.' || c == ':' || c == 'x' || c == 'X' || c == '%') {
			return false
		}
	}
	return true
}

// stripPort removes a :port and IPv6 brackets.
func stripPort(h string) string {
	if strings.HasPrefix(h, "[") {
		if i := strings.IndexByte(h, ']'); i > 0 {
			return h[1:i]
		}
		return h[1:]
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.Count(h, ":") == 1 {
		return h[:i]
	}
	return h
}

// Host names that mean this machine or a metadata service.
var (
	loopbackNames = map[string]bool{
		"localhost": true, "localhost.localdomain": true, "ip6-localhost": true, "ip6-loopback": true,
		"localtest.me": true, "lvh.me": true, "vcap.me": true, "localhost4": true, "localhost6": true,
		"localhost4.localdomain4": true, "localhost6.localdomain6": true, "ipv6-localhost": true, "ipv6-loopback": true,
		// Names container runtimes and Kubernetes resolve to the host
		// or the cluster's API server.
		"host.docker.internal": true, "gateway.docker.internal": true, "kubernetes.docker.internal": true,
		"host.containers.internal": true, "kubernetes.default": true, "kubernetes.default.svc": true,
		"kubernetes.default.svc.cluster.local": true,
	}
	metadataNames = map[string]bool{
		"metadata.google.internal": true, "metadata": true, "metadata.goog": true,
		"instance-data": true, "instance-data.ec2.internal": true, "metadata.azure.com": true,
		// Equinix Metal (formerly Packet), Tencent Cloud, and the
		// Kubernetes and Rancher metadata services.
		"metadata.packet.net": true, "metadata.platformequinix.com": true, "metadata.tencentyun.com": true,
		"rancher-metadata": true, "rancher-metadata.rancher.internal": true,
	}
)

// Metadata service addresses: AWS, GCP, Azure, OpenStack (IPv4, and the
// IPv6 ones of AWS and GCP), Alibaba, Oracle, the credentials endpoints of
// ECS tasks and EKS Pod Identity (IPv4 and IPv6), and Azure's WireServer.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), netip.MustParseAddr("fd00:ec2::254"),
	netip.MustParseAddr("fd20:ce::254"), netip.MustParseAddr("100.100.100.200"),
	netip.MustParseAddr("192.0.0.192"), netip.MustParseAddr("169.254.170.2"),
	netip.MustParseAddr("169.254.170.23"), netip.MustParseAddr("fd00:ec2::23"),
	netip.MustParseAddr("168.63.129.16"),
}

// wildcardDNS are the suffixes of public DNS services that resolve a name
// to the address written in it (nip.io, sslip.io, xip.io, traefik.me), or
// alternately to two of them (rbndr.us, 1u.ms: DNS rebinding).
var wildcardDNS = []string{".nip.io", ".sslip.io", ".xip.io", ".traefik.me", ".rbndr.us", ".1u.ms"}

// embeddedAddrs returns the addresses written in the labels of s, a
// wildcard DNS name without its suffix: any four numbers in a row joined
// by dots or dashes ("app-10.0.0.1", "1.169.254.169.254", "169-254-169-254",
// "make-127.0.0.1-rebind"), any word of eight hex digits ("a9fea9fe",
// "7f000001.a9fea9fe"), and an IPv6 address with dashes for colons ending
// a label, as sslip.io reads one ("--1", "fd00-ec2--254", "www-fe80--1").
// Every offset is tried, since services differ on which address of a name
// they answer with; at most the first 64 parts are read.
func embeddedAddrs(s string) []netip.Addr {
	var out []netip.Addr
	for label := range strings.SplitSeq(s, ".") {
		if a, ok := dashedIPv6(label); ok {
			out = append(out, a)
		}
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '.' || r == '-' })
	parts = parts[:min(len(parts), 64)]
	for i, p := range parts {
		if len(p) == 8 {
			if n, err := strconv.ParseUint(p, 16, 32); err == nil {
				out = append(out, netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}))
			}
		}
		if i+4 > len(parts) {
			continue
		}
		var b [4]byte
		ok := true
		for j := range 4 {
			n, err := strconv.ParseUint(parts[i+j], 10, 8)
			ok = ok && err == nil && len(parts[i+j]) <= 3
			b[j] = byte(n)
		}
		if ok {
			out = append(out, netip.AddrFrom4(b))
		}
	}
	return out
}

// dashedIPv6 returns the IPv6 address that ends label with a dash for
// each colon, read from the label's start or after one of its dashes
// (what precedes is a name: "www-"), trying at most 8 starts.
func dashedIPv6(label string) (netip.Addr, bool) {
	if len(label) < 3 || len(label) > 60 || !strings.Contains(label, "--") && strings.Count(label, "-") < 7 {
		return netip.Addr{}, false
	}
	for i, tries := 0, 0; i < len(label) && tries < 8; tries++ {
		if a, err := netip.ParseAddr(strings.ReplaceAll(label[i:], "-", ":")); err == nil && a.Is6() {
			return a, true
		}
		// The next start: after the next dash that is not the first of
		// a "--" (which would leave a lone colon in front).
		j := strings.IndexByte(label[i+1:], '-')
		if j < 0 {
			break
		}
		i += 1 + j
		if i+1 < len(label) && label[i+1] == '-' {
			// "x--1": try "--1" (::1) first, as written.
			continue
		}
		i++
	}
	return netip.Addr{}, false
}

// classifyHost returns the rule a host or address falls under, or nil. In a
// URL any address form counts; a bare value (inURL false) must be an address
// in a form that cannot be a plain number ("0" is not 0.0.0.0 there).
func classifyHost(h string, inURL bool) (*rule, string) {
	h = strings.TrimSuffix(strings.TrimSpace(h), ".")
	if h == "" {
		return nil, ""
	}
	switch {
	case metadataNames[h]:
		return &ruleSSRFMetadata, "metadata host " + h
	case loopbackNames[h], strings.HasSuffix(h, ".localhost"), strings.HasSuffix(h, ".localtest.me"):
		return &ruleSSRFLoopback, "loopback host " + snippet(h)
	}
	for _, suffix := range wildcardDNS {
		if strings.HasSuffix(h, suffix) {
			// 127.0.0.1.nip.io, app-169-254-169-254.sslip.io and
			// a9fea9fe.nip.io resolve to the address they embed;
			// 7f000001.a9fea9fe.rbndr.us to each of two in turn (DNS
			// rebinding).
			// The metadata service first, of two.
			var found *rule
			var what string
			for _, a := range embeddedAddrs(strings.TrimSuffix(h, suffix)) {
				if r, why := classifyAddr(a); r != nil && (found == nil || r == &ruleSSRFMetadata) {
					found, what = r, why+" via "+snippet(h)
				}
			}
			if found != nil {
				return found, what
			}
		}
	}
	if i := strings.IndexByte(h, '%'); i > 0 && strings.IndexByte(h[:i], ':') >= 0 {
		// An IPv6 zone ("fe80::1%eth0", "%25eth0" once in a URL) names
		// an interface, not an address.
		h = h[:i]
	}
	if !addressChars(h) {
		return nil, ""
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if !inURL && a.Is4() && !strings.Contains(h, ".") {
			return nil, ""
		}
		return classifyAddr(a)
	}
	a, form, ok := parseLooseIPv4(h)
	if !ok && inURL {
		a, form, ok = overflowIPv4(h)
	}
	if !ok || !inURL && form == "decimal" && len(h) < 8 {
		return nil, ""
	}
	r, why := classifyAddr(a)
	if r == nil {
		// A URL host written as one integer (decimal, hex, or wider
		// than 32 bits) names a public address only to get past a
		// filter that looks for dotted quads: no one writes a link that
		// way.
		if !inURL || form == "short" || form == "octal" || form == "decimal" && len(h) < 8 {
			return nil, ""
		}
		why = "public"
	}
	// An address written in an unusual form is there to slip past a
	// filter: that is a finding of its own, whatever the target.
	return &ruleSSRFEncoded, form + " form " + snippet(h) + " = " + a.String() + " (" + why + ")"
}

func classifyAddr(a netip.Addr) (*rule, string) {
	a = a.Unmap().WithZone("")
	if b := a.As16(); a.Is6() && [12]byte(b[:12]) == [12]byte{} && !a.IsLoopback() && !a.IsUnspecified() {
		// An IPv4-compatible IPv6 address (::169.254.169.254): the
		// IPv4 address it embeds.
		a = netip.AddrFrom4([4]byte(b[12:]))
	}
	for _, m := range metadataAddrs {
		if a == m {
			return &ruleSSRFMetadata, "metadata address " + a.String()
		}
	}
	switch {
	case a.IsLoopback():
		return &ruleSSRFLoopback, "loopback address " + a.String()
	case a.IsUnspecified():
		return &ruleSSRFLoopback, "unspecified address " + a.String()
	case a.IsLinkLocalUnicast():
		return &ruleSSRFLinkLocal, "link-local address " + a.String()
	}
	return nil, ""
}

// parseLooseIPv4 parses the inet_aton forms a URL library may accept: one
// to four parts, each decimal, 0x-hex or 0-octal, the last filling the
// remaining bytes ("2130706433", "0x7f000001", "0177.0.0.1", "127.1"). It
// fails on a plain dotted quad, which netip parses.
func parseLooseIPv4(s string) (netip.Addr, string, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 || len(parts) == 0 {
		return netip.Addr{}, "", false
	}
	form := "short"
	var vals [4]uint64
	for i, p := range parts {
		base := 10
		switch {
		case strings.HasPrefix(p, "0x") || strings.HasPrefix(p, "0X"):
			base, p, form = 16, p[2:], "hex"
		case len(p) > 1 && p[0] == '0':
			base, p = 8, p[1:]
			if form != "hex" {
				form = "octal"
			}
		}
		if p == "" && base != 8 {
			return netip.Addr{}, "", false
		}
		if p == "" {
			p = "0"
		}
		n, err := strconv.ParseUint(p, base, 32)
		if err != nil {
			return netip.Addr{}, "", false
		}
		vals[i] = n
	}
	if len(parts) == 1 && form == "short" {
		form = "decimal"
	}
	last := len(parts) - 1
	for i := 0; i < last; i++ {
		if vals[i] > 255 {
			return netip.Addr{}, "", false
		}
	}
	if vals[last] >= 1<<(8*(4-last)) {
		return netip.Addr{}, "", false
	}
	var b [4]byte
	for i := 0; i < last; i++ {
		b[i] = byte(vals[i])
	}
	rest := vals[last]
	for i := 3; i >= last; i-- {
		b[i] = byte(rest)
		rest >>= 8
	}
	return netip.AddrFrom4(b), form, true
}

// scopeSSRF is scopeData, path segments, cookies, and the scanned headers
// but Referer and Origin.
func scopeSSRF(p *decoders.Param) bool {
	switch p.Loc {
	case decoders.LocPath, decoders.LocCookie:
		return true
	case decoders.LocHeader:
		return p.Name != "referer" && p.Name != "origin" && detect.ScannedHeader(p.Name)
	}
	return scopeData(p)
}

// rfiURL reports the URL forms of remote file inclusion: a URL the value
// starts with (include($_GET['page'])) whose host is an IP address (a
// throwaway server, no DNS name), or one that ends in "?" or a NUL, which
// turns the suffix the application appends (".php") into a query string
// or cuts it off.
func rfiURL(s string) string {
	t := strings.TrimSpace(s)
	i := strings.Index(t, "://")
	if i <= 0 {
		return ""
	}
	switch t[:i] {
	case "http", "https", "ftp", "ftps":
	default:
		return ""
	}
	if strings.HasSuffix(t, "?") || strings.HasSuffix(t, "\x00") {
		return "URL ending in a query or NUL " + snippet(t)
	}
	host := authority(t[i+3:])
	rest := strings.TrimLeft(t[i+3:], "/")
	if j := strings.IndexAny(rest, "/?#"); j >= 0 && rest[j] == '/' {
		// A user info in the first path segment
		// ("http://good.example/:x@evil.example/"): parsers that take
		// the last "@" before the path as the end of the user info
		// fetch from the host after it, while the check saw the first.
		seg := rest[j+1:]
		if end := strings.IndexAny(seg, "/?#"); end >= 0 {
			seg = seg[:end]
		}
		if c, at := strings.IndexByte(seg, ':'), strings.LastIndexByte(seg, '@'); c >= 0 && at > c && strings.IndexByte(seg[at:], '.') > 0 {
			return "user info in the path " + snippet(t)
		}
	}
	h := stripPort(host)
	a, err := netip.ParseAddr(h)
	if err != nil || !(a.Is6() || strings.Count(h, ".") == 3) || a.IsPrivate() || !a.IsGlobalUnicast() {
		// Private and loopback targets are SSRF's; a service on a
		// private address (http://10.0.0.5:8080/health) is configuration.
		return ""
	}
	// Code fetched from a bare public address: a script or text file, or
	// any FTP URL.
	path := t[i+3+len(host):]
	if end := strings.IndexAny(path, "?#"); end >= 0 {
		path = path[:end]
	}
	if t[:i] == "ftp" || t[:i] == "ftps" || includeExt(path) {
		return "code URL on an IP address " + snippet(t)
	}
	return ""
}

// includeExt reports a path naming a file an include or an interpreter
// runs, or a text file an attacker serves code in.
func includeExt(path string) bool {
	dot := strings.LastIndexByte(path, '.')
	if dot < 0 || strings.IndexByte(path[dot:], '/') >= 0 {
		return false
	}
	switch path[dot+1:] {
	case "php", "phtml", "php5", "inc", "txt", "jsp", "asp", "aspx", "sh", "pl", "py", "cgi", "gif", "jpg":
		return true
	}
	return false
}

// ssrfCanon undoes what URL parsers forgive and filters do not: the
// characters IDNA maps to ASCII digits, letters and dots (①②⑦, ⓛⓞⓒⓐⓛ,
// "169。254。169。254"), backslash escapes inside a host, and a scheme
// without its slashes ("http:2852039166", "http:/x"). It returns s when
// none applies.
func ssrfCanon(s string) string {
	if hasIDNA(s) {
		s = strings.Map(func(r rune) rune {
			switch {
			case r >= 0x2460 && r <= 0x2468: // ① to ⑨
				return '1' + (r - 0x2460)
			case r == 0x24ea || r == 0x24ff: // ⓪ ⓿
				return '0'
			case r >= 0x24d0 && r <= 0x24e9: // ⓐ to ⓩ
				return 'a' + (r - 0x24d0)
			case r >= 0x24b6 && r <= 0x24cf: // Ⓐ to Ⓩ
				return 'a' + (r - 0x24b6)
			case r == 0x3002 || r == 0xff0e || r == 0xff61: // ideographic, fullwidth, halfwidth full stops
				return '.'
			}
			return r
		}, s)
	}
	for _, scheme := range []string{"http:", "https:"} {
		i := strings.Index(s, scheme)
		if i < 0 || i > 0 && isAlnum(s[i-1]) {
			continue
		}
		rest := s[i+len(scheme):]
		if !strings.HasPrefix(rest, "//") && rest != "" {
			s = s[:i] + scheme + "//" + strings.TrimLeft(rest, "/")
		}
	}
	if i := strings.Index(s, "://"); i >= 0 && strings.Contains(s[i:], "\\") {
		host := s[i+3:]
		end := strings.IndexAny(host, "/?#")
		if end < 0 {
			end = len(host)
		}
		s = s[:i+3] + strings.ReplaceAll(host[:end], "\\", "") + host[end:]
	}
	return s
}

// hasIDNA reports whether s holds a character ssrfCanon maps: the
// enclosed alphanumerics (UTF-8 e2 91 xx, e2 93 xx) and the full stops
// (e3 80 82, ef bc 8e, ef bd a1).
func hasIDNA(s string) bool {
	return strings.Contains(s, "\xe2\x91") || strings.Contains(s, "\xe2\x93") || strings.Contains(s, "\xe2\x92") ||
		strings.Contains(s, "\xe3\x80\x82") || strings.Contains(s, "\xef\xbc\x8e") || strings.Contains(s, "\xef\xbd\xa1")
}

// overflowIPv4 parses a single decimal or 0x-hex number wider than 32 bits
// as the address of its low 32 bits, as URL parsers that wrap do
// (http://7147006462/ is 169.254.169.254).
func overflowIPv4(h string) (netip.Addr, string, bool) {
	base, digits := 10, h
	if strings.HasPrefix(h, "0x") || strings.HasPrefix(h, "0X") {
		base, digits = 16, h[2:]
	}
	if digits == "" || len(digits) > 20 {
		return netip.Addr{}, "", false
	}
	var n uint64
	for i := 0; i < len(digits); i++ {
		d := strings.IndexByte("0123456789abcdef", digits[i]|0x20)
		if d < 0 || d >= base {
			return netip.Addr{}, "", false
		}
		n = n*uint64(base) + uint64(d)
	}
	if n <= 0xffffffff {
		return netip.Addr{}, "", false
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), "overflowing", true
}
