// Workspace paths as Databricks treats them: absolute, `/Workspace/...` the same as `/...`, no trailing slash.

export function normalizePath(p: string): string {
  let out = p.replace(/\/+/g, '/');
  if (out === '/Workspace' || out.startsWith('/Workspace/')) out = out.slice('/Workspace'.length) || '/';
  if (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

export function parentPath(p: string): string {
  const i = p.lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}
