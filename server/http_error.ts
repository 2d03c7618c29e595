import type { ContentfulStatusCode } from "hono/utils/http-status";

/** An error that is about HTTP itself (method, media type, size, credentials), with its status. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: ContentfulStatusCode;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    message: string,
    options: { code?: string; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.status = status;
    this.code = options.code ?? "http_error";
    this.headers = options.headers ?? {};
  }
}
