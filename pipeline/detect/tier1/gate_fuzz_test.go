package tier1

import (
	"encoding/base64"
	"testing"
)

// FuzzNoSQLJSGate: nosqlJSShape and nosqlJSHint let in every value
// nosqlJS matches, as matchNoSQL asks them first.
func FuzzNoSQLJSGate(f *testing.F) {
	for _, s := range []string{"' && this.password.match(/.*/)//", "'; return true; var x='", "0;return(true)",
		" 12 ;return 1", "admin'; sleep(5000); var x='", "a' || this.x", "\"; db.users.drop()", "x = 'a'; return x;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if nosqlJS.MatchString(s) && !(nosqlJSShape(s) && nosqlJSHint(s)) {
			t.Fatalf("%q: nosqlJS matches, the gate says no", s)
		}
	})
}

// FuzzArgInjectionHint: argInjectionHint lets in every value argInjection
// matches (in the folded, lower-case form matchCmdi reads).
func FuzzArgInjectionHint(f *testing.F) {
	for _, s := range []string{"-oproxycommand=x", "ssh://-oproxycommand=x", " '--upload-pack=x", "a\t-x/var/www/a.php",
		"-u sh", "--config core.sshcommand=x", "-exec id ;", "-tt x", "x -x /a.php", "-created_at"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if argInjection.MatchString(s) && !argInjectionHint(s) {
			t.Fatalf("%q: argInjection matches, the hint says no", s)
		}
	})
}

// FuzzBinaryPickle: any bytes, sent as the base64 a cookie carries, are read
// by binaryPickle without a panic, whatever their opcodes and lengths claim.
func FuzzBinaryPickle(f *testing.F) {
	for _, s := range []string{"\x80\x04X\x05\x00\x00\x00posix\x94X\x06\x00\x00\x00system\x94\x93", "cposix\nsystem\n", "(S'id'\nios\nsystem\n",
		"\x80\x02X\xff\xff\xff\xff", "\x80\x05\x8c\xff", "\x80\x03V"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawURLEncoding} {
			if s := enc.EncodeToString(raw); s != "" {
				binaryPickle(s)
			}
		}
	})
}
