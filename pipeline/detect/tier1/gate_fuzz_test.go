package tier1

import "testing"

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
