// Where the project's own files are: the repository root, found from this module's location, so the CLI
// works from any working directory.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function projectPath(...parts: string[]): string {
  return path.join(PROJECT_ROOT, ...parts);
}

export function readProjectFile(relativePath: string): string {
  return readFileSync(projectPath(relativePath), 'utf8');
}
