/**
 * What a Harvest call can end in, classed for the job that called it (CONVENTIONS habit 8):
 * `retryable` says whether running the job again later may succeed.
 */
export class HarvestConnectorError extends Error {
  override name = "HarvestConnectorError";
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly attempts: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Harvest answered with an error status (4xx other than 429 immediately; 5xx/429 after the last attempt). */
export class HarvestHttpError extends HarvestConnectorError {
  override name = "HarvestHttpError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** Harvest's own words: `message` (Error schema) or `error_description` (OAuth 401) */
    readonly vendorMessage: string,
    retryable: boolean,
    attempts: number,
    /** what Harvest asked us to wait, when it said */
    readonly retryAfterMs: number | null = null,
  ) {
    super(`Harvest answered ${status} to ${method} ${path}: ${vendorMessage}`, retryable, attempts);
  }
}

/** No usable answer: connection refused or reset, timeout, or a body that is not what the API promises. */
export class HarvestTransportError extends HarvestConnectorError {
  override name = "HarvestTransportError";
  constructor(
    readonly method: string,
    readonly path: string,
    readonly reason: "network" | "timeout" | "invalid_response",
    detail: string,
    attempts: number,
    cause?: unknown,
  ) {
    super(`Harvest ${method} ${path} failed after ${attempts} attempt${attempts === 1 ? "" : "s"} (${reason}): ${detail}`, true, attempts, { cause });
  }
}
