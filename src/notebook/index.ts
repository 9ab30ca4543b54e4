export { CLEAN_TABLES, QUERY_NAMES, isQueryName, queryModel, renderAllNotebooks } from './catalog.ts';
export type { QueryName, ReadSource, RenderedNotebook } from './catalog.ts';
export { parseNotebook } from './parse.ts';
export type { Cell } from './parse.ts';
export { renderNotebook, databricksSourceSql, NOTEBOOK_HEADER, CELL_SEPARATOR } from './render.ts';
export { parseSqlSource } from './sql-source.ts';
export type { NotebookModel, SourceBinding, Step, Widget } from './sql-source.ts';
export { splitStatements, namedParameters, sqlString, quoteIdentifier } from './sql-lexer.ts';
