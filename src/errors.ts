// One error type for the whole project: a stable code, the ids a user needs, and a message of the form
// `<area>: <what happened> (<ids>). <what to do>`.

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'JAVA_MISSING'
  | 'SPARK_NOT_INSTALLED'
  | 'SPARK_START_FAILED'
  | 'STATEMENT_FAILED'
  | 'NOTEBOOK_INVALID'
  | 'NOTEBOOKS_STALE'
  | 'DATA_INVALID'
  | 'QUERY_UNKNOWN'
  | 'IO_FAILED';

/** Exit code a CLI command ends with for an error of this code: 2 for usage and configuration, 1 otherwise. */
export function exitCodeFor(code: ErrorCode): number {
  return code === 'CONFIG_INVALID' || code === 'USAGE' ? 2 : 1;
}

export class PinpipeError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PinpipeError';
    this.code = code;
    this.details = options.details ?? {};
  }
}
