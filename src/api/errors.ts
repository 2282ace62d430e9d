/** One registry of coded API errors; the error handler maps them to HTTP. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    /** response headers, e.g. Retry-After */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const badRequest = (field: string, message: string) => new ApiError(400, 'bad_request', `${field}: ${message}`, field);
export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const unauthorized = () => new ApiError(401, 'unauthorized', 'missing or invalid bearer token');
export const forbidden = (need: string) => new ApiError(403, 'forbidden', `role ${need} or above required`);
