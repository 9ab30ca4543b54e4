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
  | 'NOTEBOOK_MISSING'
  | 'NOTEBOOKS_STALE'
  | 'DATA_INVALID'
  | 'QUERY_UNKNOWN'
  | 'IO_FAILED'
  | 'AUTH_FAILED'
  | 'HOST_UNREACHABLE'
  | 'API_ERROR'
  | 'DEPLOY_FAILED'
  | 'JOB_NOT_FOUND'
  | 'RUN_FAILED'
  | 'RUN_CANCELLED'
  | 'WORKSPACE_START_FAILED'
  | 'SQL_FAILED'
  | 'KAFKA_NOT_INSTALLED'
  | 'KAFKA_START_FAILED'
  | 'SOURCE_UNAVAILABLE';

/**
 * Exit code a CLI command ends with for an error of this code: 2 usage and configuration, 3 authentication,
 * 4 host unreachable, 130 a run cancelled by Ctrl-C, 1 anything else.
 */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'CONFIG_INVALID':
    case 'USAGE':
      return 2;
    case 'AUTH_FAILED':
      return 3;
    case 'HOST_UNREACHABLE':
      return 4;
    case 'RUN_CANCELLED':
      return 130;
    default:
      return 1;
  }
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
