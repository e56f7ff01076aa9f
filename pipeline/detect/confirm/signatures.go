package confirm

import (
	"bytes"
	"html"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/apisensor/sensor/decoders"
	"github.com/apisensor/sensor/pipeline/alert"
)

// class is a set of signature classes, a bit each.
type class uint16

const (
	clsSQL       class = 1 << iota // a DBMS error
	clsNoSQL                       // a document store error
	clsLDAP                        // an LDAP filter error
	clsTemplate                    // a template engine error
	clsInclude                     // a failed file include / open
	clsCmdError                    // a shell's error
	clsStack                       // a stack trace or framework error page
	clsFile                        // file content
	clsCmdOutput                   // command output
	clsMetadata                    // cloud metadata or an internal service
	clsDeser                       // a deserializer's error about the type it was told to build
)

// errorClasses are interpreter errors: the payload reached the interpreter
// and broke its syntax. They count only where an error can be told from
// prose (see errorHere), and they disclose internals.
const errorClasses = clsSQL | clsNoSQL | clsLDAP | clsTemplate | clsInclude | clsCmdError | clsStack | clsDeser

// weakClasses raise confidence without making the outcome a success.
const weakClasses = clsStack

// sig is one response signature: a literal anchor (lower-case ASCII, at
// least 4 bytes) found case-insensitively, then, when re is set, the line
// around it must match re.
type sig struct {
	id     string
	class  class
	anchor string
	label  string
	// re, when set, must match the text from back bytes before the anchor
	// (within its line) to the end of the line. Patterns start with the
	// anchor where they can, so a miss costs a few bytes.
	re   *regexp.Regexp
	back int
	// generic marks a signature that does not name the DBMS (a driver or
	// ORM error): a specific one found later in the body replaces it.
	generic bool
}

// sigs is every signature. Anchors are chosen rare in ordinary pages, so
// the scan seldom stops to verify.
var sigs = []sig{
	// SQL errors, by DBMS.
	{id: "mysql-syntax", class: clsSQL, anchor: "you have an error in your sql syntax", label: "MySQL syntax error"},
	{id: "mysql-manual", class: clsSQL, anchor: "corresponds to your mysql server version", label: "MySQL syntax error"},
	{id: "mariadb-manual", class: clsSQL, anchor: "corresponds to your mariadb server version", label: "MariaDB syntax error"},
	{id: "mysql-fetch", class: clsSQL, anchor: "mysql_fetch_", label: "MySQL (PHP mysql_fetch) error"},
	{id: "mysql-php", class: clsSQL, anchor: "mysqli_sql_exception", label: "MySQL (PHP mysqli) error"},
	{id: "mysql-jdbc", class: clsSQL, anchor: "com.mysql.jdbc", label: "MySQL (JDBC) error"},
	{id: "mysql-node", class: clsSQL, anchor: "er_parse_error", label: "MySQL (Node.js) error"},
	{id: "mysql-fetch-i", class: clsSQL, anchor: "mysqli_fetch_", label: "MySQL (PHP mysqli_fetch) error", re: regexp.MustCompile(`mysqli_fetch_\w+\(\) expects parameter`)},
	// What ORDER BY and UNION probes make a database say: the column
	// count was guessed wrong, so the SQL ran with the payload in it.
	{id: "mysql-unknown-column", class: clsSQL, anchor: "unknown column '", label: "MySQL error", re: regexp.MustCompile(`(?i)Unknown column '[^']{1,64}' in '(?:order clause|field list|where clause|having clause|on clause|group statement)'`)},
	{id: "mysql-union", class: clsSQL, anchor: "the used select statements have a different number of columns", label: "MySQL UNION error"},
	// Error-based extraction: what updatexml/extractvalue and the
	// floor(rand()) duplicate key print of the query's result.
	{id: "mysql-xpath", class: clsSQL, anchor: "xpath syntax error: '", label: "MySQL error-based extraction"},
	{id: "mysql-dup-extract", back: 40, class: clsSQL, anchor: "duplicate entry '", label: "MySQL error-based extraction", re: regexp.MustCompile(`Duplicate entry '[^']{0,64}(?:~|\d+\.\d+\.\d+)[^']{0,64}' for key`)},
	{id: "pg-syntax", class: clsSQL, anchor: "syntax error at or near", label: "PostgreSQL syntax error"},
	{id: "pg-ruby", class: clsSQL, anchor: "pg::syntaxerror", label: "PostgreSQL syntax error"},
	{id: "pg-unterminated", class: clsSQL, anchor: "unterminated quoted string at or near", label: "PostgreSQL syntax error"},
	{id: "pg-jdbc", class: clsSQL, anchor: "org.postgresql.util.psqlexception", label: "PostgreSQL (JDBC) error"},
	{id: "pg-psycopg", class: clsSQL, anchor: "psycopg2.", label: "PostgreSQL (psycopg2) error", re: regexp.MustCompile(`psycopg2\.(?:errors|[A-Za-z]*Error)`)},
	{id: "pg-php", class: clsSQL, anchor: "pg_query()", label: "PostgreSQL (PHP pg_query) error"},
	{id: "pg-input", class: clsSQL, anchor: "invalid input syntax for", label: "PostgreSQL error", re: regexp.MustCompile(`(?i)invalid input syntax for (?:type|integer)`)},
	{id: "pg-order-by", class: clsSQL, anchor: "order by position", label: "PostgreSQL error", re: regexp.MustCompile(`ORDER BY position \d+ is not in select list`)},
	{id: "pg-union", class: clsSQL, anchor: "each union query must have the same number of columns", label: "PostgreSQL UNION error"},
	{id: "mssql-quote", class: clsSQL, anchor: "unclosed quotation mark after the character string", label: "Microsoft SQL Server syntax error"},
	{id: "mssql-oledb", class: clsSQL, anchor: "microsoft ole db provider for sql server", label: "Microsoft SQL Server (OLE DB) error"},
	{id: "mssql-client", class: clsSQL, anchor: "system.data.sqlclient.", label: "Microsoft SQL Server (.NET SqlClient) error"},
	{id: "mssql-jdbc", class: clsSQL, anchor: "com.microsoft.sqlserver.jdbc", label: "Microsoft SQL Server (JDBC) error"},
	{id: "mssql-odbc", class: clsSQL, anchor: "odbc sql server driver", label: "Microsoft SQL Server (ODBC) error"},
	{id: "mssql-near", class: clsSQL, anchor: "incorrect syntax near", label: "Microsoft SQL Server syntax error"},
	{id: "mssql-client-core", class: clsSQL, anchor: "microsoft.data.sqlclient.", label: "Microsoft SQL Server (.NET SqlClient) error"},
	{id: "mssql-conversion", class: clsSQL, anchor: "conversion failed when converting the", label: "Microsoft SQL Server conversion error"},
	{id: "mssql-union", class: clsSQL, anchor: "all queries combined using a union, intersect or except operator", label: "Microsoft SQL Server UNION error"},
	{id: "mssql-order-by", class: clsSQL, anchor: "the order by position number", label: "Microsoft SQL Server error"},
	{id: "oracle-ora", class: clsSQL, anchor: "ora-", label: "Oracle error", re: regexp.MustCompile(`\bORA-\d{5}\b`)},
	{id: "oracle-quote", class: clsSQL, anchor: "quoted string not properly terminated", label: "Oracle syntax error"},
	{id: "oracle-jdbc", class: clsSQL, anchor: "oracle.jdbc.", label: "Oracle (JDBC) error"},
	{id: "sqlite-error", class: clsSQL, anchor: "sqlite_error", label: "SQLite error"},
	{id: "sqlite-python", class: clsSQL, anchor: "sqlite3.operationalerror", label: "SQLite (Python) error"},
	{id: "sqlite-exception", class: clsSQL, anchor: "sqliteexception", label: "SQLite error"},
	{id: "sqlite-near", back: 72, class: clsSQL, anchor: "\": syntax error", label: "SQLite syntax error", re: regexp.MustCompile(`near "[^"]{0,64}": syntax error`)},
	{id: "sqlite-token", class: clsSQL, anchor: "unrecognized token:", label: "SQLite syntax error"},
	{id: "sqlite-union", class: clsSQL, anchor: "selects to the left and right of union do not have the same number of result columns", label: "SQLite UNION error"},
	{id: "db2-cli", class: clsSQL, anchor: "[ibm][cli driver]", label: "IBM DB2 error"},
	{id: "h2-jdbc", class: clsSQL, anchor: "org.h2.jdbc.", label: "H2 error"},
	{id: "hsqldb-object", class: clsSQL, anchor: "user lacks privilege or object not found", label: "HSQLDB error"},
	{id: "cockroach-lexical", class: clsSQL, anchor: "lexical error: unterminated", label: "CockroachDB syntax error"},
	{id: "clickhouse", class: clsSQL, anchor: "db::exception:", label: "ClickHouse error"},
	{id: "snowflake", class: clsSQL, anchor: "sql compilation error:", label: "Snowflake error"},
	{id: "snowflake-jdbc", class: clsSQL, anchor: "net.snowflake.client.", label: "Snowflake (JDBC) error"},
	{id: "db2-error", class: clsSQL, anchor: "db2 sql error", label: "IBM DB2 error"},
	{id: "access-jet", class: clsSQL, anchor: "microsoft jet database engine", label: "Microsoft Access error"},
	{id: "access-query", class: clsSQL, anchor: "syntax error in query expression", label: "Microsoft Access syntax error"},
	{id: "pdo-sqlstate", class: clsSQL, generic: true, anchor: "sqlstate[", label: "SQL error (PDO)", re: regexp.MustCompile(`SQLSTATE\[[0-9A-Z]{5}\]`)},
	{id: "jdbc-sqlexception", class: clsSQL, generic: true, anchor: "java.sql.sql", label: "SQL error (JDBC)", re: regexp.MustCompile(`java\.sql\.SQL\w*Exception`)},
	{id: "odbc-driver", class: clsSQL, generic: true, anchor: "[odbc ", label: "SQL error (ODBC)", re: regexp.MustCompile(`\[ODBC [^\]]{1,40}\]`)},
	{id: "sequelize", class: clsSQL, generic: true, anchor: "sequelizedatabaseerror", label: "SQL error (Sequelize)"},
	{id: "sqlalchemy", class: clsSQL, generic: true, anchor: "sqlalchemy.exc.", label: "SQL error (SQLAlchemy)"},
	{id: "activerecord", class: clsSQL, generic: true, anchor: "activerecord::statementinvalid", label: "SQL error (ActiveRecord)"},
	{id: "hibernate-grammar", class: clsSQL, generic: true, anchor: "org.hibernate.exception.sqlgrammarexception", label: "SQL error (Hibernate)"},
	{id: "hibernate-hql", back: 60, class: clsSQL, generic: true, anchor: "querysyntaxexception", label: "HQL syntax error (Hibernate)", re: regexp.MustCompile(`org\.hibernate\.[\w.]*QuerySyntaxException`)},

	// NoSQL and LDAP errors.
	{id: "mongo-error", class: clsNoSQL, anchor: "mongoerror", label: "MongoDB error"},
	{id: "mongo-server", class: clsNoSQL, anchor: "mongoservererror", label: "MongoDB error"},
	{id: "mongo-operator", class: clsNoSQL, anchor: "unknown operator: $", label: "MongoDB operator error"},
	{id: "mongo-toplevel", class: clsNoSQL, anchor: "unknown top level operator", label: "MongoDB operator error"},
	{id: "mongo-python", class: clsNoSQL, anchor: "pymongo.errors", label: "MongoDB (pymongo) error"},
	{id: "mongo-cast", class: clsNoSQL, anchor: "casterror: cast to", label: "MongoDB (Mongoose) error"},
	{id: "mongo-js", class: clsNoSQL, anchor: "jsinterpreterfailure", label: "MongoDB JavaScript ($where) error"},
	{id: "ldap-filter", class: clsLDAP, anchor: "invalidsearchfilterexception", label: "LDAP filter error (Java)"},
	{id: "ldap-bad-filter", class: clsLDAP, anchor: "bad search filter", label: "LDAP filter error"},
	{id: "ldap-php", class: clsLDAP, anchor: "ldap_search()", label: "LDAP error (PHP)"},
	{id: "ldap-python", class: clsLDAP, anchor: "ldap.filter_error", label: "LDAP filter error (python-ldap)"},
	{id: "ldap-exception", class: clsLDAP, anchor: "com.sun.jndi.ldap", label: "LDAP error (Java)"},
	{id: "ldap-ldap3", class: clsLDAP, anchor: "ldapinvalidfiltererror", label: "LDAP filter error (ldap3)"},
	{id: "ldap-dotnet", class: clsLDAP, anchor: "search filter is invalid", label: "LDAP filter error (.NET)"},

	// Template engine errors.
	{id: "jinja2", class: clsTemplate, anchor: "jinja2.exceptions", label: "Jinja2 template error"},
	{id: "template-syntax", class: clsTemplate, anchor: "templatesyntaxerror", label: "template syntax error"},
	{id: "freemarker", class: clsTemplate, anchor: "freemarker.", label: "FreeMarker template error", re: regexp.MustCompile(`freemarker\.(?:core|template)\.`)},
	{id: "velocity", class: clsTemplate, anchor: "org.apache.velocity", label: "Velocity template error"},
	{id: "thymeleaf", class: clsTemplate, anchor: "org.thymeleaf.exceptions", label: "Thymeleaf template error"},
	{id: "twig", class: clsTemplate, anchor: "twig", label: "Twig template error", re: regexp.MustCompile(`Twig(?:_Error|\\Error)`)},
	{id: "smarty", class: clsTemplate, anchor: "smarty", label: "Smarty template error", re: regexp.MustCompile(`(?i)smarty(?:compilerexception| error| compiler:)`)},
	{id: "liquid", class: clsTemplate, anchor: "liquid syntax error", label: "Liquid template error"},
	{id: "mako", class: clsTemplate, anchor: "mako.exceptions", label: "Mako template error"},
	{id: "erb", class: clsTemplate, anchor: "actionview::template::error", label: "ERB template error"},
	{id: "handlebars", class: clsTemplate, anchor: "parse error on line", label: "Handlebars template error", re: regexp.MustCompile(`Parse error on line \d+:`)},
	{id: "spel", class: clsTemplate, anchor: "spelevaluationexception", label: "Spring expression (SpEL) error"},
	{id: "spel-parse", class: clsTemplate, anchor: "spelparseexception", label: "Spring expression (SpEL) error"},
	{id: "pug", class: clsTemplate, anchor: "pug:", label: "Pug template error", re: regexp.MustCompile(`\bPug:\d+:\d+`)},
	{id: "nunjucks", class: clsTemplate, anchor: "template render error", label: "Nunjucks template error"},
	{id: "go-template", class: clsTemplate, anchor: "template: ", label: "Go template error", re: regexp.MustCompile(`\btemplate: [\w.-]+:\d+:(?:\d+:)? (?:unexpected|function "|undefined|bad character|unclosed|executing|unterminated)`)},

	// Failed includes and opens: the path reached the file API.
	{id: "php-include", class: clsInclude, anchor: "failed to open stream", label: "PHP include error"},
	{id: "php-include-warning", class: clsInclude, anchor: "warning</b>:  include", label: "PHP include error"},
	{id: "php-include-plain", class: clsInclude, anchor: "warning: include", label: "PHP include error"},
	{id: "php-require", class: clsInclude, anchor: "failed opening required", label: "PHP require error"},
	{id: "java-fnf", class: clsInclude, anchor: "java.io.filenotfoundexception", label: "Java file error"},
	{id: "node-enoent", class: clsInclude, anchor: "enoent: no such file or directory, open '", label: "Node.js file error"},
	{id: "python-fnf", class: clsInclude, anchor: "[errno 2] no such file or directory: '", label: "Python file error"},

	// Shell errors: the value reached a shell.
	{id: "sh-not-found", class: clsCmdError, anchor: "sh: ", label: "shell error", re: regexp.MustCompile(`\bsh: (?:\d+: )?(?:line \d+: )?\S.{0,80}(?:not found|No such file or directory|syntax error)`)},
	{id: "cmd-not-recognized", class: clsCmdError, anchor: "recognized as an internal or external command", label: "Windows cmd error"},
	{id: "powershell-not-recognized", class: clsCmdError, anchor: "is not recognized as the name of a cmdlet", label: "PowerShell error"},

	// Stack traces and framework error pages.
	{id: "java-trace", class: clsStack, anchor: "at java.", label: "Java stack trace", re: regexp.MustCompile(`at java\.[\w.$]+\(`)},
	{id: "java-thread", class: clsStack, anchor: "exception in thread \"", label: "Java stack trace"},
	{id: "java-lang", class: clsStack, anchor: "java.lang.", label: "Java exception", re: regexp.MustCompile(`java\.lang\.\w*(?:Exception|Error)\b`)},
	{id: "spring-whitelabel", class: clsStack, anchor: "whitelabel error page", label: "Spring Boot error page"},
	{id: "python-trace", class: clsStack, anchor: "traceback (most recent call last)", label: "Python traceback"},
	{id: "werkzeug", class: clsStack, anchor: "werkzeug debugger", label: "Werkzeug debugger page"},
	{id: "django-debug", class: clsStack, anchor: "you're seeing this error because you have <code>debug = true</code>", label: "Django debug page"},
	{id: "php-fatal", class: clsStack, anchor: "fatal error", label: "PHP fatal error", re: regexp.MustCompile(`(?i)fatal error(?:</b>)?:.{0,300}(?:on line|uncaught|stack trace| in /)`)},
	{id: "php-parse", class: clsStack, anchor: "syntax error, unexpected", label: "PHP parse error"},
	{id: "php-trace", class: clsStack, anchor: "stack trace:", label: "PHP stack trace", re: regexp.MustCompile(`Stack trace:\s*(?:<br />)?\s*#0 `)},
	{id: "dotnet-server-error", class: clsStack, anchor: "server error in '", label: "ASP.NET error page"},
	{id: "dotnet-trace", class: clsStack, anchor: "at system.", label: ".NET stack trace", re: regexp.MustCompile(`at System\.[\w.` + "`" + `]+\(`)},
	{id: "dotnet-details", class: clsStack, anchor: "exception details: system.", label: ".NET exception"},
	{id: "go-panic", class: clsStack, anchor: "goroutine ", label: "Go panic", re: regexp.MustCompile(`goroutine \d+ \[running\]`)},
	{id: "go-runtime", class: clsStack, anchor: "panic: runtime error", label: "Go panic"},
	{id: "node-trace", class: clsStack, anchor: "at object.<anonymous>", label: "Node.js stack trace"},
	{id: "node-module", class: clsStack, anchor: "at module._compile", label: "Node.js stack trace"},
	{id: "node-internal", class: clsStack, anchor: "(node:internal/", label: "Node.js stack trace"},
	{id: "ruby-trace", class: clsStack, anchor: ".rb:", label: "Ruby stack trace", re: regexp.MustCompile(`\.rb:\d+:in [` + "`" + `']`)},
	{id: "rails-error", class: clsStack, anchor: "actioncontroller::", label: "Rails error", re: regexp.MustCompile(`ActionController::\w+Error`)},

	// Deserializers refusing or failing on the type a request named: the
	// payload reached the deserializer and it tried to build an object.
	{id: "java-invalid-class", class: clsDeser, anchor: "java.io.invalidclassexception", label: "Java deserialization error"},
	{id: "java-stream-header", class: clsDeser, anchor: "invalid stream header", label: "Java deserialization error", re: regexp.MustCompile(`StreamCorruptedException: invalid stream header`)},
	{id: "xstream", class: clsDeser, anchor: "com.thoughtworks.xstream.", label: "XStream deserialization error", re: regexp.MustCompile(`com\.thoughtworks\.xstream\.(?:converters|mapper|security)\.\w+Exception`)},
	{id: "snakeyaml", class: clsDeser, anchor: "could not determine a constructor for the tag", label: "YAML deserialization error (SnakeYAML or PyYAML)"},
	{id: "snakeyaml-class", class: clsDeser, anchor: "org.yaml.snakeyaml.", label: "SnakeYAML deserialization error", re: regexp.MustCompile(`org\.yaml\.snakeyaml\.(?:constructor|error)\.\w*Exception`)},
	{id: "jackson-type-id", class: clsDeser, anchor: "could not resolve type id", label: "Jackson polymorphic type error"},
	{id: "fastjson-autotype", class: clsDeser, anchor: "autotype is not support", label: "fastjson autoType error"},
	{id: "jsonnet-type", class: clsDeser, anchor: "newtonsoft.json.jsonserializationexception", label: "Json.NET deserialization error"},
	{id: "dotnet-serialization", class: clsDeser, anchor: "system.runtime.serialization.serializationexception", label: ".NET deserialization error"},
	{id: "psych-disallowed", class: clsDeser, anchor: "psych::disallowedclass", label: "Ruby YAML deserialization error"},
	{id: "python-unpickling", class: clsDeser, anchor: "unpicklingerror", label: "Python pickle error"},
	{id: "php-unserialize", class: clsDeser, anchor: "unserialize(): error at offset", label: "PHP unserialize error"},

	// File content.
	{id: "passwd", back: 16, class: clsFile, anchor: ":0:0:", label: "/etc/passwd content", re: regexp.MustCompile(`(?:^|[\s>"])root:[^:\s]{0,4}:0:0:[^:\n]{0,64}:/`)},
	{id: "passwd-line", back: 200, class: clsFile, anchor: ":/usr/sbin/nologin", label: "/etc/passwd content", re: regexp.MustCompile(`\b[a-z_][\w-]{0,31}:[x*!]?:\d+:\d+:[^:\n]{0,64}:/[^:\n]{0,64}:/usr/sbin/nologin`)},
	{id: "shadow", class: clsFile, anchor: "root:", label: "/etc/shadow content", re: regexp.MustCompile(`(?:^|[\s>"])root:(?:\$\w{1,4}\$[^:\s]{8,}|[*!]{1,2}):\d{4,5}:`)},
	{id: "win-ini", class: clsFile, anchor: "16-bit app support", label: "win.ini content"},
	{id: "win-ini-fonts", class: clsFile, anchor: "[fonts]", label: "win.ini content", re: regexp.MustCompile(`(?m)^\[fonts\]\s*$`)},
	{id: "boot-ini", class: clsFile, anchor: "[boot loader]", label: "boot.ini content"},
	{id: "hosts", back: 40, class: clsFile, anchor: "localhost", label: "/etc/hosts content", re: regexp.MustCompile(`(?m)^\s*(?:127\.0\.0\.1|::1)[ \t]+localhost\b`)},
	{id: "proc-environ", back: 256, class: clsFile, anchor: "path=/", label: "/proc/self/environ content", re: regexp.MustCompile("(?:\x00[A-Z_][A-Z0-9_]{0,63}=[^\x00]{0,256}\x00?PATH=/|PATH=/[^\x00]{0,512}\x00[A-Z_][A-Z0-9_]{0,63}=)")},
	{id: "proc-version", class: clsFile, anchor: "linux version ", label: "/proc/version content", re: regexp.MustCompile(`Linux version \d+\.\d+\S* \(\S+@`)},
	{id: "private-key", class: clsFile, anchor: "-----begin ", label: "private key", re: regexp.MustCompile(`-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----`)},
	{id: "php-source", class: clsFile, anchor: "<?php", label: "PHP source code"},
	{id: "php-source-b64", class: clsFile, anchor: "pd9waha", label: "PHP source code (base64)", re: regexp.MustCompile(`PD9waHA`)},
	{id: "web-config", class: clsFile, anchor: "<connectionstrings>", label: "web.config content"},
	{id: "web-config-core", class: clsFile, anchor: "<aspnetcore", label: "web.config content", re: regexp.MustCompile(`<aspNetCore\s[^>]*processPath=`)},
	{id: "web-xml", class: clsFile, anchor: "<servlet-class>", label: "WEB-INF/web.xml content"},
	{id: "passwd-b64", class: clsFile, anchor: "cm9vddp4oja6", label: "/etc/passwd content (base64)", re: regexp.MustCompile(`cm9vdDp4OjA6MD[o-r]`)},
	{id: "dotenv-laravel", class: clsFile, anchor: "app_key=base64:", label: ".env content"},
	{id: "aws-credentials-file", back: 24, class: clsFile, anchor: "aws_secret_access_key", label: "AWS credentials file", re: regexp.MustCompile(`(?m)^\s*aws_secret_access_key\s*=`)},
	// A kubeconfig's embedded certificate or key: base64 of a PEM block
	// ("-----BEGIN" is "LS0tLS1CRUdJTi"), after its YAML or JSON key.
	{id: "kubeconfig", back: 48, class: clsFile, anchor: "ls0tls1crudjt", label: "kubeconfig content", re: regexp.MustCompile(`(?:certificate-authority|client-certificate|client-key)-data"?\s*:\s*"?LS0tLS1CRUdJT`)},

	// Command output.
	{id: "id-output", class: clsCmdOutput, anchor: "uid=", label: "id output", re: regexp.MustCompile(`\buid=\d+\([^)\s]{0,32}\)\s+gid=\d+\(`)},
	{id: "uname-output", back: 200, class: clsCmdOutput, anchor: "gnu/linux", label: "uname -a output", re: regexp.MustCompile(`Linux \S+ \d+\.\d+\S* .{0,120}GNU/Linux`)},
	// BusyBox's and other unames print no GNU/: the kernel's build string.
	{id: "uname-smp", back: 200, class: clsCmdOutput, anchor: " smp ", label: "uname -a output", re: regexp.MustCompile(`Linux \S+ \d+\.\d+\.\d+\S* #\d+\S* SMP`)},
	{id: "ls-output", back: 8, class: clsCmdOutput, anchor: "rwxr", label: "ls -l output", re: regexp.MustCompile(`(?m)^[dl-][rwxsStT-]{9}[.+@]?\s+\d+\s+\S+\s+\S+\s+\d+\s`)},
	{id: "ls-output-file", back: 8, class: clsCmdOutput, anchor: "rw-r", label: "ls -l output", re: regexp.MustCompile(`(?m)^[dl-][rwxsStT-]{9}[.+@]?\s+\d+\s+\S+\s+\S+\s+\d+\s`)},
	{id: "dir-output", class: clsCmdOutput, anchor: "volume serial number is", label: "dir output"},
	{id: "dir-of", class: clsCmdOutput, anchor: "directory of ", label: "dir output", re: regexp.MustCompile(`Directory of [A-Za-z]:\\`)},
	{id: "ipconfig", class: clsCmdOutput, anchor: "windows ip configuration", label: "ipconfig output"},
	{id: "ifconfig", back: 40, class: clsCmdOutput, anchor: "netmask", label: "ifconfig output", re: regexp.MustCompile(`inet (?:addr:)?\d{1,3}(?:\.\d{1,3}){3}\s+(?:netmask|Bcast|Mask)`)},
	{id: "whoami-system", class: clsCmdOutput, anchor: "authority\\system", label: "whoami output"},
	{id: "whoami-apppool", class: clsCmdOutput, anchor: "iis apppool\\", label: "whoami output"},
	{id: "ping-windows", class: clsCmdOutput, anchor: "packets: sent = ", label: "ping output", re: regexp.MustCompile(`Packets: Sent = \d+, Received = \d+`)},
	{id: "ip-addr", back: 60, class: clsCmdOutput, anchor: "scope global", label: "ip addr output", re: regexp.MustCompile(`inet6? [0-9a-f:.]+/\d+ .{0,60}scope global`)},
	{id: "ping-output", back: 16, class: clsCmdOutput, anchor: "packets transmitted", label: "ping output", re: regexp.MustCompile(`\d+ packets transmitted, \d+ (?:packets )?received`)},

	// Cloud metadata and internal services.
	{id: "aws-ami", back: 1, class: clsMetadata, anchor: "ami-id", label: "AWS instance metadata", re: regexp.MustCompile(`(?m)ami-id(?:\s*$|"?\s*[:=]\s*"?ami-[0-9a-f]{8,17})`)},
	{id: "aws-meta-list", back: 1, class: clsMetadata, anchor: "instance-id", label: "cloud instance metadata", re: regexp.MustCompile(`(?m)instance-id(?:\s*$|"?\s*[:=]\s*"?i-[0-9a-f]{8,17})`)},
	{id: "aws-iam", class: clsMetadata, anchor: "security-credentials", label: "AWS IAM credentials path"},
	{id: "aws-keys", back: 1, class: clsMetadata, anchor: "accesskeyid", label: "AWS credentials", re: regexp.MustCompile(`"AccessKeyId"\s*:\s*"(?:ASIA|AKIA)`)},
	{id: "aws-secret", back: 1, class: clsMetadata, anchor: "secretaccesskey", label: "AWS credentials", re: regexp.MustCompile(`"SecretAccessKey"\s*:`)},
	{id: "aws-identity", back: 1, class: clsMetadata, anchor: "instanceid", label: "AWS instance identity document", re: regexp.MustCompile(`"instanceId"\s*:\s*"i-[0-9a-f]{8,17}"`)},
	{id: "aws-iam-info", class: clsMetadata, anchor: "instanceprofilearn", label: "AWS IAM instance profile"},
	{id: "gcp-metadata", class: clsMetadata, anchor: "computemetadata", label: "GCP metadata"},
	// GCP's directory listings, one entry a line in sorted order (the v1
	// root, an instance's, a project's): consecutive entries, as a lone
	// "oauth/" is in any .gitignore.
	{id: "gcp-listing", class: clsMetadata, anchor: "instance/\noauth/\nproject/", label: "GCP metadata listing"},
	{id: "gcp-listing-instance", class: clsMetadata, anchor: "cpu-platform\ndescription\ndisks/", label: "GCP metadata listing"},
	{id: "gcp-listing-project", class: clsMetadata, anchor: "numeric-project-id\nproject-id", label: "GCP metadata listing"},
	{id: "gcp-token", back: 24, class: clsMetadata, anchor: "ya29.", label: "GCP access token", re: regexp.MustCompile(`"access_token"\s*:\s*"ya29\.`)},
	{id: "gcp-instance", back: 1, class: clsMetadata, anchor: "cpuplatform", label: "GCP instance metadata", re: regexp.MustCompile(`"cpuPlatform"\s*:`)},
	{id: "azure-token", back: 24, class: clsMetadata, anchor: "management.azure.com", label: "Azure managed identity token", re: regexp.MustCompile(`"resource"\s*:\s*"https://management\.azure\.com`)},
	{id: "azure-metadata", class: clsMetadata, anchor: "azenvironment", label: "Azure instance metadata"},
	{id: "azure-vmid", class: clsMetadata, anchor: "\"vmid\"", label: "Azure instance metadata"},
	{id: "do-metadata", class: clsMetadata, anchor: "droplet_id", label: "DigitalOcean metadata"},
	{id: "ssh-banner", class: clsMetadata, anchor: "ssh-2.0-", label: "internal SSH service banner", re: regexp.MustCompile(`(?m)^SSH-2\.0-\S+`)},
	{id: "redis-info", class: clsMetadata, anchor: "redis_version:", label: "internal Redis INFO output"},
	// The Docker Engine API (its socket, or a daemon on 2375): /version,
	// and a container or image list.
	{id: "docker-version", class: clsMetadata, anchor: "\"minapiversion\"", label: "Docker Engine API"},
	{id: "docker-list", back: 8, class: clsMetadata, anchor: "id\":\"sha256:", label: "Docker Engine API", re: regexp.MustCompile(`"(?:ImageID|Id)":"sha256:[0-9a-f]{64}"`)},
	// The Kubernetes API server's or a kubelet's lists (kubelet /pods, the
	// API's /api/v1/secrets).
	{id: "k8s-list", back: 16, class: clsMetadata, anchor: "list\"", label: "Kubernetes API", re: regexp.MustCompile(`"kind"\s*:\s*"(?:Pod|Secret|ConfigMap|ServiceAccount|Node|Namespace)List"`)},
}

// maxSigs bounds len(sigs); maxFails bounds the failed verifications of
// one signature in one body.
const (
	maxSigs  = 254 // table and next hold 1 + an index in a byte
	maxFails = 8
)

// The anchor index: a table from a hash of an anchor's first four bytes to
// the signatures with that hash, chained through next. The scan keeps the
// last four bytes (lower-cased) in a word and looks it up at each byte, so
// a body costs a few operations a byte whatever the number of signatures.
const tableBits = 14

var (
	table   [1 << tableBits]uint8 // 1 + first signature index; 0 for none
	next    [maxSigs]uint8        // 1 + next signature index with the same hash
	keys    [maxSigs]uint32
	lowered [256]byte
)

func init() {
	for i := range lowered {
		c := byte(i)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lowered[i] = c
	}
	if len(sigs) > maxSigs {
		panic("confirm: more than maxSigs signatures")
	}
	for i := len(sigs) - 1; i >= 0; i-- {
		s := &sigs[i]
		if len(s.anchor) < 4 || strings.ToLower(s.anchor) != s.anchor {
			panic("confirm: anchor " + s.anchor + " must be lower-case and at least 4 bytes")
		}
		keys[i] = key4(s.anchor)
		h := hash4(keys[i])
		next[i] = table[h]
		table[h] = uint8(i + 1)
	}
}

func key4(s string) uint32 {
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
}

func hash4(k uint32) uint32 { return (k * 0x9E3779B1) >> (32 - tableBits) }

// checker is one Check call's state.
type checker struct {
	x        *decoders.Exchange
	resp     *decoders.Message
	body     []byte
	payloads []string
	res      Result
	prof     profile
	// found has the bit of every class already reported, so each class
	// costs one verification once found.
	found class
	// fails counts each signature's anchors that did not verify: past
	// maxFails the signature is not verified again, which bounds the work
	// a page full of lookalikes (":root", "?uid=") can cause.
	fails [maxSigs]uint8
	// generic is the evidence index of a generic signature's finding, -1
	// when none; its class is not in found, so a specific one can replace it.
	generic int
	// json is set when the body is JSON: its size alone does not make
	// an error page of it (errorHere).
	json bool
}

// signatures scans the body for the profile's signature classes. A JSON
// body is read with its strings unescaped: an error message or a file
// quoted in JSON has \" for its quotes and \n for its line breaks, which
// the signatures' lines and expressions read as the text itself has them
// ("near \"OR\": syntax error", "Twig\\Error\\SyntaxError", an ls
// listing in "total 24\ndrwxr-xr-x …").
func (c *checker) signatures() {
	b := c.body
	if jsonText(c.resp, b) && bytes.IndexByte(b, '\\') >= 0 {
		b = unescapeJSON(b)
		c.json = true
	}
	c.scan(b, LocBody, "body", c.resp.Status >= 500)
}

// jsonText reports a body that is JSON: by its content type, or, with
// none, by its first byte.
func jsonText(resp *decoders.Message, b []byte) bool {
	if ct, ok := decoders.Get(resp.Headers, "content-type"); ok && ct != "" {
		return strings.Contains(strings.ToLower(ct), "json")
	}
	t := bytes.TrimLeft(b, " \t\r\n")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// unescapeJSON returns b with the escapes of JSON strings undone (\" \\
// \/ \b \f \n \r \t \uXXXX, surrogate pairs joined); an escape that is
// none is kept as it is. The result is never longer than b.
func unescapeJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' || i+1 >= len(b) {
			out = append(out, c)
			continue
		}
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
			i++
		case 'n':
			out = append(out, '\n')
			i++
		case 'r':
			out = append(out, '\r')
			i++
		case 't':
			out = append(out, '\t')
			i++
		case 'b', 'f':
			out = append(out, ' ')
			i++
		case 'u':
			r, n := jsonRune(b[i:])
			if n == 0 {
				out = append(out, c)
				continue
			}
			if utf8.RuneLen(r) <= n {
				out = utf8.AppendRune(out, r)
			}
			i += n - 1
		default:
			out = append(out, c)
		}
	}
	return out
}

// jsonRune reads \uXXXX (and a low surrogate's \uXXXX after a high one)
// at the start of b, and returns the rune and the bytes read; 0 when b
// holds no such escape.
func jsonRune(b []byte) (rune, int) {
	hex := func(b []byte) (rune, bool) {
		if len(b) < 6 || b[0] != '\\' || b[1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(b[2:6]), 16, 16)
		return rune(n), err == nil
	}
	r, ok := hex(b)
	if !ok {
		return 0, 0
	}
	if utf16.IsSurrogate(r) {
		if r2, ok := hex(b[6:]); ok {
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12
			}
		}
		return utf8.RuneError, 6
	}
	return r, 6
}

// scan looks for signatures in b, reported at location loc under name;
// serverError says the response status already tells an error from prose.
func (c *checker) scan(b []byte, loc, name string, serverError bool) {
	var w uint32
	for i := 0; i < len(b); i++ {
		w = w<<8 | uint32(lowered[b[i]])
		if i < 3 {
			continue
		}
		for si := int(table[hash4(w)]) - 1; si >= 0; si = int(next[si]) - 1 {
			s := &sigs[si]
			if keys[si] != w || s.class&c.prof.classes == 0 || s.class&c.found != 0 {
				continue
			}
			start := i - 3
			if !hasFoldAt(b, start, s.anchor) {
				continue
			}
			if c.fails[si] >= maxFails {
				continue
			}
			line := lineAround(b, start, len(s.anchor))
			if s.re != nil && !s.re.Match(b[max(line.from, start-s.back):line.to]) {
				c.fails[si]++
				continue
			}
			if s.class&errorClasses != 0 && !serverError && !c.errorHere(b, start) {
				c.fails[si]++
				continue
			}
			if s.class&(clsSQL|clsNoSQL) != 0 && c.boundValue(b[line.from:line.to]) ||
				s.class&contentClasses != 0 && c.inEcho(b, line, start, len(s.anchor)) {
				c.fails[si]++
				continue
			}
			c.report(s, loc, name, b, line)
		}
	}
}

// report records signature s found at span line of b.
func (c *checker) report(s *sig, loc, name string, b []byte, line span) {
	if s.generic && c.generic >= 0 {
		return
	}
	if !s.generic {
		c.found |= s.class
	}
	if s.class&weakClasses != 0 {
		c.res.weak()
	} else {
		c.res.strong()
	}
	if s.class&errorClasses != 0 {
		c.res.Disclosure = true
	}
	value := string(bytes.TrimSpace(b[line.from:line.to]))
	if s.class&(clsFile|clsMetadata) != 0 {
		value = maskSecrets(value)
	}
	if name == "body" {
		name = classNames[s.class]
	}
	e := &alert.Evidence{Location: loc, Name: name, Value: alert.Snippet(value, snippetBytes), Matched: s.label + " in response", Rule: s.id}
	switch {
	case c.generic >= 0 && !s.generic && s.class == clsSQL:
		c.res.Evidence[c.generic] = e
		c.generic = -2 // replaced: no further generic finding
	case s.generic:
		if n := len(c.res.Evidence); c.res.add(e) {
			c.generic = n
		}
	default:
		c.res.add(e)
	}
}

// classNames name the evidence of each class.
var classNames = map[class]string{
	clsSQL: "sql-error", clsNoSQL: "nosql-error", clsLDAP: "ldap-error", clsTemplate: "template-error",
	clsInclude: "include-error", clsCmdError: "shell-error", clsStack: "stack-trace", clsFile: "file-content",
	clsCmdOutput: "command-output", clsMetadata: "cloud-metadata", clsDeser: "deserialization-error",
}

// maskSecrets hides what leaked files and metadata hold beyond the proof:
// private key bodies, password hashes, AWS secrets.
func maskSecrets(s string) string {
	if i := indexFold(s, "PRIVATE KEY-----"); i >= 0 {
		return s[:i+len("PRIVATE KEY-----")]
	}
	s = shadowHash.ReplaceAllString(s, "${1}"+alert.Redacted)
	return leakedSecret.ReplaceAllString(s, "${1}"+alert.Redacted)
}

var (
	shadowHash = regexp.MustCompile(`(root:)\$[^:\s]+`)
	// leakedSecret is a secret's value in a leaked file or metadata
	// answer: AWS's secret key, an .env's key or password, an OAuth
	// access token.
	leakedSecret = regexp.MustCompile(`(?i)((?:aws_secret_access_key|app_key|[a-z_]*password|[a-z_]*secret)\s*=\s*|"(?:access_token|SecretAccessKey|Token)"\s*:\s*")[^"\s]+`)
)

// span is a byte range.
type span struct{ from, to int }

// lineWidth bounds how far a line is followed each way from a hit.
const lineWidth = 240

// lineAround returns the line holding b[at:at+n], at most lineWidth bytes
// each way.
func lineAround(b []byte, at, n int) span {
	from := at
	for from > 0 && at-from < lineWidth && b[from-1] != '\n' {
		from--
	}
	to := at + n
	for to < len(b) && to-at < lineWidth && b[to] != '\n' {
		to++
	}
	return span{from, to}
}

// contentClasses are what an interpreter printed of what it read or ran:
// their signatures count only outside an echo of the request's values.
const contentClasses = clsFile | clsCmdOutput | clsMetadata

// boundValue reports an error line that names a request value whole as the
// value the database was handed: a type, range or key error about a bound
// parameter ("invalid input syntax for type uuid: \"1' OR '1'='1\"",
// "Conversion failed when converting the nvarchar value '1' OR '1'='1' to
// data type int", "Duplicate entry 'admin'--' for key", Mongoose's "Cast to
// ObjectId failed for value"). The query was parameterised and refused the
// value: the injection did not reach the SQL. Error-based extraction
// quotes what the injected SQL computed (a version string), not the
// payload.
func (c *checker) boundValue(line []byte) bool {
	if !valueError.Match(line) {
		return false
	}
	if bytes.IndexByte(line, '&') >= 0 {
		// An HTML error page (Express's) escapes the quotes.
		line = []byte(html.UnescapeString(string(line)))
	}
	for _, p := range c.payloads {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		for _, q := range [...]string{`"`, `'`} {
			if bytes.Contains(line, []byte(q+p+q)) {
				return true
			}
		}
	}
	return false
}

// valueError finds the errors a database gives about a value it was
// handed (PostgreSQL, SQL Server, MySQL/MariaDB, Oracle, Mongoose).
var valueError = regexp.MustCompile(`(?i)invalid input (?:syntax|value) for|conversion failed when converting|incorrect \w+ value:|duplicate entry '|duplicate key value|cast to \w+ failed for value|out of range|value too long|data truncated|invalid number|is not a valid`)

// inEcho reports whether the anchor at b[at:at+n], on line, lies inside a
// request value echoed there: an application refusing a URL quotes it
// ("URL not allowed: http://169.254.169.254/…/security-credentials/"),
// which is not the metadata service's answer.
func (c *checker) inEcho(b []byte, line span, at, n int) bool {
	l := b[line.from:line.to]
	for _, p := range c.payloads {
		if len(p) < 8 {
			continue
		}
		for off := 0; off < len(l); {
			i := bytes.Index(l[off:], []byte(p))
			if i < 0 {
				break
			}
			i += off + line.from
			if i <= at && at+n <= i+len(p) {
				return true
			}
			off = i - line.from + 1
		}
	}
	return false
}

// errorHere reports whether the error text at b[at:] reads as an error the
// server produced rather than prose about one: the body is short and not
// JSON (an error page), a request value is echoed near it (DBMS errors
// quote the query), or it is the value of an error-named JSON key or
// follows PHP's "Warning:" markup, or it ends the body (a script that
// died there: PHP's die(mysqli_error()) after the page's layout, with
// no closing markup after it). A long article about SQL errors has none
// of these, nor does a short JSON document whose field quotes one (a
// knowledge-base excerpt: "excerpt": "If MySQL says …").
func (c *checker) errorHere(b []byte, at int) bool {
	if len(c.resp.Body) <= smallBody && !(c.json || jsonText(c.resp, c.body)) {
		return true
	}
	if c.payloadNear(b, at) || c.endsBody(b, at) {
		return true
	}
	before := b[max(0, at-48):at]
	for _, k := range errorKeys {
		if indexFoldBytes(before, k) >= 0 {
			return true
		}
	}
	return errorValue(b[max(0, at-errorValueBytes):at])
}

// endsBody reports whether the error at b[at] ends a whole HTML page the
// checker read (not one cut by the capture, a reset or the scan bound),
// as a script's output ends where it died: on a short last line of its
// own, the error near its start, no markup after it, lines before it.
// A page that goes on (closing tags after the error, even on its line),
// a minified one-line page, and other types (logs, CSV, event streams,
// scripts, JSON) are not.
func (c *checker) endsBody(b []byte, at int) bool {
	r := c.resp
	if len(b) != len(r.Body) || r.BodyTruncated || r.Incomplete || len(c.body) != len(r.Body) {
		return false
	}
	if ct, _ := decoders.Get(r.Headers, "content-type"); !strings.HasPrefix(strings.ToLower(strings.TrimSpace(ct)), "text/html") {
		return false
	}
	start := bytes.LastIndexByte(b[:at], '\n') + 1
	end := len(b)
	if i := bytes.IndexByte(b[at:], '\n'); i >= 0 {
		end = at + i
	}
	return start > 0 && at-start <= 64 && end-start <= 512 && bytes.IndexByte(b[at:end], '<') < 0 &&
		len(bytes.TrimSpace(b[end:])) == 0
}

// errorValueBytes is how far back from an error the JSON key whose value
// holds it is looked for.
const errorValueBytes = 320

// errorValue reports whether before, the text ahead of an error in a JSON
// body, ends inside the value of an error-named key: the last "key": in
// it names an error ("error": "SQLSTATE[42000]: … You have an error in
// your SQL syntax").
func errorValue(before []byte) bool {
	i := bytes.LastIndex(before, []byte(`":`))
	if j := bytes.LastIndex(before, []byte(`" :`)); j > i {
		i = j
	}
	if i <= 0 {
		return false
	}
	k := bytes.LastIndexByte(before[:i], '"')
	if k < 0 || i-k > 32 {
		return false
	}
	switch strings.ToLower(string(before[k+1 : i])) {
	case "error", "errors", "message", "exception", "detail", "errormessage", "error_message", "msg", "err", "errmsg",
		"error_description", "reason", "cause", "trace", "stacktrace", "stack":
		return true
	}
	return false
}

// smallBody is the size up to which a body is an error page or error
// object rather than a document.
const smallBody = 2048

// nearBytes is how far from an error a request value may be echoed.
const nearBytes = 512

// errorKeys precede an error message in JSON error objects and PHP pages.
var errorKeys = []string{`"error":`, `"error" :`, `"message":`, `"exception":`, `"detail":`, `"errors":`, `"errormessage":`, `warning</b>:`, `error</b>:`, `"msg":`}

// payloadNear reports whether a fragment of a request value (its first or
// last 8 bytes) is within nearBytes of b[at].
func (c *checker) payloadNear(b []byte, at int) bool {
	win := b[max(0, at-nearBytes):min(len(b), at+nearBytes)]
	for _, p := range c.payloads {
		if len(p) < 4 {
			continue
		}
		n := min(len(p), 8)
		if bytes.Contains(win, []byte(p[:n])) || bytes.Contains(win, []byte(p[len(p)-n:])) {
			return true
		}
	}
	return false
}

// hasFoldAt reports whether b[at:] starts with lower-case anchor a, ASCII
// case ignored.
func hasFoldAt(b []byte, at int, a string) bool {
	if at < 0 || len(b)-at < len(a) {
		return false
	}
	for j := 0; j < len(a); j++ {
		if lowered[b[at+j]] != a[j] {
			return false
		}
	}
	return true
}

// indexFoldBytes returns the index of lower-case needle in b, ASCII case
// ignored, or -1.
func indexFoldBytes(b []byte, needle string) int {
	for i := 0; i+len(needle) <= len(b); i++ {
		if hasFoldAt(b, i, needle) {
			return i
		}
	}
	return -1
}

// indexFold returns the index of needle in s, ASCII case ignored, or -1.
func indexFold(s, needle string) int {
	n := []byte(needle)
	for i := range n {
		n[i] = lowered[n[i]]
	}
	return indexFoldBytes([]byte(s), string(n))
}
