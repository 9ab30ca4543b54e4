// Golden check of the generated notebooks (notebooks/ must be what sql/ renders to) and of their form.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { namedParameters, parseNotebook, renderAllNotebooks, splitStatements } from '../../src/notebook/index.ts';
import { projectPath, readProjectFile } from '../../src/project.ts';

describe('notebooks', () => {
  const rendered = renderAllNotebooks(readProjectFile);

  it('are current: notebooks/ equals what sql/ renders to (run npm run build-notebooks)', () => {
    for (const nb of rendered) expect(readFileSync(projectPath(nb.path), 'utf8'), nb.path).to.equal(nb.content);
  });

  it('render deterministically', () => {
    const again = renderAllNotebooks(readProjectFile);
    expect(again.map((n) => n.content)).to.deep.equal(rendered.map((n) => n.content));
  });

  it('are Databricks notebook sources with markdown before every SQL cell and declared widgets', () => {
    for (const nb of rendered) {
      expect(nb.content.startsWith('-- Databricks notebook source\n')).to.equal(true);
      const cells = parseNotebook(nb.path, nb.content);
      const widgets = new Set(cells.flatMap((c) => c.widgets.map((w) => w.name)));
      cells.forEach((cell, i) => {
        if (cell.kind === 'sql' || cell.kind === 'source') {
          expect(cells[i - 1]!.kind, `${nb.path} cell ${cell.index}`).to.equal('markdown');
          for (const p of namedParameters(cell.text)) expect(widgets.has(p), `${nb.path} :${p}`).to.equal(true);
        }
      });
    }
  });

  it('holds one cell per query, named as in spec/transform.md', () => {
    const queries = rendered.find((n) => n.name === 'queries')!;
    const names = parseNotebook(queries.path, queries.content).filter((c) => c.resultName).map((c) => c.resultName);
    expect(names).to.have.length(9);
  });
});

describe('sql lexer', () => {
  it('splits statements outside strings, identifiers and comments', () => {
    const sql = "SELECT ';' AS a; -- c;\nSELECT `x;y` FROM t /* ; */;\n SELECT 'it\\'s;'";
    expect(splitStatements(sql)).to.have.length(3);
  });
  it('finds named parameters but not casts, strings or comments', () => {
    expect(namedParameters("SELECT :a, x::int, ':b', `:c` -- :d\nFROM IDENTIFIER(:t)")).to.deep.equal(['a', 't']);
  });
});
