import type { ServerResponse } from "node:http";
import { sendJson } from "../shared/http";

/**
 * NetSuite's REST error body: an RFC 9457-like problem with NetSuite's own
 * `o:errorDetails` list, each detail carrying a machine-readable `o:errorCode`.
 */
export type NetSuiteErrorBody = {
  type: string;
  title: string;
  status: number;
  "o:errorDetails": { detail: string; "o:errorCode": string }[];
};

const TITLES: Record<number, [title: string, section: string]> = {
  400: ["Bad Request", "rfc9110.html#section-15.5.1"],
  401: ["Unauthorized", "rfc9110.html#section-15.5.2"],
  403: ["Forbidden", "rfc9110.html#section-15.5.4"],
  404: ["Not Found", "rfc9110.html#section-15.5.5"],
  405: ["Method Not Allowed", "rfc9110.html#section-15.5.6"],
  409: ["Conflict", "rfc9110.html#section-15.5.10"],
  413: ["Content Too Large", "rfc9110.html#section-15.5.14"],
  429: ["Too Many Requests", "rfc6585.html#section-4"],
  500: ["Internal Server Error", "rfc9110.html#section-15.6.1"],
  502: ["Bad Gateway", "rfc9110.html#section-15.6.3"],
  503: ["Service Unavailable", "rfc9110.html#section-15.6.4"],
};

/** The o:errorCode used when only a status is known (faults, framework errors). */
const DEFAULT_CODES: Record<number, string> = {
  400: "INVALID_CONTENT",
  401: "INVALID_LOGIN",
  404: "NONEXISTENT_ID",
  405: "INVALID_URL",
  413: "INVALID_CONTENT",
  429: "CONCURRENCY_LIMIT_EXCEEDED",
  500: "UNEXPECTED_ERROR",
  502: "UNEXPECTED_ERROR",
  503: "SERVICE_UNAVAILABLE",
};

export function errorBody(status: number, code: string, detail: string): NetSuiteErrorBody {
  const [title, section] = TITLES[status] ?? ["Error", "rfc9110.html#section-15"];
  return {
    type: `https://www.rfc-editor.org/rfc/${section}`,
    title,
    status,
    "o:errorDetails": [{ detail, "o:errorCode": code }],
  };
}

export function sendNetSuiteError(res: ServerResponse, status: number, code: string, detail: string, headers: Record<string, string> = {}) {
  sendJson(res, status, errorBody(status, code, detail), headers);
}

/** The vendorError callback for the shared server and fault injector. */
export function vendorError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>) {
  sendNetSuiteError(res, status, DEFAULT_CODES[status] ?? "UNEXPECTED_ERROR", message, headers);
}

/** A business or request error raised inside a handler; the server turns it into the body above. */
export class NetSuiteError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
  get body(): NetSuiteErrorBody {
    return errorBody(this.status, this.code, this.message);
  }
}

export const badRequest = (code: string, detail: string) => new NetSuiteError(400, code, detail);
