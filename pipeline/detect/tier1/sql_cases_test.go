package tier1

import (
	"testing"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/detect/normalize"
)

// SQL and NoSQL injection cases for the techniques sqlsig and nosqli look
// for beyond libinjection (SQL-only function calls, quote breakouts,
// WHERE-clause remainders, system objects, bracketed NoSQL operators),
// with benign near-misses: maths, code prose and product text that name
// the same functions and keywords.
func init() {
	attacks = append(attacks,
		// Oracle's sleeps are package procedures.
		attackEntry{lQ, "id", "1;BEGIN USER_LOCK.SLEEP(5); END--", "sql-signature", encURL},
		// The login bypass: one token, a quote, a comment.
		attackEntry{lF, "username", "admin'-- ", "sql-signature", encAll},
		attackEntry{lF, "username", "admin' -- -", "sql-signature", encURL},
		attackEntry{lJ, "email", "user@example.com'#", "sql-signature", 0},
		attackEntry{lQ, "user", "admin\" #", "sql-signature", encURL},
		attackEntry{lQ, "id", "x')-- -", "sql-signature", encURL},
		// Functions only SQL dialects have.
		attackEntry{lQ, "id", "1 and ifnull(password,0x20) like 0x61", "sql-signature", encAll},
		// sqlmap's tamper scripts: line comments and line breaks for
		// spaces, fullwidth quotes, a GBK lead byte before the quote.
		attackEntry{lJ, "id", "1;WAITFOR--vvacyv\nDELAY--sbbgij\n'0:0:5'", "sql-signature", 0},
		attackEntry{lJ, "id", "1)#poazbu\nWAITFOR#habimn\nDELAY#sozovi\n'0:0:5'", "sql-signature", 0},
		attackEntry{lJ, "id", "test'\rHAVING\f5964=5964\fAND\n'rboj'='rboj", "sql-signature", 0},
		attackEntry{lJ, "id", "1;WAITFOR DELAY \uff070:0:5\uff07--", "sql-signature", 0},
		attackEntry{lJ, "id", "x\uff07 \uff35\uff2e\uff29\uff2f\uff2e \uff33\uff25\uff2c\uff25\uff23\uff34 1,2--", "sql-signature", 0},
		// '+' for spaces, for an application that decodes once more.
		attackEntry{lJ, "q", "'+or+1=1+--+", "sql-signature", 0},
		attackEntry{lQ, "q", "test\" WAITFOR DELAY %bf'0:0:5'-- -", "sql-signature", 0},
		// Parameter replace with ELT and MAKE_SET, heavy queries, OR NOT.
		attackEntry{lQ, "id", "ELT(3895=3895,6608)", "sql-signature", encURL},
		attackEntry{lQ, "id", "MAKE_SET(7407=7407,1)", "sql-signature", encURL},
		attackEntry{lJ, "id", "1 AND 'rjrd'=REGEXP_SUBSTRING(REPEAT(RIGHT(CHAR(7052),0),5000000000),NULL)", "sql-signature", 0},
		attackEntry{lJ, "id", "1 AND 7203=LIKE('ABCDEFG',UPPER(HEX(RANDOMBLOB(500000000/2))))", "sql-signature", 0},
		attackEntry{lQ, "id", "1) OR NOT 5212=5212#", "sql-signature", encURL},
		// Injection in a parameter's name (a JSON key used as a column).
		attackEntry{lN, "JSON field", "id) OR 1=1--", "sql-signature", 0},
		attackEntry{lN, "query parameter", "x' UNION SELECT password FROM users--", "sql-signature", 0},
		// MySQL's scientific-notation separator.
		attackEntry{lQ, "id", "1 1.e(ascii 1.e(substring(1.e(select password from users limit 1 1.e,1 1.e,1 1.e)1.e)1.e)1.e) = 70", "sql-signature", encURL},
		attackEntry{lJ, "t", "information_schema 1.e.tables", "sql-signature", 0},
		// A plus sent as %2B is a plus (string concatenation), not a space.
		attackEntry{lQ, "q", "x'%2Bemail--", "sql-signature", 0},
		attackEntry{lQ, "sort", "(select group_concat(table_name) from tables)", "sql-signature", encAll},
		attackEntry{lQ, "q", "concat_ws(0x3a,login,pwd_hash)", "sql-signature", encAll},
		attackEntry{lJ, "name", "x'||xmltype('<r/>')||'", "sql-signature", encAll},
		attackEntry{lQ, "id", "2 and (select * from (select name_const(version(),1),name_const(version(),1))a)", "sql-signature", encURL},
		attackEntry{lQ, "cat", "make_set(6,@:=0x0a,(select 1))", "sql-signature", encAll},
		attackEntry{lQ, "v", "unhex(hex(current_user))", "sql-signature", encAll},
		attackEntry{lQ, "tags", "3 and find_in_set(substr(pass,1,1),'a,b,c')", "sql-signature", encAll},
		attackEntry{lQ, "d", "SYSDATE()", "sql-signature", encAll},
		attackEntry{lQ, "d", "Database()", "sql-signature", encAll},
		attackEntry{lJ, "limit", "benchmark(@n,sha1(0x41))", "sql-signature", encAll},
		attackEntry{lQ, "f", "coalesce((select secret from vault limit 1),'-')", "sql-signature", encAll},
		attackEntry{lQ, "s", "0 select 1,2,version()", "sql-signature", encAll},
		// Quote breakouts into SQL.
		attackEntry{lQ, "user", "\" ALTER TABLE accounts ADD isadmin INT", "sql-signature", encAll},
		attackEntry{lQ, "user", "' or uid>0", "sql-signature", encAll},
		attackEntry{lQ, "q", "'select @@hostname", "sql-signature", encAll},
		attackEntry{lQ, "q", "'UNION DISTINCT", "sql-signature", encAll},
		attackEntry{lQ, "q", "'glob 0;", "sql-signature", encAll},
		attackEntry{lQ, "q", "'; print @@servername", "sql-signature", encAll},
		attackEntry{lQ, "q", "';--", "sql-signature", encAll},
		attackEntry{lQ, "q", "'4'='4", "sql-signature", encAll},
		attackEntry{lQ, "q", "9=9", "sql-signature", encAll},
		attackEntry{lQ, "q", "'', '', '', 7", "sql-signature", encAll},
		attackEntry{lQ, "q", "\\\"2 and 3", "sql-signature", encAll},
		// Remainders of a WHERE clause and stacked statements.
		attackEntry{lQ, "filter", "AND role = '", "sql-signature", encAll},
		attackEntry{lQ, "filter", "OR owner_id != (", "sql-signature", encAll},
		attackEntry{lQ, "filter", "or 12==12'", "sql-signature", encAll},
		attackEntry{lQ, "cb", "&&(isAdmin=!0)", "sql-signature", encAll},
		attackEntry{lQ, "n", ";delete accounts", "sql-signature", encAll},
		attackEntry{lQ, "n", "SET @@sql_mode=''", "sql-signature", encAll},
		attackEntry{lJ, "n", "ALTER TABLE users MODIFY pass VARCHAR(255)", "sql-signature", encAll},
		attackEntry{lQ, "n", "1) like (select 1", "sql-signature", encAll},
		attackEntry{lQ, "n", "0) when 1 then sleep(3) end", "sql-signature", encAll},
		attackEntry{lQ, "n", "1 except select null", "sql-signature", encAll},
		attackEntry{lQ, "n", "from `shop`.`customers` limit 1", "sql-signature", encAll},
		attackEntry{lQ, "n", "'[1,2]' >= '$[0]'", "sql-signature", encAll},
		attackEntry{lQ, "n", "uid=(select pass from users limit 1)", "sql-signature", encAll},
		attackEntry{lQ, "n", "1 HAVING 1=1", "sql-signature", encAll},
		attackEntry{lQ, "n", "x' ORDER BY 4", "sql-signature", encAll},
		attackEntry{lQ, "n", "1 and (SELECT (CASE WHEN 1=1 THEN 1 ELSE 0 END))", "sql-signature", encAll},
		attackEntry{lQ, "n", "5 AS \"x\" FROM users", "sql-signature", encAll},
		// Keywords hidden from filters.
		attackEntry{lQ, "n", "1unionallselect1", "sql-signature", encAll},
		attackEntry{lJ, "n", "0'union+select+pass+from+users", "sql-signature", encAll},
		attackEntry{lQ, "n", "1 UN/*x*/ION SEL/**/ECT pass", "sql-signature", encURL},
		// System objects and providers.
		attackEntry{lQ, "db", "MSysObjects", "sql-signature", encAll},
		attackEntry{lQ, "db", "tempdb", "sql-signature", encAll},
		attackEntry{lQ, "db", "OPENROWSET", "sql-signature", encAll},
		attackEntry{lQ, "db", "'sqloledb'", "sql-signature", encAll},
		attackEntry{lQ, "db", "sp_password", "sql-signature", encAll},
		attackEntry{lQ, "db", "utl_tcp", "sql-signature", encAll},
		// NoSQL operators in bracket syntax inside a value.
		attackEntry{lQ, "q", "user[$regex]=^adm", "nosql-operator", encURL | encDouble},
		attackEntry{lJ, "filter", "pin[$gt]", "nosql-operator", encURL},
		attackEntry{lF, "filter", "login[$where]=sleep(100)", "nosql-js", encURL},
	)
	benign = append(benign,
		// A quoted colour, a quotation with its author, a password.
		corpusEntry{lJ, "color", "'#ff0000'"},
		corpusEntry{lQ, "q", "\"Stay hungry\" -- Steve Jobs"},
		corpusEntry{lF, "password", "hunter2'#"},
		corpusEntry{lJ, "new_password", "Tr0ub4dor'-- x"},
		// JSON keys written for people.
		corpusEntry{lN, "JSON field", "Price (USD)"},
		corpusEntry{lN, "JSON field", "What's new?"},
		corpusEntry{lN, "query parameter", "utm source"},
		// Multi-line text, fullwidth punctuation and non-Latin quotes.
		corpusEntry{lJ, "body", "Line one -- a note\nLine two # another\nWait for the delay"},
		corpusEntry{lJ, "body", "\uff08\u6ce8\uff09\u300c\u5f15\u7528\u300d and \u00ab\u00a0quoted\u00a0\u00bb"},
		corpusEntry{lJ, "title", "Repeat the chorus 3 times"},
		corpusEntry{lQ, "q", "elt and make set"},
		corpusEntry{lJ, "note", "Refer to clause 4.e(iii) of the agreement"},
		corpusEntry{lJ, "file", "scan-1.e.pdf"},
		corpusEntry{lQ, "q", "C++"},
		corpusEntry{lJ, "expr", "1+1=2"},
		corpusEntry{lJ, "expr", "a+b=c"},
		corpusEntry{lJ, "note", "*(see footnote) applies to (a) and (b)"},
		corpusEntry{lQ, "q", "*(|(x"},
		// Outline numbers and abbreviations after a number.
		corpusEntry{lJ, "body", "See section 1.e) and 2.e.g. the appendix"},
		corpusEntry{lJ, "body", "Items 1.e(ii) and 1.e.iv apply"},
		// Maths and generic functions.
		corpusEntry{lQ, "q", "round(3.5) = 4"},
		corpusEntry{lQ, "q", "max(a, b) and min(a, b)"},
		corpusEntry{lQ, "q", "ABS(-4) = 4"},
		corpusEntry{lQ, "q", "sin(x)^2 + cos(x)^2 = 1"},
		corpusEntry{lQ, "q", "x in (0,1)"},
		corpusEntry{lQ, "q", "1=2"},
		corpusEntry{lJ, "text", "ratio 3=3 holds"},
		// Code prose naming SQL-like functions.
		corpusEntry{lJ, "text", "if (len(s) == 0) { return }"},
		corpusEntry{lJ, "text", "df.coalesce(1).write.parquet(path)"},
		corpusEntry{lJ, "text", "func Benchmark(b *testing.B) runs b.N times"},
		corpusEntry{lJ, "text", "call get_database() before opening"},
		corpusEntry{lJ, "text", "Connect to the database (PostgreSQL 16) first"},
		corpusEntry{lJ, "text", "Benchmark (2024 results)"},
		corpusEntry{lJ, "text", "In SQL, is COUNT(*) faster than COUNT(1)?"},
		corpusEntry{lJ, "text", "{\\\"note\\\":\\\"2 or 3 days\\\"}"},
		corpusEntry{lJ, "text", "sort in ascending order by name"},
		// Product and chat text with quotes and keywords.
		corpusEntry{lQ, "q", "'Select All' button"},
		corpusEntry{lQ, "q", "\"select comfort mattress"},
		corpusEntry{lQ, "q", "students' union building"},
		corpusEntry{lQ, "q", "\"and then there were none"},
		corpusEntry{lQ, "q", "parents' and teachers guide"},
		corpusEntry{lQ, "q", "dogs' like cats; yes"},
		corpusEntry{lQ, "q", "I (really) like (most) dogs"},
		corpusEntry{lQ, "q", "Call me (John) when ready then"},
		corpusEntry{lQ, "q", "everyone except select members"},
		corpusEntry{lQ, "q", "'90s or later"},
		corpusEntry{lQ, "q", "O'Reilly and Associates"},
		corpusEntry{lQ, "q", "Temporary DB (tempdb) sizing guide"},
		corpusEntry{lQ, "q", "msys2 install guide"},
		corpusEntry{lJ, "text", "create table of contents"},
		corpusEntry{lJ, "text", "the (a) and (b) options"},
		corpusEntry{lQ, "price", "[$5] off"},
		corpusEntry{lQ, "q", "git push [$there]"},
		corpusEntry{lJ, "text", "x = 'a'; print 'b'"},
		corpusEntry{lJ, "text", "Reminder set @alice"},
		corpusEntry{lJ, "text", "SELECT `a`.`b` is the qualified form"},
		corpusEntry{lJ, "text", "\"And then--and then--well, who knows"},
		corpusEntry{lJ, "text", "Ask the DBA: database (tempdb) or msdb?"},
	)
}

// BenchmarkSQLSigBenign measures the sqlsig family's cost on benign
// values that pass its prefilter (prose and code with SQL words),
// normalised once beforehand.
func BenchmarkSQLSigBenign(b *testing.B) {
	var vs []normalize.Value
	var ps []decoders.Param
	size := 0
	for _, e := range benign {
		p := param(e.loc, e.name, e.value)
		var in input
		in.reset(p.Best())
		if !sqlsigFamily.pre(&p, &in) {
			continue
		}
		vs = append(vs, normalize.Normalize(p.Best(), p.Decodes, 0))
		ps = append(ps, p)
		size += len(e.value)
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	report := func(*rule, string) {}
	for b.Loop() {
		for i := range vs {
			matchSQLSig(&ps[i], &vs[i], report)
		}
	}
}
