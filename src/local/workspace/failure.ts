// Databricks' error as the local workspace answers it: an HTTP status, an error_code and a message, sent as
// {"error_code", "message"}.

export class ApiFailure extends Error {
  readonly status: number;
  readonly errorCode: string;
  constructor(status: number, errorCode: string, message: string) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

export const invalid = (message: string) => new ApiFailure(400, 'INVALID_PARAMETER_VALUE', message);
export const notFound = (message: string) => new ApiFailure(404, 'RESOURCE_DOES_NOT_EXIST', message);
