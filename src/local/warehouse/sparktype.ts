// Spark's type strings (DataType.simpleString: `int`, `decimal(10,2)`, `array<int>`, `map<string,int>`,
// `struct<x:int,y:array<string>>`) read into a tree, for the warehouse endpoint's Thrift and Arrow types.

export type SparkType =
  | { kind: 'primitive'; name: string }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'array'; element: SparkType }
  | { kind: 'map'; key: SparkType; value: SparkType }
  | { kind: 'struct'; fields: { name: string; type: SparkType }[] };

export function parseSparkType(text: string): SparkType {
  let i = 0;
  const peek = () => text[i];
  const expect = (c: string) => {
    if (text[i] !== c) throw new Error(`spark type ${text}: expected "${c}" at ${i}`);
    i++;
  };
  const word = () => {
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (!m) throw new Error(`spark type ${text}: expected a name at ${i}`);
    i += m[0].length;
    return m[0];
  };
  const fieldName = () => {
    if (peek() === '`') {
      const end = text.indexOf('`', i + 1);
      const name = text.slice(i + 1, end);
      i = end + 1;
      return name;
    }
    const end = text.indexOf(':', i);
    const name = text.slice(i, end);
    i = end;
    return name;
  };
  const type = (): SparkType => {
    const name = word().toLowerCase();
    if (name === 'decimal') {
      if (peek() !== '(') return { kind: 'decimal', precision: 10, scale: 0 };
      const m = /^\((\d+),(\d+)\)/.exec(text.slice(i))!;
      i += m[0].length;
      return { kind: 'decimal', precision: Number(m[1]), scale: Number(m[2]) };
    }
    if (name === 'array') {
      expect('<');
      const element = type();
      expect('>');
      return { kind: 'array', element };
    }
    if (name === 'map') {
      expect('<');
      const key = type();
      expect(',');
      const value = type();
      expect('>');
      return { kind: 'map', key, value };
    }
    if (name === 'struct') {
      expect('<');
      const fields: { name: string; type: SparkType }[] = [];
      while (peek() !== '>') {
        const n = fieldName();
        expect(':');
        fields.push({ name: n, type: type() });
        if (peek() === ',') i++;
      }
      expect('>');
      return { kind: 'struct', fields };
    }
    // varchar(10), char(3), interval types and the like keep their text; they travel as strings.
    if (peek() === '(') i = text.indexOf(')', i) + 1;
    while (peek() === ' ') {
      const rest = /^ [a-z]+( to [a-z]+)?/.exec(text.slice(i));
      if (!rest) break;
      i += rest[0].length;
    }
    return { kind: 'primitive', name };
  };
  const t = type();
  if (i !== text.length) throw new Error(`spark type ${text}: unexpected text at ${i}`);
  return t;
}
