// Just enough of Spark SQL's lexer to split a cell into statements and find its named parameter markers:
// it knows quoted strings (with backslash escapes), backquoted identifiers and both comment forms.

interface Scan {
  statements: string[];
  parameters: string[];
}

function scan(text: string): Scan {
  const statements: string[] = [];
  const parameters = new Set<string>();
  let start = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      i++;
      while (i < n && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '`') {
      i++;
      while (i < n && !(text[i] === '`' && text[i + 1] !== '`')) i += text[i] === '`' ? 2 : 1;
      i++;
    } else if (c === '-' && text[i + 1] === '-') {
      while (i < n && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === ';') {
      statements.push(text.slice(start, i));
      start = ++i;
    } else if (c === ':' && text[i + 1] !== ':' && text[i - 1] !== ':' && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))!;
      parameters.add(m[0]);
      i += 1 + m[0].length;
    } else {
      i++;
    }
  }
  statements.push(text.slice(start));
  return { statements: statements.filter((s) => stripComments(s).trim() !== '').map((s) => s.trim()), parameters: [...parameters] };
}

function stripComments(sql: string): string {
  return sql.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

/** The statements of a cell, without the separating semicolons; comment-only pieces are dropped. */
export function splitStatements(text: string): string[] {
  return scan(text).statements;
}

/** The names of the `:name` parameter markers a statement uses, in order of first use. */
export function namedParameters(text: string): string[] {
  return scan(text).parameters;
}

// The one quoting of values into SQL text. Spark's and Databricks' string literals read backslash escapes,
// so a backslash is doubled first and a quote then escaped: no value can end the literal early. Every value
// put into SQL text goes through sqlString() (in TypeScript) or sqlStringExpr() (the same rule applied by
// Spark at run time, for text known only then, such as a job parameter); identifiers through quoteIdentifier().

/** A SQL string literal for any text. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** A SQL expression whose value, for the STRING expression given, is that text's sqlString() literal. */
export function sqlStringExpr(expr: string): string {
  const q = sqlString("'");
  return `${q} || replace(replace(${expr}, ${sqlString('\\')}, ${sqlString('\\\\')}), ${q}, ${sqlString("\\'")}) || ${q}`;
}

/** A backquoted identifier part; backquotes inside are doubled. */
export function quoteIdentifier(part: string): string {
  return `\`${part.replace(/`/g, '``')}\``;
}
