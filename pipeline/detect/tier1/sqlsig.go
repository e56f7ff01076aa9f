package tier1

import (
	"regexp"
	"strings"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
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
		// Keywords alone ("union select", "information_schema") travel
		// with spaces or underscores.
		// "/*" is a comment standing for a space (DROP/*x*/t).
		return in.classes&sqlsigMask != 0 || in.mayChange() || in.has('_') || in.has(' ') || in.has('*') && in.has('/') ||
			sqlBareName(in.best) || sqlGluedFold(in.best)
	},
}

var sqlsigMask uint32

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

func init() { sqlsigMask = classMask(sqlsigFamily.trigger) }

// sqlSig lists the techniques, each with the literal its matches need (so
// that the regexp runs only on values holding it).
var sqlSig = []struct {
	hint []string // the regexp runs when s holds one of these
	re   *regexp.Regexp
}{
	// UNION-based extraction.
	{[]string{"union"}, regexp.MustCompile(`\bunion(?:\s+all|\s+distinct)?\s*\(?\s*select\b`)},
	// Schema enumeration through the system catalogs.
	// MSSQL's system databases qualifying an object (tempdb..t,
	// msdb.dbo.backupset; named alone they are prose, matchSQLSig takes
	// them as a whole value), MySQL's privilege table mysql.db and MS
	// Access's hidden system tables (MSysObjects…) are named only to
	// enumerate or read them.
	{[]string{"information_schema", "pg_", "sqlite_", "mysql.user", "mysql.db", "sysobjects", "syscolumns", "all_tables", "user_tables", "sys.", "tempdb", "msdb", "msys"}, regexp.MustCompile(`\b(?:information_schema|pg_catalog|pg_shadow|sqlite_master|sqlite_schema|mysql\.(?:user|db)|sysobjects|syscolumns|all_tables|user_tables|sys\.(?:objects|tables|columns|databases|sql_logins)|(?:tempdb|msdb)\.(?:\.|dbo\.|sys\.)|msys(?:accessobjects|objects|queries|relationships|aces))\b`)},
	// MSSQL procedures that run commands, read the registry or files, or
	// connect out (OPENROWSET through the MSDASQL or SQLOLEDB provider);
	// sp_password in a query keeps MSSQL from logging its text. Oracle's
	// UTL_ packages make the server send HTTP, DNS or mail, or touch files
	// (out-of-band extraction).
	{[]string{"xp_", "sp_", "master.", "openrowset", "opendatasource", "openquery", "msdasql", "sqloledb", "utl_"}, regexp.MustCompile(`\bexec(?:ute)?\s+master\.|\b(?:xp_cmdshell|xp_dirtree|xp_regread|xp_fileexist|sp_oacreate|sp_oamethod|sp_executesql|sp_makewebtask|sp_addextendedproc|sp_password|openrowset|opendatasource|openquery|msdasql|sqloledb|utl_(?:http|file|inaddr|smtp|tcp))\b`)},
	// Time-based blind injection.
	{[]string{"sleep", "benchmark", "waitfor", "dbms_"}, regexp.MustCompile(`\b(?:sleep|pg_sleep)\s*\(\s*\(?\s*(?:\d|mod\s*\(|select\b)|\bbenchmark\s*\(\s*\d+\s*,|\bselect\s+pg_sleep\b|\bwaitfor\s+(?:delay|time)\s+['"]|\bdbms_pipe\.receive_message|\bdbms_lock\.sleep`)},
	// File read and write from the database.
	{[]string{"load_file", "outfile", "dumpfile", "pg_read_file", "program", "utl_"}, regexp.MustCompile(`\bload_file\s*\(|\binto\s+(?:out|dump)file\b|\bpg_read_file\s*\(|\bcopy\s+\w+\s+(?:from|to)\s+program\b|\butl_(?:file|http|inaddr)\b`)},
	// Error-based extraction.
	{[]string{"extractvalue", "updatexml", "exp(", "exp (", "geometrycollection", "multipoint", "polygon", "json_keys", "gtid_subset"}, regexp.MustCompile(`\b(?:extractvalue|updatexml|exp|geometrycollection|multipoint|polygon|json_keys|gtid_subset)\s*\(\s*(?:\d|0x|concat|\(\s*select|@@)`)},
	// PostgreSQL casts and JSON operators on injected values
	// ('x'::jsonb <@ '…', (…)::int): error-based extraction and filter
	// bypass.
	{[]string{"::"}, regexp.MustCompile(`(?:'|\))\s*::\s*(?:jsonb?|text|int\w*|bigint|regclass|bytea|numeric|varchar)\b|\w::(?:jsonb?|regclass)\b`)},
	// JSON operators and functions applied to an injected JSON literal
	// ('{"b":2}' <@ '…', '…' -> '$.c', '…' ? 'a', json_extract(…)).
	{[]string{"<@", "@>", "->", "#>", "?", "json_"}, regexp.MustCompile(`'\s*(?:::\s*jsonb?\s*)?(?:<@|@>)\s*'|'[\[{][^']*'\s*(?:::\s*jsonb?\s*)?(?:->>?|#>>?|\?[|&]?)\s*(?:'|array\s*\[)|\bjson_(?:extract|value|query|contains|keys|search)\s*\(\s*'`)},
	// Subqueries and the values they select to leak data ("select *
	// from" alone is how developers quote SQL).
	{[]string{"select"}, regexp.MustCompile(`\bfrom\s*\(\s*select\b|\(\s*select\s+(?:\*|count\s*\(|concat|group_concat|@@|char\s*\(|0x|if\s*\(|case\b|sleep|\w+\s+from\b)|\bselect\s+(?:count\s*\(\s*\*\s*\)\s*,|concat(?:_ws)?\s*\(|group_concat\s*\(|char\s*\(\s*\d|0x[0-9a-f]{4}|@@\w|null\s*,|\d+\s*,\s*\d+\s*,)`)},
	// Server variables and identity functions that fingerprint the DBMS.
	{[]string{"@@", "()", "( )"}, regexp.MustCompile(`@@(?:version|datadir|hostname|basedir|servername|tmpdir)\b|\b(?:current_user|session_user|system_user|database|schema|version|db_name|user_name|suser_sname|sqlite_version|pg_backend_pid)\s*\(\s*\)`)},
	// Strings built from character codes or hex to dodge quote filters.
	{[]string{"char(", "char (", "concat", "chr("}, regexp.MustCompile(`\bchar\s*\(\s*\d+\s*(?:,\s*\d+\s*){2,}\)|\b(?:concat(?:_ws)?|group_concat)\s*\([^)]{0,40}0x[0-9a-f]{2}|(?:\bchr\s*\(\s*\d+\s*\)\s*(?:\|\||\+|\.)\s*){2}`)},
	// Boolean tautologies and comparisons injected after a value
	// (1 AND 2771=1709, ' or 1='1, OR (7319=8742)): at the start of the
	// value, after its first word, or after a quote or parenthesis, not
	// in the middle of a sentence.
	{[]string{"=", "<>", "like"}, regexp.MustCompile(`(?:^\s*|['")]\s*|^\s*[\w./-]{1,40}(?:\s+|=\s*))(?:and|or|xor|&&|\|\|)\s*\(?\s*(?:\d+|'[^']{0,20}'|"[^"]{0,20}")\s*(?:==?|<>|!=|<=>|\blike\b)\s*(?:\(?\s*(?:\d+|'|")|\(\s*(?:select\b|$))`)},
	// A quote that closes the application's string, then a boolean
	// operator and an SQL expression (admin' and password glob password;,
	// x' or username like y escape 'x', \' or json(id), 1' and
	// starts_with(…), ' or true;), or a backslash-escaped quote that
	// slips past the application's escaping (\'or'1).
	{[]string{"' ", "'a", "'o", "\" ", "\"a", "\"o", "\\'", "\\\"", "\\\x60"}, regexp.MustCompile(`(?:^|\w|\\)['"]\s*(?:and|or)\b\s*\(?\s*(?:(?:true|false|null)\s*(?:;|--|#|$)|not\b|[a-z_]\w*\s*\(|[a-z_]\w*\s+(?:glob|like|rlike|regexp|is|sounds)\b)|\\['"\x60](?:or|and)['"\x60]|\\['"\x60]\s*(?:or|and)\s*(?:$|\d)|^\s*\\['"]\w*\s+(?:or|and)\s+\d`)},
	// A tautology or a bare OR/AND cut off by a comment (OR 1#,
	// 1='1' or-- -): the rest of the application's WHERE is discarded.
	{[]string{"--", "#"}, regexp.MustCompile(`(?:^|['")]\s*)(?:or|and)\s+\d+\s*(?:#|--)|['"]\s*(?:or|and)\s*(?:--|#)`)},
	// The same with typographic quotes, which some drivers and collations
	// fold to an ASCII quote (’ OR ’1’=’x’).
	{[]string{"’", "‘", "´"}, regexp.MustCompile(`(?:’|‘|´)\s*(?:or|and)\s+(?:’|‘|´)?\w+(?:’|‘|´)?\s*=`)},
	// A condition appended to a JavaScript or NoSQL query (|| x == ',
	// && a != …) at the start of the value.
	{[]string{"||", "&&"}, regexp.MustCompile(`(?:^|=)\s*(?:\|\||&&)\s*\(?\s*[\w.]+\s*(?:===?|!==?)`)},
	// Closing an expression and aliasing it before FROM: the injection
	// continues the application's SELECT (…) AS x FROM; the value starts
	// with the closing parenthesis or the number selected ("he said (…)
	// as usual from" is prose).
	{[]string{"from"}, regexp.MustCompile(`^\s*(?:\d+\s*)?['"\x60]?\s*\)?\s*as\s*['"\x60]?\w*['"\x60]?\s+from\b`)},
	// Padding a UNION's value list to the column count with empty
	// strings or NULLs.
	{[]string{","}, sqlPadding},
	// Conditional expressions of blind injection.
	{[]string{"if(", "if (", "when", "iif"}, regexp.MustCompile(`\bif\s*\(\s*(?:\d+\s*[=<>]|now\s*\(\s*\)\s*=|ascii\s*\(|substr|length\s*\(|\(\s*select)|\bcase\s+when\b[^;]{0,80}\bthen\b|\biif\s*\(`)},
	// Stacked queries: a statement after a semicolon.
	{[]string{";"}, regexp.MustCompile(`;\s*(?:insert\s+into|drop\s+(?:table|database)|delete\s+from|truncate\b|update\s+\w+\s+set|shutdown\b|exec(?:ute)?\s+(?:master|xp_|sp_|\()|declare\s+@|set\s+@|create\s+(?:table|function|user)|replace\s+(?:into\s+)?\w+\s*\([^)]*\)\s*values\b|alter\s+(?:table|user)|grant\s+|select\b)`)},
	// A quote that closes the application's string, then SQL (a keyword
	// or an operator) and a comment that cuts off the rest of the query
	// (id' or x--, x'|email--).
	{[]string{"--", "#"}, regexp.MustCompile(`'\s*(?:or|and|xor|not|is|like|glob|rlike|regexp|union|having|order|group|collate|notnull|isnull|mod|div|sounds|escape|\|\|?|&&|[-+^&<>=*/%|])\b?[^'\n]{0,40}(?:--|#)\s*$`)},
	// A quote immediately followed by UNION (' union all, "union/**/).
	{[]string{"union"}, regexp.MustCompile(`['"\x60]\s*union(?:\s+all\b|\s*/)`)},
	// PostgreSQL large-object functions that read and write server files
	// (lo_import('/etc/passwd'), lo_get(16400)).
	{[]string{"lo_"}, regexp.MustCompile(`\blo_(?:import|export|get|put|from_bytea)\s*\(`)},
	// Error-based extraction by casting an identity value to a number
	// (current_user::int, password::int).
	{[]string{"::"}, regexp.MustCompile(`\b(?:current_user|session_user|user|password|passwd|version\s*\(\s*\)|database\s*\(\s*\))::(?:int|integer|numeric|bigint)\b`)},
	// Dynamic SQL on Oracle and user-defined functions on MySQL/PostgreSQL
	// (EXECUTE IMMEDIATE '…', CREATE FUNCTION f(…) RETURNS …).
	{[]string{"immediate", "function"}, regexp.MustCompile(`\bexecute\s+immediate\s+['"]|\bcreate\s+(?:or\s+replace\s+)?function\s+[\w.]+\s*\(.{0,80}?\)\s*returns\b`)},
	// A value that is a destructive statement ended by a comment
	// (DROP sampletable;--, DELETE FROM users;--); an UPDATE … SET … WHERE with a
	// comment is how developers write SQL.
	{[]string{"--", "#"}, regexp.MustCompile(`^\s*(?:drop\s+(?:table\s+)?\w+|delete\s+from\s+\w+|truncate\s+(?:table\s+)?\w+)\s*;\s*(?:--|#)`)},
	// SELECT with a time-delay or fingerprint function as its value
	// (select if(…), select char(…), select(user(…))), or a parenthesised
	// CASE whose branches test the data bit by bit (select (case when …)).
	{[]string{"select"}, regexp.MustCompile(`\bselect\s*\(?\s*(?:if|char|user|current_user|database|version|ascii|sleep)\s*\(|\bselect\s*\(\s*case\b`)},
	// ORDER BY / GROUP BY column counting and HAVING tests.
	// HAVING with a constant test (HAVING 1=1) or an aggregate probes for
	// the columns of the query through its error messages; ORDER BY
	// right after a quote continues the application's query.
	{[]string{"order by", "group by", "having"}, regexp.MustCompile(`\border\s+by\s+\d+\s*(?:--|#|;|$)|\bgroup\s+by\s+[\w\x60,. ]{1,60}\s+having\s+[\w\x60(]|\bhaving\s+(?:\d+\s*=|count\s*\()|['"\x60]\s*order\s+by\s+[\w\x60]`)},
	// Procedure calls and declarations used for injection on MSSQL and
	// MySQL.
	{[]string{"procedure", "declare", "set @", "set/**/@"}, regexp.MustCompile(`\bprocedure\s+analyse\s*\(|\bdeclare\s+@\w+|\bset\s+@\w+\s*=\s*(?:0x|x'|b'|char|concat|\()`)},
	// Functions that exist only in SQL dialects, called: error-based
	// extraction (extractvalue, updatexml, xmltype, name_const), string
	// building for UNION extraction (group_concat, concat_ws, make_set,
	// unhex, find_in_set) and fingerprinting (sysdate, current_user,
	// db_name, schema_name). No other language names them, so the call
	// alone is SQL; a method call (x.coalesce() in Spark) is not.
	{[]string{"("}, regexp.MustCompile(`(?:^|[^\w.$])(?:extractvalue|updatexml|xmltype|name_const|group_concat|concat_ws|make_set|unhex|find_in_set|ifnull|sysdate|current_user|session_user|system_user|db_name|schema_name|suser_sname|is_srvrolemember|pg_sleep|sqlite_version|pg_backend_pid)\s*\(`)},
	// SQL functions whose names are also English words (database,
	// benchmark, coalesce): called right against the parenthesis, with an
	// SQL argument or none ("the database (PostgreSQL)" is prose).
	{[]string{"database(", "benchmark(", "coalesce("}, regexp.MustCompile(`(?:^|[^\w.$])(?:database|benchmark|coalesce)\(\s*(?:$|\)|\d|['"@(]|0x|select\b|null\b)`)},
	// A UNION's column list padded with numbers and ending with an
	// identity function (select 1,2,3,user()).
	{[]string{"select"}, regexp.MustCompile(`\bselect\b[^;]{0,60}?,\s*(?:user|version|database|current_user|system_user|session_user|db_name|schema)\(`)},
	// A quote at the start of the value that closes the application's
	// string, then an SQL statement or boolean keyword (' union a…,
	// "alter t…, ' or x 9): matchSQLSig checks that this quote is left
	// unbalanced, as a quoted word ("select" or "and vice versa") is not.
	{[]string{"'", "\"", "\x60"}, sqlQuoteKeyword},
	// A quote closing the string, then an SQL comparison operator on the
	// next operand and a statement end or comment ('glob 1;, x' rlike y--).
	// LIKE only at the start of the value: after a word the quote is as
	// often an apostrophe (parents' like this;).
	{[]string{"glob", "like", "regexp"}, regexp.MustCompile(`(?:^\s*|\w)['"]\s*(?:glob|rlike|regexp)\s+[\w'"]+\s*(?:;|--|#)|^\s*['"]\s*like\s+[\w'"]+\s*(?:;|--|#)`)},
	// A quote closing the string, then a stacked MSSQL PRINT, which echoes
	// a string or variable into the response (';print @@version).
	{[]string{"print"}, regexp.MustCompile(`['"]\s*;\s*print\s*['"@]`)},
	// A value that starts as the remainder of a WHERE clause: AND/OR, a
	// column and a comparison whose right side the application supplies
	// (AND status = ', OR id!=(, and deleted = 0)).
	{[]string{"and", "or"}, regexp.MustCompile(`^\s*(?:[\w./-]{1,40}=)?\s*(?:and|or)\s+[a-z_][\w.]*\s*(?:(?:==?|!=|<>)\s*(?:['"]\s*$|\(|\d+\s*\))|(?:!=|<>)\s*$)`)},
	// The same as JavaScript for a NoSQL or server-side-JS query: the value
	// starts with && or || and a parenthesised assignment or comparison
	// (&&(a=!0), ||(x=").
	{[]string{"&&", "||"}, regexp.MustCompile(`(?:^|=)\s*(?:&&|\|\|)\s*\(\s*\w+\s*==?\s*(?:!?\d|['"(])`)},
	// A value that starts a stacked statement (;update users, =;drop).
	{[]string{";"}, regexp.MustCompile(`(?:^|=)\s*;\s*(?:update\s+\w+|drop|delete|insert|truncate|shutdown)\b`)},
	// Assigning a MySQL user or session variable (SET @x=, SET @@sql_mode),
	// which only SQL scripts and stacked injections do.
	{[]string{"set"}, regexp.MustCompile(`(?:^|[\s>;=])set\s+@@?[a-z_]\w*\s*(?::?=|$)`)},
	// DDL that changes a table (ALTER TABLE t ADD/CHANGE/MODIFY …).
	{[]string{"alter"}, regexp.MustCompile(`\balter\s+table\s+[\w\x60."\[\]]+\s+(?:add|change|modify|drop|rename|alter|convert|engine|auto_increment|character|default)\b`)},
	// Closing a parenthesised expression into a LIKE or a CASE branch
	// () like (select…, ) when 1 then …), with an SQL operand: "I
	// (really) like (most) dogs" is prose.
	{[]string{"like", "when"}, regexp.MustCompile(`\)\s*like\s*\(\s*(?:$|select\b|['"\d@]|0x|concat|char)|\)\s*when\s+(?:\d+|'[^']*'|null|true|false)\s+then\b`)},
	// Set operators other than UNION that append rows of the attacker's
	// choosing (except values(…), except select 1).
	{[]string{"except", "intersect"}, regexp.MustCompile(`\b(?:except|intersect)\s+(?:all\s+)?(?:values\s*\(|select\s+(?:\*|\d|null\b|@@))`)},
	// A MySQL qualified name in backquotes (FROM `db`.`t`, `t`.`id` = 1):
	// only MySQL quotes identifiers so.
	{[]string{"`.`"}, regexp.MustCompile(`\x60[^\x60\s]{1,64}\x60\.\x60[^\x60\s]{1,64}\x60`)},
	// A subquery assigned where a value goes (id=(select …).
	{[]string{"select"}, regexp.MustCompile(`=\s*\(\s*select\b`)},
	// MySQL JSON path comparison on an injected JSON literal
	// ('{"a":1}' > '$.a' = 7).
	{[]string{"'$"}, regexp.MustCompile(`'[\[{][^']*'\s*(?:<=?|>=?|=|<>|!=)\s*'\$[.\[]`)},
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
	// A boolean operator and a comparison, a number or a comment.
	`|(?:or|and|xor)\s+(?:[\w'"]+\s*(?:[=<>!]|\d|--|#|;|$)|\d|\())`)

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

// sqlNumTaut matches a number compared with a number (1=1); matchSQLSig
// reports it when both are the same, a tautology put where a value goes.
var sqlNumTaut = regexp.MustCompile(`^\s*(\d{1,12})\s*=\s*(\d{1,12})\s*$`)

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
	if sqlQuotedTaut.MatchString(s) {
		return true
	}
	m := sqlNumTaut.FindStringSubmatch(s)
	return m != nil && m[1] == m[2]
}

// sqlSplitKeyword finds a word cut in two by an inline comment
// (DR/**/OP, UN/*x*/ION): MySQL and MSSQL treat the comment as a token
// break, a filter matching whole keywords sees neither half; the halves
// joined must make one of sqlSplitWords.
var sqlSplitKeyword = regexp.MustCompile(`([a-z]{1,8})/\*[^*]{0,40}\*/([a-z]{1,8})`)

var sqlSplitWords = map[string]bool{
	"select": true, "union": true, "drop": true, "delete": true, "insert": true, "update": true, "from": true,
	"where": true, "table": true, "exec": true, "execute": true, "declare": true, "truncate": true, "having": true,
}

func matchSQLSig(_ *decoders.Param, v *normalize.Value, report reportFunc) {
	forms(v, func(s string) bool {
		if len(s) <= 20 && sqlBareName(strings.TrimSpace(s)) {
			report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(s)))
			return true
		}
		if len(s) <= 40 && (strings.ContainsAny(s, "=<>") || strings.Contains(s, " like ") || strings.Contains(s, " not ")) && sqlConstCmp.MatchString(s) {
			report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(s)))
			return true
		}
		if len(s) <= 80 && strings.IndexByte(s, ';') >= 0 && sqlTerminated.MatchString(s) {
			report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(s)))
			return true
		}
		if len(s) <= 30 && strings.IndexByte(s, '=') >= 0 && sqlConstTaut(s) {
			report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(s)))
			return true
		}
		quote := strings.IndexByte(s, '\'') >= 0
		if quote && strings.Contains(s, "'',") || strings.Contains(s, "\"\",") {
			if m := sqlPadding.FindString(s); m != "" {
				report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(m)))
				return true
			}
		}
		if strings.Contains(s, "union") {
			if m := sqlGlued.FindString(s); m != "" {
				report(&ruleSQLSig, "sql "+snippet(m))
				return true
			}
		}
		// A quote then a comment (x'|email--) needs no SQL word.
		if !sqlWordGate(s) && !(quote && strings.Contains(s, "--")) {
			return false
		}
		sigs := sqlSig
		if !strings.ContainsAny(s, " '\"();@:=#\n\t|&<\x60\\") {
			// A single token (an id, a SKU, a slug) can only name a
			// catalog table or a procedure.
			sigs = sqlSig[1:3]
		}
		for _, sig := range sigs {
			if !anyOf(s, sig.hint) {
				continue
			}
			if sig.re == sqlQuoteKeyword {
				// The quote must be left open: a quoted keyword is prose.
				if m := sig.re.FindStringSubmatch(s); m != nil && strings.Count(s, m[1])%2 == 1 {
					report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(m[0])))
					return true
				}
				continue
			}
			if m := sig.re.FindString(s); m != "" {
				report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(m)))
				return true
			}
		}
		return false
	})
	// Versioned comments and comments as spaces are gone from the folded
	// form.
	if t := v.Text; strings.Contains(t, "/*") {
		lt := strings.ToLower(t)
		if m := sqlVersioned.FindString(lt); m != "" {
			report(&ruleSQLSig, "sql "+snippet(m))
		} else if m := sqlCommentSpace.FindString(lt); m != "" {
			report(&ruleSQLSig, "sql "+snippet(strings.TrimSpace(m)))
		} else {
			for _, m := range sqlSplitKeyword.FindAllStringSubmatch(lt, 4) {
				if sqlSplitWords[m[1]+m[2]] {
					report(&ruleSQLSig, "sql "+snippet(m[0]))
					break
				}
			}
		}
	}
}

// sqlWords holds the words at least one of which every sqlSig pattern but
// the JSON containment operators needs; sqlWordGate checks them first, so
// that prose and identifiers cost a word scan.
var sqlWords = map[string]bool{
	"union": true, "select": true, "from": true, "where": true, "and": true, "or": true, "xor": true, "not": true,
	"is": true, "like": true, "glob": true, "rlike": true, "regexp": true, "having": true, "order": true, "group": true,
	"by": true, "information_schema": true, "pg_catalog": true, "pg_shadow": true, "sqlite_master": true,
	"sqlite_schema": true, "mysql": true, "sysobjects": true, "syscolumns": true, "all_tables": true, "user_tables": true,
	"sys": true, "sleep": true, "pg_sleep": true, "benchmark": true, "waitfor": true, "delay": true, "time": true,
	"load_file": true, "into": true, "outfile": true, "dumpfile": true, "pg_read_file": true, "copy": true,
	"extractvalue": true, "updatexml": true, "exp": true, "geometrycollection": true, "multipoint": true,
	"polygon": true, "json_keys": true, "gtid_subset": true, "concat": true, "concat_ws": true, "group_concat": true,
	"char": true, "chr": true, "if": true, "iif": true, "case": true, "when": true, "insert": true, "drop": true,
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
	"print": true,
}

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
		if w := s[i:j]; len(w) >= 2 && len(w) <= 20 && (sqlWords[w] || len(w) > 3 && (w[:3] == "xp_" || w[:3] == "sp_")) {
			return true
		}
		i = j
	}
	return false
}

func sqlWordByte(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' }
