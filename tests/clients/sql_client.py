"""The Databricks SQL Connector for Python against the local warehouse, as a user points it.

Run by tests/integration/clients.test.ts after sdk_client.py: python sql_client.py <warehouse status JSON>.
It trusts the CA file the warehouse prints (no verification turned off) and checks types, parameters,
the catalog calls and asynchronous execution. Each check prints one line; a failure raises.
"""
import datetime
import decimal
import json
import sys

from databricks import sql

wh = json.loads(sys.argv[1])
conn = sql.connect(
    server_hostname=wh['server_hostname'], http_path=wh['http_path'], access_token=open(wh['token_file']).read().strip(),
    _port=wh['port'], _tls_trusted_ca_file=wh['ca_file'], enable_telemetry=False, _retry_stop_after_attempts_count=1,
)


def check(name, ok, detail=''):
    if not ok:
        raise AssertionError(f'{name}: {detail}')
    print(f'ok {name}')


with conn.cursor() as cur:
    cur.execute("SELECT CAST(12345678901234567890.123456789 AS DECIMAL(38,9)) AS big, CAST(1.25 AS DECIMAL(10,2)) AS small, "
                "array(1, 2) AS a, map('k', 1) AS m, named_struct('x', 1, 'y', 'z') AS s, CAST('ab' AS BINARY) AS b, "
                "TIMESTAMP '2020-08-28 03:52:47.123' AS ts, DATE '2020-02-29' AS d, 7 AS i, 12345678901 AS l, 2.5D AS f, CAST(NULL AS STRING) AS n")
    row = cur.fetchone()
    types = [(c[0], c[1], c[4], c[5]) for c in cur.description]
    check('DECIMAL keeps its precision and scale and every digit', row.big == decimal.Decimal('12345678901234567890.123456789') and ('big', 'decimal', 38, 9) in types, (row.big, types))
    check('arrays, maps and structs come typed, not as JSON text', list(row.a) == [1, 2] and list(row.m) == [('k', 1)] and row.s == {'x': 1, 'y': 'z'}, (row.a, row.m, row.s))
    check('binary comes as bytes', row.b == b'ab', row.b)
    check('timestamps and dates are typed', row.ts == datetime.datetime(2020, 8, 28, 3, 52, 47, 123000, tzinfo=datetime.timezone.utc) and row.d == datetime.date(2020, 2, 29), (row.ts, row.d))
    check('int is int, bigint is bigint, double is double, NULL is None', (row.i, row.l, row.f, row.n) == (7, 12345678901, 2.5, None) and [t[1] for t in types[-4:]] == ['int', 'bigint', 'double', 'string'], types[-4:])
    cur.execute('SELECT ? + 1 AS p, ? AS q', [41, 'x'])
    check('positional ? parameters are bound', cur.fetchone() == (42, 'x'))
    cur.execute('SELECT :n * 2 AS n', {'n': 21})
    check('named parameters are bound', cur.fetchone()[0] == 42)
    cur.execute('SELECT x FROM sdk_param')
    check('the job run with notebook_params wrote its widget value', cur.fetchall()[0][0] == 'given')
    check('catalogs', [r[0] for r in cur.catalogs().fetchall()] == ['spark_catalog'])
    check('schemas', ('default', 'spark_catalog') in [tuple(r) for r in cur.schemas(catalog_name='spark_catalog').fetchall()])
    tables = [r.TABLE_NAME for r in cur.tables(schema_name='default', table_name='sdk%').fetchall()]
    check('tables (a pattern)', tables == ['sdk_param'], tables)
    columns = [(r.COLUMN_NAME, r.TYPE_NAME, r.ORDINAL_POSITION) for r in cur.columns(schema_name='default', table_name='sdk_param').fetchall()]
    check('columns', columns == [('x', 'STRING', 1)], columns)
    cur.execute_async('SELECT count(*) AS n FROM range(100000)')
    while cur.is_query_pending():
        pass
    cur.get_async_execution_result()
    check('asynchronous execution, polled with GetOperationStatus', cur.fetchall()[0][0] == 100000)
    try:
        cur.execute('SELECT * FROM no_such_table')
        check('a SQL error is raised', False, 'no error')
    except sql.exc.ServerOperationError as e:
        check('a SQL error is raised with Spark\'s error class', 'TABLE_OR_VIEW_NOT_FOUND' in str(e), e)
conn.close()
