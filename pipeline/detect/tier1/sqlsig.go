package tier1

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
	"github.com/apisensor/sensor/pipeline/detect/literals"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// SQL injection techniques libinjection's tokenizer does not see as such:
// fragments injected into the middle of a query (no opening quote to
// balance), database-specific syntax (PostgreSQL casts and JSON operators,
// MSSQL procedures) and the functions used for blind and error-based
// extraction. The injection detector's libinjection check stays the main
// SQL injection detector; this family adds what it misses.
var ruleSQLSig = rule{
	Rule:  detectRule("sql-signature", "sql-injection", owaspInjection, alert.Severity_SEVERITY_HIGH, alert.Confidence_CONFIDENCE_MEDIUM),
	title: "SQL injection",
}

var sqlsigFamily = family{
	name:    "sqlsig",
	values:  true,
	trigger: "'\"();@:=`#-",
	match:   matchSQLSig,
	pre: func(_ *decoders.Param, in *input) bool {
		// A quote, a parenthesis, an operator or a comment ("/*" stands
		// for a space: DROP/*x*/t) let a value in, and so does what
		// sqlCanon changes (a '+' for every space, full-width letters,
		// line breaks). Words and numbers alone ("union select",
		// "tempdb..sysobjects", "SKU-0565", "166 Rue Neuve") go through
		// sqlWeakWorth.
		if in.classes&sqlsigStrong != 0 || in.mayChange() || in.has('*') && in.has('/') || in.has('+') && !in.has(' ') ||
			(in.hasAny(highClass) || in.has('\r') || in.has('\n')) && sqlCanonNeeded(in.best) {
			return true
		}
		if in.classes&(upperClass|lowerClass) == 0 {
			// Every word, hint and name sqlWeakWorth looks for has an
			// ASCII letter: prices, ids, dates and postcodes need only
			// its operators.
			return in.classes&sqlWeakOps != 0
		}
		return sqlWeakWorth(in.best)
	},
}

// sqlsigMask is the family's trigger classes, sqlsigStrong those but the
// minus, which SKUs, dates and compound words carry; sqlWeakOps are the
// operator bytes sqlWeakWorth lets in on their own.
var sqlsigMask, sqlsigStrong, sqlWeakOps classSet

// sqlWeakWorth reports whether s, which has none of the family's triggers
// but a minus, may hold what matchSQLSig finds: an SQL word (sqlWordGate,
// in any case), a comparison or logical operator, a system name, UNION
// glued to SELECT or a number in scientific notation before a dot or a
// parenthesis. A value of other words and numbers matches nothing
// (FuzzPrefilterSound); the full-width forms sqlCanon folds are let in
// before (sqlCanonNeeded), and other letters past ASCII are no SQL.
func sqlWeakWorth(s string) bool {
	if len(s) > 256 {
		return true
	}
	// One pass: words lower-cased as they are read (the last ended by a
	// space past the end), looked up when they end. A word byte, most of
	// a value, costs a table load and a store.
	var w [20]byte
	n, longest := 0, 0
	for i := 0; i <= len(s); i++ {
		c := byte(' ')
		if i < len(s) {
			c = s[i]
		}
		if l := sqlWordLower[c]; l != 0 {
			if n < len(w) {
				w[n] = l
			}
			n++
			continue
		}
		switch c {
		case '<', '>', '!', '|', '&':
			return true
		case '\'':
			if i+2 < len(s) && s[i+1] == '$' && (s[i+2] == '.' || s[i+2] == '[') {
				return true // a quoted JSON path
			}
		case '.':
			if sciNotationAt(s, i) {
				return true
			}
		}
		if n <= len(w) && sqlWordHit(w[:n]) {
			return true
		}
		longest, n = max(longest, n), 0
	}
	// UNION glued to SELECT is one word of at least 11 letters.
	return sqlBareName(strings.TrimSpace(s)) || longest >= len("unionselect") && sqlGluedFold(s)
}

// sqlBareNames are the SQL system objects and providers that travel as a
// whole value without any byte the prefilter looks for: MSSQL's system
// databases and remote-query functions and providers, MySQL's privilege
// table and MS Access's system tables.
var sqlBareNames = []string{
	"tempdb", "msdb", "mysql.db", "openrowset", "opendatasource", "msdasql", "sqloledb",
	"msysaccessobjects", "msysobjects", "msysqueries", "msysrelationships", "msysaces",
}

// sqlGluedFold reports whether s holds UNION and SELECT run together
// (unionselect, UNIONALLSELECT), in any case: a single token the
// prefilter's bytes do not find.
func sqlGluedFold(s string) bool {
	for i := 0; i+len("unionselect") <= len(s); i++ {
		if s[i]|0x20 != 'u' || !strings.EqualFold(s[i:i+5], "union") {
			continue
		}
		r := s[i+5:]
		for _, w := range [...]string{"all", "distinct"} {
			if len(r) >= len(w) && strings.EqualFold(r[:len(w)], w) {
				r = r[len(w):]
				break
			}
		}
		if len(r) >= 6 && strings.EqualFold(r[:6], "select") {
			return true
		}
	}
	return false
}

// sqlBareName reports whether s is one of sqlBareNames, in any case.
func sqlBareName(s string) bool {
	if len(s) < 4 || len(s) > 17 {
		return false
	}
	for _, n := range sqlBareNames {
		if len(n) == len(s) && strings.EqualFold(n, s) {
			return true
		}
	}
	return false
}

func init() {
	sqlsigMask = classMask(sqlsigFamily.trigger)
	sqlsigStrong = sqlsigMask &^ classMask("-")
	sqlWeakOps = classMask("<>!|&")
}

// What a technique's matches need besides a hint (sqlSig's need, every
// bit of it): checking a bit is cheaper than running the expression on
// the prose that holds a hint ("the gate code is 80#", "thanks -- Anne").
const (
	sqlNeedParen uint8 = 1 << iota // (
	sqlNeedClose                   // )
	sqlNeedQuote                   // ' " or `
	sqlNeedSemi                    // ;
	sqlNeedBool                    // or, and, && or || (sqlBoolHint)
	sqlNeedTail                    // -- or # ending the value, but for \s
)

// sqlNeeds returns the sqlNeed bits of s; hints is its sqlSigHints.
func sqlNeeds(s string, hints uint64) uint8 {
	var m uint8
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			m |= sqlNeedParen
		case ')':
			m |= sqlNeedClose
		case '\'', '"', '`':
			m |= sqlNeedQuote
		case ';':
			m |= sqlNeedSemi
		}
	}
	if hints&sqlBoolHint != 0 {
		m |= sqlNeedBool
	}
	if t := strings.TrimRight(s, "\t\n\f\r "); strings.HasSuffix(t, "--") || strings.HasSuffix(t, "#") {
		m |= sqlNeedTail
	}
	return m
}

// sqlSig lists the techniques, each with the literals one of which its
// matches hold (so that the regexp runs only on values holding one; all
// the lists are looked for in one pass, sqlSigHints).
var sqlSig = []struct {
	hint []string // the regexp runs when s holds one of these
	re   *regexp.Regexp
	need uint8 // and every sqlNeed bit of this
	// pre, when set, is a condition every match of re meets, cheaper
	// than re on the prose that has the hints (FuzzSQLSigPre).
	pre func(s string) bool
}{
	// UNION-based extraction.
	{[]string{"union"}, regexp.MustCompile(`\bunion(?:\s+all|\s+distinct(?:row)?)?\s*\(?\s*select\b`), 0, nil},
	// Schema enumeration through the system catalogs.
	// MSSQL's system databases qualifying an object (tempdb..t,
	// msdb.dbo.backupset; named alone they are prose, matchSQLSig takes
	// them as a whole value), MySQL's privilege table mysql.db and MS
	// Access's hidden system tables (MSysObjects…) are named only to
	// enumerate or read them.
	{[]string{"information_schema", "pg_", "sqlite_", "mysql.", "sysobjects", "syscolumns", "all_tables", "user_tables", "sys.", "db.", "msys"}, regexp.MustCompile(`\b(?:information_schema|pg_catalog|pg_shadow|sqlite_master|sqlite_schema|mysql\.(?:user|db)|sysobjects|syscolumns|all_tables|user_tables|sys\.(?:objects|tables|columns|databases|sql_logins)|(?:tempdb|msdb)\.(?:\.|dbo\.|sys\.)|msys(?:accessobjects|objects|queries|relationships|aces))\b`), 0, nil},
	// MSSQL procedures that run commands, read the registry or files, or
	// connect out (OPENROWSET through the MSDASQL or SQLOLEDB provider);
	// sp_password in a query keeps MSSQL from logging its text. Oracle's
	// UTL_ packages make the server send HTTP, DNS or mail, or touch files
	// (out-of-band extraction).
	{[]string{"xp_", "sp_", "master.", "open", "msdasql", "sqloledb", "utl_", "httpuritype"}, regexp.MustCompile(`\bexec(?:ute)?\s+master\.|\bhttpuritype\s*\(|\b(?:xp_cmdshell|xp_dirtree|xp_regread|xp_fileexist|sp_oacreate|sp_oamethod|sp_executesql|sp_makewebtask|sp_addextendedproc|sp_password|openrowset|opendatasource|openquery|msdasql|sqloledb|utl_(?:http|file|inaddr|smtp|tcp))\b`), 0, nil},
	// Time-based blind injection.
	{[]string{"sleep", "benchmark", "waitfor", "dbms_"}, regexp.MustCompile(`(?:^|[^.\w])(?:sleep|pg_sleep)\s*\(\s*\(?\s*(?:\d+(?:\.\d+)?\s*(?:[^\w\s]|$)|mod\s*\(|select\b)|\bbenchmark\s*\(\s*\d+\s*,|\bselect\s+pg_sleep\b|\bwaitfor\s+(?:delay|time)\s*['"]|\bdbms_pipe\.receive_message|\b(?:dbms|user)_lock\.sleep`), 0, sleepCall},
	// File read and write from the database.
	{[]string{"load_file", "outfile", "dumpfile", "pg_read_file", "program", "utl_"}, regexp.MustCompile(`\bload_file\s*\(|\binto\s+(?:out|dump)file\b|\bpg_read_file\s*\(|\bcopy\s+(?:\w+|\([^;]{0,200}?\))\s+(?:from|to)\s+program\b|\butl_(?:file|http|inaddr)\b`), 0, nil},
	// Error-based extraction.
	{[]string{"extractvalue", "updatexml", "exp(", "exp (", "geometrycollection", "multipoint", "polygon", "json_keys", "gtid_subset"}, regexp.MustCompile(`\b(?:extractvalue|updatexml|exp|geometrycollection|multipoint|polygon|json_keys|gtid_subset)\s*\(\s*(?:\d|0x|concat|\(\s*select|@@)`), sqlNeedParen, nil},
	// PostgreSQL casts and JSON operators on injected values
	// ('x'::jsonb <@ '…', (…)::int): error-based extraction and filter
	// bypass.
	{[]string{"::"}, regexp.MustCompile(`(?:'|\))\s*::\s*(?:jsonb?|text|int\w*|bigint|regclass|bytea|numeric|varchar)\b|\w::(?:jsonb?|regclass)\b`), 0, nil},
	// JSON operators and functions applied to an injected JSON literal
	// ('{"b":2}' <@ '…', '…' -> '$.c', '…' ? 'a', json_extract(…)).
	{[]string{"<@", "@>", "->", "#>", "?", "json_"}, regexp.MustCompile(`'\s*(?:::\s*jsonb?\s*)?(?:<@|@>)\s*'|'[\[{][^']*'\s*(?:::\s*jsonb?\s*)?(?:->>?|#>>?|\?[|&]?)\s*(?:'|array\s*\[)|\bjson_(?:extract|value|query|contains|keys|search)\s*\(\s*'`), sqlNeedQuote, nil},
	// Subqueries and the values they select to leak data ("select *
	// from" alone is how developers quote SQL).
	{[]string{"select"}, regexp.MustCompile(`\bfrom\s*\(\s*select\b|\(\s*select\s+(?:\*|count\s*\(|concat|group_concat|@@|char\s*\(|0x|if\s*\(|case\b|sleep|\w+\s+from\b)|\bselect\s+(?:count\s*\(\s*\*\s*\)\s*,|concat(?:_ws)?\s*\(|group_concat\s*\(|char\s*\(\s*\d|0x[0-9a-f]{4}|@@\w|null\s*,|\d+\s*,\s*\d+\s*,)`), 0, nil},
	// Server variables and identity functions that fingerprint the DBMS.
	{[]string{"@@", "()", "( )"}, regexp.MustCompile(`@@(?:version|datadir|hostname|basedir|servername|tmpdir)\b|(?:^|[^.\w])(?:current_user|session_user|system_user|database|schema|version|db_name|user_name|suser_sname|sqlite_version|pg_backend_pid)\s*\(\s*\)`), 0, nil},
	// Strings built from character codes or hex to dodge quote filters.
	{[]string{"char(", "char (", "concat", "chr("}, regexp.MustCompile(`\bchar\s*\(\s*\d+\s*(?:,\s*\d+\s*){2,}\)|\b(?:concat(?:_ws)?|group_concat)\s*\([^)]{0,40}0x[0-9a-f]{2}|(?:\bchr\s*\(\s*\d+\s*\)\s*(?:\|\||\+|\.)\s*){2}`), sqlNeedParen, nil},
	// Boolean tautologies and comparisons injected after a value
	// (1 AND 2771=1709, ' or 1='1, OR (7319=8742)): at the start of the
	// value, after its first word, or after a quote or parenthesis, not
	// in the middle of a sentence.
	{[]string{"=", "<>", "like"}, regexp.MustCompile(`(?:^\s*|['")]\s*|^\s*[\w./-]{1,40}(?:\s+|=\s*))(?:and|or|xor|&&|\|\|)\s*(?:not\s+)?\(?\s*(?:\d+|'[^']{0,20}'|"[^"]{0,20}")\s*(?:==?|<>|!=|<=>|\blike\b)\s*(?:\(?\s*(?:\d+|'|")|\(\s*(?:select\b|$))`), sqlNeedBool, nil},
	// A quote that closes the application's string, then a boolean
	// operator and an SQL expression (admin' and password glob password;,
	// x' or username like y escape 'x', \' or json(id), 1' and
	// starts_with(…), ' or true;), or a backslash-escaped quote that
	// slips past the application's escaping (\'or'1).
	{[]string{"' ", "'a", "'o", "\" ", "\"a", "\"o", "\\'", "\\\"", "\\\x60"}, regexp.MustCompile(`(?:^|\w|\\)['"]\s*(?:and|or)\b\s*\(?\s*(?:(?:true|false|null)\s*(?:;|--|#|$)|not\b|[a-z_]\w*\s*\(|[a-z_]\w*\s+(?:glob|like|rlike|regexp|is|sounds)\b)|\\['"\x60](?:or|and)['"\x60]|\\['"\x60]\s*(?:or|and)\s*(?:$|\d)|^\s*\\['"]\w*\s+(?:or|and)\s+\d`), sqlNeedQuote | sqlNeedBool, quoteThenBool},
	// A tautology or a bare OR/AND cut off by a comment (OR 1#,
	// 1='1' or-- -): the rest of the application's WHERE is discarded.
	{[]string{"--", "#"}, regexp.MustCompile(`(?:^|['")]\s*)(?:or|and)\s+\d+\s*(?:#|--)|['"]\s*(?:or|and)\s*(?:--|#)`), sqlNeedBool, boolBeforeComment},
	// The same with typographic quotes, which some drivers and collations
	// fold to an ASCII quote (’ OR ’1’=’x’).
	{[]string{"’", "‘", "´"}, regexp.MustCompile(`(?:’|‘|´)\s*(?:or|and)\s+(?:’|‘|´)?\w+(?:’|‘|´)?\s*=`), 0, nil},
	// A condition appended to a JavaScript or NoSQL query (|| x == ',
	// && a != …) at the start of the value.
	{[]string{"||", "&&"}, regexp.MustCompile(`(?:^|=)\s*(?:\|\||&&)\s*\(?\s*[\w.]+\s*(?:===?|!==?)`), 0, nil},
	// Closing an expression and aliasing it before FROM: the injection
	// continues the application's SELECT (…) AS x FROM; the value starts
	// with the closing parenthesis or the number selected ("he said (…)
	// as usual from" is prose).
	{[]string{"from"}, regexp.MustCompile(`^\s*(?:\d+\s*)?['"\x60]?\s*\)?\s*as\s*['"\x60]?\w*['"\x60]?\s+from\b`), 0, asStart},
	// Padding a UNION's value list to the column count with empty
	// strings or NULLs.
	{[]string{"''", "\"\"", "null"}, sqlPadding, 0, nil},
	// Conditional expressions of blind injection, MySQL's ELT and
	// MAKE_SET among them (sqlmap's "parameter replace": ELT(1=1,5)).
	{[]string{"if(", "if (", "when", "iif", "elt", "make_set"}, regexp.MustCompile(`\bif\s*\(\s*(?:\d+\s*[=<>]|now\s*\(\s*\)\s*=|ascii\s*\(|substr|length\s*\(|\(\s*select)|\bcase\s+when\b[^;]{0,80}\bthen\b|\biif\s*\(|\b(?:elt|make_set)\s*\(\s*\d+\s*(?:=|<>|<=?|>=?)\s*\d+\s*,`), 0, nil},
	// Heavy queries for time-based blind injection where there is no
	// sleep: a string repeated or a blob generated hundreds of millions
	// of times (REPEAT(…,5000000000), RANDOMBLOB(500000000)).
	{[]string{"repeat", "randomblob"}, regexp.MustCompile(`\brepeat\s*\([^;]{0,80}?,\s*\d{7,}\s*\)|\brandomblob\s*\(\s*\d{7,}`), sqlNeedParen, nil},
	// Stacked queries: a statement after a semicolon.
	{[]string{";"}, regexp.MustCompile(`;\s*(?:insert\s+into|drop\s+(?:table|database)|delete\s+from|truncate\b|update\s+\w+\s+set|shutdown\b|exec(?:ute)?\s+(?:master|xp_|sp_|\()|declare\s+@|set\s+@|create\s+(?:table|function|user|extension\s+[\w"]+|(?:trigger|procedure)\s+[\w."\x60\[\]]+\s*(?:\(|as\b|before\b|after\b|instead\s+of\b|on\b))|replace\s+(?:into\s+)?\w+\s*\([^)]*\)\s*values\b|alter\s+(?:table|user)|grant\s+|select\b)`), 0, nil},
	// A quote that closes the application's string, then SQL (a keyword
	// or an operator) and a comment that cuts off the rest of the query
	// (id' or x--, x'|email--).
	{[]string{"--", "#"}, regexp.MustCompile(`'\s*(?:or|and|xor|not|is|like|glob|rlike|regexp|union|having|order|group|collate|notnull|isnull|mod|div|sounds|escape|\|\|?|&&|[-+^&<>=*/%|])\b?[^'\n]{0,40}(?:--|#)\s*$`), sqlNeedQuote | sqlNeedTail, nil},
	// A quote immediately followed by UNION (' union all, "union/**/).
	{[]string{"union"}, regexp.MustCompile(`['"\x60]\s*union(?:\s+all\b|\s*/)`), 0, nil},
	// PostgreSQL large-object functions that read and write server files
	// (lo_import('/etc/passwd'), lo_get(16400)).
	{[]string{"lo_"}, regexp.MustCompile(`\blo_(?:import|export|get|put|from_bytea)\s*\(`), sqlNeedParen, nil},
	// Error-based extraction by casting an identity value to a number
	// (current_user::int, password::int).
	{[]string{"::"}, regexp.MustCompile(`\b(?:current_user|session_user|user|password|passwd|version\s*\(\s*\)|database\s*\(\s*\))::(?:int|integer|numeric|bigint)\b`), 0, nil},
	// Dynamic SQL on Oracle and user-defined functions on MySQL/PostgreSQL
	// (EXECUTE IMMEDIATE '…', CREATE FUNCTION f(…) RETURNS …).
	{[]string{"immediate", "function"}, regexp.MustCompile(`\bexecute\s+immediate\s+['"]|\bcreate\s+(?:or\s+replace\s+)?function\s+[\w.]+\s*\(.{0,80}?\)\s*returns\b`), 0, nil},
	// A value that is a destructive statement ended by a comment
	// (DROP sampletable;--, DELETE FROM users;--); an UPDATE … SET … WHERE with a
	// comment is how developers write SQL.
	{[]string{"--", "#"}, regexp.MustCompile(`^\s*(?:drop\s+(?:table\s+)?\w+|delete\s+from\s+\w+|truncate\s+(?:table\s+)?\w+)\s*;\s*(?:--|#)`), sqlNeedSemi, nil},
	// SELECT with a time-delay or fingerprint function as its value
	// (select if(…), select char(…), select(user(…))), or a parenthesised
	// CASE whose branches test the data bit by bit (select (case when …)).
	{[]string{"select"}, regexp.MustCompile(`\bselect\s*\(?\s*(?:if|char|user|current_user|database|version|ascii|sleep)\s*\(|\bselect\s*\(\s*case\b`), sqlNeedParen, nil},
	// ORDER BY / GROUP BY column counting and HAVING tests.
	// HAVING with a constant test (HAVING 1=1) or an aggregate probes for
	// the columns of the query through its error messages; ORDER BY
	// right after a quote continues the application's query.
	{[]string{"order by", "group by", "having"}, regexp.MustCompile(`\border\s+by\s+\d+\s*(?:--|#|;|$)|\bgroup\s+by\s+[\w\x60,. ]{1,60}\s+having\s+[\w\x60(]|\bhaving\s+(?:\d+\s*=|count\s*\()|['"\x60]\s*order\s+by\s+[\w\x60]`), 0, nil},
	// Procedure calls and declarations used for injection on MSSQL and
	// MySQL.
	{[]string{"procedure", "declare", "set @", "set/**/@"}, regexp.MustCompile(`\bprocedure\s+analyse\s*\(|\bdeclare\s+@\w+|\bset\s+@\w+\s*=\s*(?:0x|x'|b'|char|concat|\()`), 0, nil},
	// A UNION's column list padded with numbers and ending with an
	// identity function (select 1,2,3,user()).
	{[]string{"user(", "version(", "database(", "db_name(", "schema("}, regexp.MustCompile(`\bselect\b[^;]{0,60}?,\s*(?:user|version|database|current_user|system_user|session_user|db_name|schema)\(`), sqlNeedParen, nil},
	// A quote closing the string, then an SQL comparison operator on the
	// next operand and a statement end or comment ('glob 1;, x' rlike y--).
	// LIKE only at the start of the value: after a word the quote is as
	// often an apostrophe (parents' like this;).
	{[]string{"glob", "rlike", "regexp", "'like", "' like", "\"like", "\" like"}, regexp.MustCompile(`(?:^\s*|\w)['"]\s*(?:glob|rlike|regexp)\s+[\w'"]+\s*(?:;|--|#)|^\s*['"]\s*like\s+[\w'"]+\s*(?:;|--|#)`), sqlNeedQuote, nil},
	// The same as JavaScript for a NoSQL or server-side-JS query: the value
	// starts with && or || and a parenthesised assignment or comparison
	// (&&(a=!0), ||(x=").
	{[]string{"&&(", "&& (", "||(", "|| ("}, regexp.MustCompile(`(?:^|=)\s*(?:&&|\|\|)\s*\(\s*\w+\s*==?\s*(?:!?\d|['"(])`), sqlNeedParen, nil},
	// Assigning a MySQL user or session variable (SET @x=, SET @@sql_mode,
	// a dump's SET @OLD_SQL_NOTES), which only SQL scripts and stacked
	// injections do ("set @alice" ending a chat line is a mention).
	{[]string{"set @", "set  @", "set\n@"}, regexp.MustCompile(`(?:^|[\s>;=])set\s+(?:@@[a-z_]|@[a-z_]\w*\s*:?=|@[a-z]+_\w+\s*$)`), 0, nil},
	// DDL that changes a table (ALTER TABLE t ADD/CHANGE/MODIFY …).
	{[]string{"alter"}, regexp.MustCompile(`\balter\s+table\s+[\w\x60."\[\]]+\s+(?:add|change|modify|drop|rename|alter|convert|engine|auto_increment|character|default)\b`), 0, nil},
	// Closing a parenthesised expression into a LIKE or a CASE branch
	// () like (select…, ) when 1 then …), with an SQL operand: "I
	// (really) like (most) dogs" is prose.
	{[]string{")like", ") like", ")when", ") when"}, regexp.MustCompile(`\)\s*like\s*\(\s*(?:$|select\b|['"\d@]|0x|concat|char)|\)\s*when\s+(?:\d+|'[^']*'|null|true|false)\s+then\b`), sqlNeedClose, nil},
	// Set operators other than UNION that append rows of the attacker's
	// choosing (except values(…), except select 1).
	{[]string{"except", "intersect"}, regexp.MustCompile(`\b(?:except|intersect)\s+(?:all\s+)?(?:values\s*\(|select\s+(?:\*|\d|null\b|@@))`), 0, nil},
	// A MySQL qualified name in backquotes (only MySQL quotes identifiers
	// so) in a clause: a table read from or a column compared (FROM
	// `db`.`t`, `t`.`id` = 1) or passed to a function (CONVERT(`t`.`c`
	// …)); "SELECT `a`.`b`" alone is how developers quote SQL.
	{[]string{"`.`"}, regexp.MustCompile(`(?:\bfrom\s+|\(\s*)\x60[^\x60\s]{1,64}\x60\.\x60|\x60[^\x60\s]{1,64}\x60\.\x60[^\x60\s]{1,64}\x60\s*(?:[=<>!]|like\b|limit\b)`), 0, nil},
	// A subquery assigned where a value goes (id=(select …).
	{[]string{"=(", "= ("}, regexp.MustCompile(`=\s*\(\s*select\b`), sqlNeedParen, nil},
	// MySQL JSON path comparison on an injected JSON literal
	// ('{"a":1}' > '$.a' = 7).
	{[]string{"'$"}, regexp.MustCompile(`'[\[{][^']*'\s*(?:<=?|>=?|=|<>|!=)\s*'\$[.\[]`), 0, nil},
}

// boolBeforeComment reports whether s has OR or AND followed, past white
// space and digits, by a comment (# or --): what every match of the
// technique of boolean-then-comment breakouts (' or 1#, and 2 --) holds.
func boolBeforeComment(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		j := 0
		switch {
		case s[i] == 'o' && s[i+1] == 'r':
			j = i + 2
		case s[i] == 'a' && strings.HasPrefix(s[i+1:], "nd"):
			j = i + 3
		default:
			continue
		}
		for j < len(s) && (reSpace(s[j]) || '0' <= s[j] && s[j] <= '9') {
			j++
		}
		if j < len(s) && (s[j] == '#' || s[j] == '-' && j+1 < len(s) && s[j+1] == '-') {
			return true
		}
	}
	return false
}

// sleepCall is the time-based technique's precheck: "sleep" before a
// parenthesis, or one of its other functions and statements ("sleeping
// bag" has the hint and none of these).
func sleepCall(s string) bool {
	if strings.Contains(s, "pg_sleep") || strings.Contains(s, "benchmark") || strings.Contains(s, "waitfor") || strings.Contains(s, "dbms_") || strings.Contains(s, "user_lock") {
		return true
	}
	for i := strings.Index(s, "sleep"); i >= 0; {
		j := i + len("sleep")
		for j < len(s) && reSpace(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '(' {
			return true
		}
		k := strings.Index(s[i+1:], "sleep")
		if k < 0 {
			break
		}
		i += 1 + k
	}
	return false
}

// asStart is the exact precheck of the technique of a value that starts
// an alias before FROM (1 as x from …): after blanks, a number, a quote
// and a parenthesis, each optional and in that order, comes "as" ("from
// japan" stops at its first letter).
func asStart(s string) bool {
	i := 0
	skip := func() {
		for i < len(s) && reSpace(s[i]) {
			i++
		}
	}
	skip()
	if i < len(s) && '0' <= s[i] && s[i] <= '9' {
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		skip()
	}
	if i < len(s) && (s[i] == '\'' || s[i] == '"' || s[i] == '`') {
		i++
	}
	skip()
	if i < len(s) && s[i] == ')' {
		i++
	}
	skip()
	return strings.HasPrefix(s[i:], "as")
}

// quoteThenBool reports whether s has a quote followed, past white space,
// by AND or OR, or a backslash before a quote: what every match of the
// technique of quote breakouts into a boolean expression holds.
func quoteThenBool(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"' || s[i+1] == '`') {
				return true
			}
		case '\'', '"':
			j := i + 1
			for j < len(s) && reSpace(s[j]) {
				j++
			}
			if strings.HasPrefix(s[j:], "and") || strings.HasPrefix(s[j:], "or") {
				return true
			}
		}
	}
	return false
}

// reSpace reports the bytes of regexp's \s.
func reSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// sqlSigHints finds sqlSig's hints, bit k for technique k, and the
// boolean operators (sqlBoolHint).
var sqlSigHints = func() *literals.Set {
	groups := make([][]string, len(sqlSig)+1)
	for k, sig := range sqlSig {
		groups[k] = sig.hint
	}
	groups[len(sqlSig)] = []string{"or", "and", "&&", "||"}
	return literals.MustNew(groups...)
}()

// sqlBoolHint is the bit of sqlSigHints' last group.
var sqlBoolHint = uint64(1) << len(sqlSig)

// sqlCanon undoes, for SQL only, what a database reads past and a filter
// does not: '+' for a space in a value decoded once more by the
// application, line breaks standing for a space (sqlmap's space2randomblank),
// line comments standing for one ("WAITFOR--x\nDELAY",
// "AND#x\n1=1", sqlmap's space2dash and space2hash; in other languages a
// "#" line is text, so the folded form keeps them), fullwidth ASCII
// ("＇", which best-fit conversions to a legacy code page turn into "'",
// apostrophemask), and a non-ASCII byte or character right before a quote
// (the multi-byte lead that swallows the backslash of addslashes in GBK,
// unmagicquotes: "\xbf'"). It returns s when none applies.
func sqlCanon(s string) string {
	plusSpace := plusForSpace(s)
	if !plusSpace && !sqlCanonNeeded(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	// Past the last line break no comment ends: not looking there keeps
	// a value of many "#" linear.
	lastNL := strings.LastIndexByte(s, '\n')
	for i := 0; i < len(s); {
		c := s[i]
		if i < lastNL && (c == '#' || c == '-' && i+1 < len(s) && s[i+1] == '-') {
			if nl := strings.IndexByte(s[i:], '\n'); nl > 0 {
				b.WriteByte(' ')
				i += nl + 1
				continue
			}
		}
		if c < 0x80 {
			if c == '\r' || c == '\n' || c == '\f' || c == '\v' || c == '\t' || c == '+' && plusSpace {
				c = ' '
			}
			b.WriteByte(c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r >= 0xff01 && r <= 0xff5e:
			// Lower case, as the folded form the techniques expect.
			c := byte(r - 0xff01 + '!')
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b.WriteByte(c)
		case i+n < len(s) && (s[i+n] == '\'' || s[i+n] == '"'):
			// The lead byte before a quote is dropped.
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// plusForSpace reports whether s has '+' and no space: it was written with
// '+' for spaces, as a form encoder writes them, and an application that
// URL-decodes it again reads spaces ("'+or+1=1+--+").
func plusForSpace(s string) bool {
	return strings.IndexByte(s, '+') >= 0 && strings.IndexByte(s, ' ') < 0
}

// sqlCanonNeeded reports whether sqlCanon would change s but for
// plusForSpace: a line break (fold keeps them; a line comment ends at one),
// a fullwidth form (UTF-8 ef bc xx, ef bd xx), or a byte over 0x7f right
// before a quote.
func sqlCanonNeeded(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\r' || c == '\n':
			return true
		case c < 0x80:
		case c == 0xef && i+1 < len(s) && (s[i+1] == 0xbc || s[i+1] == 0xbd):
			return true
		case i+1 < len(s) && (s[i+1] == '\'' || s[i+1] == '"'):
			return true
		}
	}
	return false
}

// sqlSciNotation finds MySQL's scientific-notation separator: a number
// written "1.e" parses as a float and ends the token, so "1.e(ascii",
// "1.e.tables" and "1.e)" glue SQL together where a WAF expects a space
// or a word boundary (the 2021 ModSecurity CRS bypass). What follows must
// be an SQL function or catalog name: an outline number ("clause 4.e(iii)")
// or a file name ("scan-1.e.pdf") is none.
var sqlSciNotation = regexp.MustCompile(`\b\d+\.e(?:\(\s*|\.)(?:ascii|substr|substring|mid|ord|hex|unhex|char|concat|user|version|database|schema|select|sleep|if|length|lower|upper|tables|columns|schemata|information_schema)\b`)

// sciNotationHint reports whether s holds a digit, ".e" and '(' or '.', the
// bytes every sqlSciNotation match starts with (".e" alone is in every
// host name and file name).
func sciNotationHint(s string) bool {
	for i := 0; i+2 < len(s); i++ {
		if sciNotationAt(s, i) {
			return true
		}
	}
	return false
}

// sciNotationAt reports whether s[i] is the dot of sciNotationHint, in any
// case.
func sciNotationAt(s string, i int) bool {
	return s[i] == '.' && i > 0 && '0' <= s[i-1] && s[i-1] <= '9' && i+2 < len(s) && s[i+1]|0x20 == 'e' && (s[i+2] == '(' || s[i+2] == '.')
}

// sqlQuoteKeyword finds a quote at the start of a value followed by a
// statement or boolean keyword: the quote closes the application's
// string. (After a word the quote is as often an apostrophe: "students'
// union".)
var sqlQuoteKeyword = regexp.MustCompile(`^\s*(['"\x60])\s*(?:` +
	// UNION and ALTER start an SQL clause whatever follows.
	`(?:union|alter)(?:\s+|/)(?:[\w*@(]|$)` +
	// Words of prose as well ("select comfort…) need an SQL
	// continuation.
	`|select\s+(?:[\w@]+\s*(?:,|\(|from\b|$)|[*@\d])` +
	`|(?:drop|truncate)\s+(?:table|database|\w+\s*(?:;|--|#|$))|delete\s+from\b|insert\s+into\b|declare\s+@` +
	`|exec(?:ute)?\s+(?:master\.|xp_|sp_|\w+\s*(?:['@;]|$))|shutdown\s*(?:;|--|#|$)` +
	// A boolean operator and a comparison, a number or a comment (a
	// "--" glued to a word and followed by one is a dash: "and then--and").
	`|(?:or|and|xor)\s+(?:[\w'"]+\s*(?:[=<>!]|\d|--(?:\s|$)|#|;|$)|\d|\())`)

// sqlChecks are the techniques that a cheap scan finds better than a
// regexp over the whole value; each returns the text it found, or "".
var sqlChecks = []func(s string) string{
	// Functions that exist only in SQL dialects, called, and SQL
	// functions named like English words called as SQL calls them.
	sqlCall,
	// A quote at the start of the value that closes the application's
	// string, then an SQL statement or boolean keyword (' union a…,
	// "alter t…, ' or x 9), the quote left unbalanced.
	sqlQuoteBreak,
	// A value that starts as the remainder of a WHERE clause: AND/OR, a
	// column and a comparison whose right side the application supplies
	// (AND status = ', OR id!=(, and deleted = 0).
	sqlWhereRest,
	// A value that starts a stacked statement (;update users, =;drop).
	sqlStackStart,
}

// sqlStackStartRE matches a value that starts a stacked statement (see
// sqlStackStart).
var sqlStackStartRE = regexp.MustCompile(`(?:^|=)\s*;\s*(?:update\s+\w+|drop|delete|insert|truncate|shutdown)\b`)

// sqlStackStart returns the start of s when s, maybe after the parameter
// name the application glued to it (pay=), starts with a semicolon and
// a statement.
func sqlStackStart(s string) string {
	t := strings.TrimLeft(s, " \n\r")
	if !strings.HasPrefix(t, ";") && !strings.Contains(s, "=;") && !strings.Contains(s, "= ;") {
		return ""
	}
	return sqlStackStartRE.FindString(s)
}

// sqlWhereRestRE matches a value that starts as the remainder of a WHERE
// clause (see sqlWhereRest).
var sqlWhereRestRE = regexp.MustCompile(`^\s*(?:[\w./-]{1,40}=)?\s*(?:and|or)\s+[a-z_][\w.]*\s*(?:(?:==?|!=|<>)\s*(?:['"]\s*$|\(|\d+\s*\))|(?:!=|<>)\s*$)`)

// sqlWhereRest returns the start of s when s begins, maybe after the
// parameter name the application glued to it (pay=), with AND or OR
// and a column compared to what the application supplies.
func sqlWhereRest(s string) string {
	t := strings.TrimLeft(s, " \n\r")
	if !sqlBoolStart(t) {
		i := strings.IndexByte(t, '=')
		if i <= 0 || i > 40 || !sqlBoolStart(strings.TrimLeft(t[i+1:], " \n\r")) {
			return ""
		}
	}
	return sqlWhereRestRE.FindString(s)
}

func sqlBoolStart(s string) bool { return strings.HasPrefix(s, "and") || strings.HasPrefix(s, "or") }

// sqlQuoteBreak returns the start of s when s opens with a quote and an
// SQL keyword (sqlQuoteKeyword) and leaves that quote unbalanced: a
// quoted keyword ('select', "and vice versa") is prose.
func sqlQuoteBreak(s string) string {
	t := strings.TrimLeft(s, " \n\r")
	if t == "" || t[0] != '\'' && t[0] != '"' && t[0] != '`' {
		return ""
	}
	m := sqlQuoteKeyword.FindStringSubmatch(s)
	if m == nil || strings.Count(s, m[1])%2 == 0 {
		return ""
	}
	return m[0]
}

// sqlOnlyFuncs are functions that exist only in SQL dialects: error-based
// extraction (extractvalue, updatexml, xmltype, name_const), string
// building for UNION extraction (group_concat, concat_ws, make_set, unhex,
// find_in_set, ifnull), fingerprinting (sysdate, current_user, db_name,
// schema_name, is_srvrolemember…) and delays (pg_sleep). No other
// language names them, so a call alone is SQL.
var sqlOnlyFuncs = map[string]bool{
	"extractvalue": true, "updatexml": true, "xmltype": true, "name_const": true, "group_concat": true,
	"concat_ws": true, "make_set": true, "unhex": true, "find_in_set": true, "ifnull": true, "sysdate": true,
	"current_user": true, "session_user": true, "system_user": true, "db_name": true, "schema_name": true,
	"suser_sname": true, "is_srvrolemember": true, "pg_sleep": true, "sqlite_version": true, "pg_backend_pid": true,
}

// sqlWordFuncs are SQL functions whose names are also English words or
// common identifiers: MySQL's DATABASE() and BENCHMARK(), COALESCE().
var sqlWordFuncs = map[string]bool{"database": true, "benchmark": true, "coalesce": true}

// sqlCall returns the first call in s of a function of sqlOnlyFuncs, or
// of sqlWordFuncs written right against its parenthesis with an SQL
// argument or none (database(), benchmark(@n,…)): "the database
// (PostgreSQL)" and "Benchmark(b *testing.B)" are prose and code. A method
// call (df.coalesce(1)) or a variable ($database(…)) is another language.
func sqlCall(s string) string {
	for i, n := 0, 0; n < 64; n++ {
		j := strings.IndexByte(s[i:], '(')
		if j < 0 {
			return ""
		}
		p := i + j // the parenthesis
		i = p + 1
		e := p
		for e > 0 && (s[e-1] == ' ' || s[e-1] == '\n') {
			e--
		}
		b := e
		for b > 0 && sqlWordByte(s[b-1]) {
			b--
		}
		if b == e || e-b > 20 || b > 0 && (s[b-1] == '.' || s[b-1] == '$') {
			continue
		}
		w := s[b:e]
		if sqlOnlyFuncs[w] || sqlWordFuncs[w] && e == p && sqlArg(s[p+1:]) {
			return s[b : p+1]
		}
	}
	return ""
}

// sqlArg reports whether s, the text after a call's parenthesis, starts
// with what SQL passes there: nothing, a number, a string, a variable, a
// hex literal, a subquery or NULL.
func sqlArg(s string) bool {
	s = strings.TrimLeft(s, " \n\r")
	if s == "" || strings.IndexByte(")0123456789'\"@(", s[0]) >= 0 {
		return true
	}
	for _, p := range [...]string{"select", "null"} {
		if strings.HasPrefix(s, p) && (len(s) == len(p) || !sqlWordByte(s[len(p)])) {
			return true
		}
	}
	return false
}

// sqlConstCmp matches a whole value that is a constant comparison
// (11!=1, 42<=>42, '1' not regexp '2', 42 like 42): a boolean probe put
// where a number goes. It has no SQL word for sqlWordGate.
var sqlConstCmp = regexp.MustCompile(`^\s*['"]?\d+['"]?\s*(?:<=>|!=|==|<>|\bis\s+not\b|\bnot\s+regexp\b|\blike\b)\s*['"]?\d+['"]?\s*$`)

// sqlTerminated matches a single token (or none) closed by a quote and a
// semicolon, maybe with a comment (admin@example.com';, ';--): the value
// ends the application's string and statement, to test for stacked
// queries.
var sqlTerminated = regexp.MustCompile(`^\s*[\w.@+-]*['"\x60]\s*;\s*(?:--|#)?$`)

// sqlQuotedTaut matches a value that is a quoted number compared with an
// open quoted number ('1'='1): the application's own closing quote
// completes the tautology.
var sqlQuotedTaut = regexp.MustCompile(`^\s*'\d+'\s*=\s*'\d+$`)

// sqlGlued finds UNION and SELECT run together, as they are once a
// filter strips the comments or spaces between them (unionselect,
// UNION/**/ALL/**/SELECT folded without its spaces), or joined by the
// form encoding's '+' where no URL-decoding turns it into a space.
var sqlGlued = regexp.MustCompile(`union(?:all|distinct)?select|union\+(?:(?:all|distinct)\+)?select\b`)

// sqlPadding matches the padding of a UNION's value list with empty
// strings or NULLs (x' union select null, null, null); matchSQLSig also
// tries it before sqlWordGate, as a run of empty strings has no SQL word.
var sqlPadding = regexp.MustCompile(`(?:^|[\s(])(?:''|""|null)\s*(?:,\s*(?:''|""|null)\s*){2,}`)

// sqlCommentSpace finds an inline comment used as the space after an SQL
// keyword (SELECT/*x*/password/**/FROM, DROP/*c*/t), which dodges filters
// that look for "select " with a space; normalisation removes comments,
// so it looks at the decoded text.
var sqlCommentSpace = regexp.MustCompile(`(?:^|[\s'"();])(?:select|union|drop|delete|insert|from|where|and|or|order|group)/\*[^*]{0,40}\*/\s*[\w@('"*]`)

// sqlVersioned finds MySQL versioned comments (/*!50000select*/), which
// hide keywords from filters; normalisation removes comments, so it looks
// at the decoded text.
var sqlVersioned = regexp.MustCompile(`/\*!\d*\s*(?:select|union|from|where|and|or)\b`)

// sqlConstTaut reports whether s is a tautology of constants ('1'='1 with
// the last quote left to the application, or 7=7).
func sqlConstTaut(s string) bool {
	if strings.IndexByte(s, '\'') >= 0 && sqlQuotedTaut.MatchString(s) {
		return true
	}
	// A number compared with itself (7=7): a tautology put where a value
	// goes.
	a, b, ok := strings.Cut(s, "=")
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return ok && a != "" && a == b && strings.Trim(a, "0123456789") == ""
}

// sqlPrint matches a quote closing the string the value started in, then
// a stacked MSSQL PRINT, which echoes a string or variable into the
// response (';print @@version); "x = 'a'; print 'b'" is Python 2. PRINT
// is too common a word of code prose for sqlWordGate, so matchSQLSig
// tries this before it, on values with a semicolon.
var sqlPrint = regexp.MustCompile(`^\s*[\w.@-]*['"]\s*;\s*print\s*['"@]`)

// sqlSplitKeyword finds a word cut in two by an inline comment
// (DR/**/OP, UN/*x*/ION): MySQL and MSSQL treat the comment as a token
// break, a filter matching whole keywords sees neither half; the halves
// joined must make one of sqlSplitWords.
var sqlSplitKeyword = regexp.MustCompile(`([a-z]{1,8})/\*[^*]{0,40}\*/([a-z]{1,8})`)

var sqlSplitWords = map[string]bool{
	"select": true, "union": true, "drop": true, "delete": true, "insert": true, "update": true, "from": true,
	"where": true, "table": true, "exec": true, "execute": true, "declare": true, "truncate": true, "having": true,
}

func matchSQLSig(p *decoders.Param, v *normalize.Value, report reportFunc) {
	found := func(m string) bool {
		report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(m)))
		return true
	}
	// Whether p is named for a secret matters only to a login bypass's
	// shape, rare: asked then, once.
	secret := -1
	check := func(s string) bool {
		if m := quoteComment(s); m != "" {
			if secret < 0 {
				secret = 0
				if secretName(p.Name) {
					secret = 1
				}
			}
			if secret == 0 {
				return found(m)
			}
		}
		if len(s) <= 20 && sqlBareName(strings.TrimSpace(s)) {
			return found(s)
		}
		if len(s) <= 40 && (strings.ContainsAny(s, "=<>") || strings.Contains(s, " like ") || strings.Contains(s, " not ")) && sqlConstCmp.MatchString(s) {
			return found(s)
		}
		if len(s) <= 80 && strings.IndexByte(s, ';') >= 0 && sqlTerminated.MatchString(s) {
			return found(s)
		}
		if len(s) <= 30 && strings.IndexByte(s, '=') >= 0 && sqlConstTaut(s) {
			return found(s)
		}
		if strings.Contains(s, "'',") || strings.Contains(s, "\"\",") {
			if m := sqlPadding.FindString(s); m != "" {
				return found(m)
			}
		}
		if strings.IndexByte(s, ';') >= 0 && strings.Contains(s, "print") {
			if m := sqlPrint.FindString(s); m != "" {
				return found(m)
			}
		}
		if strings.Contains(s, "union") {
			if m := sqlGlued.FindString(s); m != "" {
				return found(m)
			}
		}
		if sciNotationHint(s) {
			if m := sqlSciNotation.FindString(s); m != "" {
				return found(m)
			}
		}
		// A quote then a comment (x'|email--) needs no SQL word.
		if !sqlWordGate(s) && !(strings.IndexByte(s, '\'') >= 0 && strings.Contains(s, "--")) {
			return false
		}
		// A single token (an id, a SKU, a slug) can only name a catalog
		// table or a procedure (techniques 1 and 2).
		token := !strings.ContainsAny(s, " '\"();@:=#\n\t|&<\x60\\")
		first, last := 0, len(sqlSig)
		if token {
			first, last = 1, 3
		}
		hints := literals.Find(sqlSigHints, s)
		have := sqlNeeds(s, hints)
		for k := first; k < last; k++ {
			sig := &sqlSig[k]
			if have&sig.need != sig.need || hints&(1<<k) == 0 || sig.pre != nil && !sig.pre(s) {
				continue
			}
			if m := sig.re.FindString(s); m != "" {
				return found(m)
			}
		}
		if !token {
			for _, check := range sqlChecks {
				if m := check(s); m != "" {
					return found(m)
				}
			}
		}
		return false
	}
	forms(v, func(s string) bool {
		if check(s) {
			return true
		}
		if t := sqlCanon(s); t != s {
			return check(t)
		}
		return false
	})
	// Versioned comments and comments as spaces are gone from the folded
	// form.
	if t := v.Text; strings.Contains(t, "/*") {
		lt := strings.ToLower(t)
		if m := sqlVersioned.FindString(lt); m != "" {
			found(m)
		} else if m := sqlCommentSpace.FindString(lt); m != "" {
			found(m)
		} else {
			for _, m := range sqlSplitKeyword.FindAllStringSubmatch(lt, 4) {
				if sqlSplitWords[m[1]+m[2]] {
					found(m[0])
					break
				}
			}
		}
	}
}

// quoteComment returns the start of s when s is one token, a quote and a
// comment that ends the statement there, perhaps after a ')' or a ';': the
// login bypass "admin'-- ", "admin' #", "admin'#x", "x')-- -", "admin';-- "
// comments out the password check after the quote. libinjection takes
// only "--" or "/*" ending the value. "--" needs a blank or a '-' after it
// (MySQL needs the blank) or the end. Without a letter in the token (a
// number, or none) the comment must end the value ("1'#", "'-- "):
// "'#ff0000'", "\"-- select --\"" and "6' # of feet" are text.
func quoteComment(s string) string {
	if strings.IndexByte(s, '\'') < 0 && strings.IndexByte(s, '"') < 0 {
		return ""
	}
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	start, letter := i, false
	for i < len(s) && i-start <= 64 && (isAlnum(s[i]) || s[i] == '_' || s[i] == '.' || s[i] == '@' || s[i] == '+' || s[i] == '-') {
		letter = letter || 'a' <= s[i]|0x20 && s[i]|0x20 <= 'z'
		i++
	}
	if i-start > 64 {
		return ""
	}
	if i >= len(s) || s[i] != '\'' && s[i] != '"' {
		return ""
	}
	j := i + 1
	for j < len(s) && (s[j] == ' ' || s[j] == ')' || s[j] == ';') {
		j++
	}
	rest := s[j:]
	comment := strings.HasPrefix(rest, "--") && (len(rest) == 2 || rest[2] == ' ' || rest[2] == '\t' || rest[2] == '-' || rest[2] == '\n' || rest[2] == '\r') ||
		strings.HasPrefix(rest, "#")
	if !comment {
		return ""
	}
	// A token with a letter ("admin'#x"); a number or none only when the
	// comment ends the value ("1'#", "'-- "): "6' # of feet" is text.
	if !letter && strings.Trim(rest, "#- \t\r\n") != "" {
		return ""
	}
	return s[start:min(len(s), j+3)]
}

// secretName reports a parameter named for a password, a PIN or a secret,
// whose value may be any string: "hunter2'#" is a password (also in
// password_confirmation, newPassword, userPin), or one that is a key or a
// token as a whole (api_key, accessToken; not sortKey, nextPageToken).
func secretName(name string) bool {
	words := nameTokens(name)
	for _, x := range words {
		switch x {
		case "password", "passwd", "passphrase", "pwd", "pass", "secret", "pin", "credential", "credentials":
			return true
		}
	}
	switch strings.Join(words, "") {
	case "key", "apikey", "secretkey", "privatekey", "token", "accesstoken", "authtoken", "apitoken":
		return true
	}
	return false
}

// sqlWords holds the words at least one of which every sqlSig pattern and
// sqlChecks scan needs, apart from those sqlWordGate finds by their bytes
// (JSON operators and paths, && and ||) and a quote before a comment;
// sqlWordGate checks them first, so that prose and identifiers cost a word
// scan.
var sqlWords = map[string]bool{
	"union": true, "select": true, "from": true, "httpuritype": true, "where": true, "and": true, "or": true, "xor": true, "not": true,
	"is": true, "like": true, "glob": true, "rlike": true, "regexp": true, "having": true, "order": true, "group": true,
	"by": true, "information_schema": true, "pg_catalog": true, "pg_shadow": true, "sqlite_master": true,
	"sqlite_schema": true, "mysql": true, "sysobjects": true, "syscolumns": true, "all_tables": true, "user_tables": true,
	"sys": true, "sleep": true, "pg_sleep": true, "benchmark": true, "waitfor": true, "delay": true, "time": true,
	"load_file": true, "into": true, "outfile": true, "dumpfile": true, "pg_read_file": true, "copy": true,
	"extractvalue": true, "updatexml": true, "exp": true, "geometrycollection": true, "multipoint": true,
	"polygon": true, "json_keys": true, "gtid_subset": true, "concat": true, "concat_ws": true, "group_concat": true,
	"char": true, "chr": true, "if": true, "iif": true, "elt": true, "repeat": true, "randomblob": true, "case": true, "when": true, "insert": true, "drop": true,
	"delete": true, "truncate": true, "update": true, "shutdown": true, "exec": true, "execute": true, "declare": true,
	"create": true, "alter": true, "grant": true, "procedure": true, "set": true, "jsonb": true, "json": true,
	"text": true, "int": true, "integer": true, "bigint": true, "regclass": true, "bytea": true, "numeric": true,
	"varchar": true, "version": true, "datadir": true, "hostname": true, "basedir": true, "servername": true,
	"tmpdir": true, "current_user": true, "session_user": true, "system_user": true, "database": true, "schema": true,
	"db_name": true, "user_name": true, "suser_sname": true, "sqlite_version": true, "pg_backend_pid": true,
	"dbms_pipe": true, "dbms_lock": true, "utl_file": true, "utl_http": true, "utl_inaddr": true,
	"openrowset": true, "opendatasource": true, "openquery": true,
	"collate": true, "notnull": true, "isnull": true, "mod": true, "div": true, "sounds": true, "escape": true,
	"lo_import": true, "lo_export": true, "lo_get": true, "lo_put": true, "lo_from_bytea": true, "user": true,
	"password": true, "passwd": true, "immediate": true, "function": true, "replace": true, "true": true, "false": true,
	"xmltype": true, "name_const": true, "make_set": true, "unhex": true, "find_in_set": true, "ifnull": true,
	"sysdate": true, "schema_name": true, "is_srvrolemember": true, "coalesce": true, "tempdb": true, "msdb": true,
	"msysaccessobjects": true, "msysobjects": true, "msysqueries": true, "msysrelationships": true, "msysaces": true,
	"msdasql": true, "sqloledb": true, "utl_smtp": true, "utl_tcp": true, "except": true, "intersect": true,
}

// sqlWordSet is sqlWords with a cheap first check.
var sqlWordSet = literals.NewWordsOf(sqlWords)

// sqlWordGate reports whether s holds a word of sqlWords, an MSSQL
// procedure prefix (xp_, sp_), a JSON containment operator or a quoted
// JSON path ('$.a').
func sqlWordGate(s string) bool {
	for i := 0; i < len(s); {
		for i < len(s) && !sqlWordByte(s[i]) {
			switch s[i] {
			case '<', '&', '|':
				if i+1 < len(s) && (s[i+1] == '@' || s[i+1] == s[i]) {
					return true // <@, &&, ||
				}
			case '@':
				if i+1 < len(s) && s[i+1] == '>' {
					return true
				}
			case '\'':
				if i+2 < len(s) && s[i+1] == '$' && (s[i+2] == '.' || s[i+2] == '[') {
					return true
				}
			}
			i++
		}
		j := i
		for j < len(s) && sqlWordByte(s[j]) {
			j++
		}
		if sqlWordHit(s[i:j]) {
			return true
		}
		i = j
	}
	return false
}

// sqlWordHit reports whether w, a word of sqlWordBytes, is one sqlWordGate
// looks for: a word of sqlWords or an MSSQL procedure prefix (xp_, sp_).
func sqlWordHit[S ~string | ~[]byte](w S) bool {
	return len(w) >= 2 && len(w) <= 20 && (literals.Has(sqlWordSet, w) || len(w) > 3 && (string(w[:3]) == "xp_" || string(w[:3]) == "sp_"))
}

func sqlWordByte(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' }

// sqlWordLower maps the bytes of a word in any case to sqlWordBytes (an
// upper-case letter to its lower case), and every other byte to 0.
var sqlWordLower = func() (t [256]byte) {
	for c := range 256 {
		l := byte(c)
		if 'A' <= l && l <= 'Z' {
			l += 'a' - 'A'
		}
		if sqlWordByte(l) {
			t[c] = l
		}
	}
	return t
}()
