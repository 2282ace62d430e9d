/** Errors of the ticket service; the API maps `code` to HTTP (400 bad_request, 404 not_found, 403 forbidden, 409 conflict, 400 too_large). */
export class TicketError extends Error {
  constructor(
    readonly code: 'bad_request' | 'not_found' | 'forbidden' | 'conflict' | 'too_large',
    message: string,
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
    this.name = 'TicketError';
  }
}
