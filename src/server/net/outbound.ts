/**
 * The outbound-address guard. Everything the server sends to an address a person typed (an
 * alert rule's webhook, a connector's base URL) goes through here, so that a URL cannot make
 * Hourbridge call into the network it runs in: loopback, private, link-local (cloud metadata at
 * 169.254.169.254), carrier-grade NAT, multicast, broadcast, reserved and unspecified addresses
 * are refused, in IPv4 and IPv6, including IPv6 forms that carry an IPv4 address.
 *
 * - Addresses are classified by ipaddr.js, whose ranges follow the IANA special-purpose
 *   registries; only what it calls `unicast` (a global address) may be called.
 * - A URL is checked when it is saved (`checkOutboundUrl`), and again on every connection
 *   (`outboundFetch`): the host is resolved inside the connection's own lookup, every address
 *   it resolves to is checked, and the socket connects to one of those checked addresses, so
 *   a name that resolves elsewhere after it was saved (DNS rebinding) gains nothing.
 * - Redirects are never followed: a 3xx is handed back to the caller as it came.
 * - OUTBOUND_ALLOW_HOSTS (src/env.ts) lists the internal addresses, ranges or host names that
 *   may still be called: the simulators on loopback in the embedded default; none in production
 *   unless an operator sets it.
 */
import dns from "node:dns";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import ipaddr from "ipaddr.js";
import { env, type OutboundAllowEntry } from "@/env";

type Address = ipaddr.IPv4 | ipaddr.IPv6;
export type ResolvedAddress = { address: string; family: number };

/** What may be called: the allow-list, and how names are resolved (the system resolver unless given). */
export type OutboundPolicy = {
  allow: readonly OutboundAllowEntry[];
  resolve?: (host: string) => Promise<ResolvedAddress[]>;
};

/** The policy of this process: OUTBOUND_ALLOW_HOSTS and the system resolver. */
export const defaultOutboundPolicy = (): OutboundPolicy => ({ allow: env.OUTBOUND_ALLOW_HOSTS });

// ---------------------------------------------------------------------------------------
// Classification

/** Each range ipaddr.js names that may not be called, in words for a sentence. */
const RANGE_WORDS: Record<string, string> = {
  unspecified: "an unspecified address",
  broadcast: "a broadcast address",
  multicast: "a multicast address",
  linkLocal: "a link-local address",
  loopback: "a loopback address",
  carrierGradeNat: "a carrier-grade NAT (shared) address",
  private: "a private address",
  uniqueLocal: "a private (unique local) address",
  deprecatedSiteLocal: "a site-local address",
};
const RESERVED_WORDS = "a reserved address";

export type AddressVerdict = {
  /** the address as given, normalised (IPv6 compressed) */
  address: string;
  /** the IPv4 address an IPv6 form carries (mapped, compatible, translated, NAT64), when it carries one */
  embedded: string | null;
  /** ipaddr.js's name of the range that decided (that of the embedded IPv4 address when there is one) */
  range: string;
  /** true for a global unicast address: one Hourbridge may call */
  global: boolean;
  /** "a loopback address", "a private address", …; "a public address" when global */
  words: string;
};

const NAT64_WELL_KNOWN = ipaddr.parseCIDR("64:ff9b::/96");
const IPV4_COMPATIBLE = ipaddr.parseCIDR("::/96");

/** The IPv4 address in the last 32 bits of an IPv6 address. */
const lastFourBytes = (a: ipaddr.IPv6) => new ipaddr.IPv4(a.toByteArray().slice(12));

/**
 * The IPv4 address an IPv6 address stands for, when it is one of the forms that carry one:
 * IPv4-mapped (::ffff:a.b.c.d), IPv4-translated (::ffff:0:a.b.c.d), IPv4-compatible
 * (::a.b.c.d, deprecated but still routed by some stacks) and the well-known NAT64 prefix
 * (64:ff9b::a.b.c.d). Other prefixes that embed IPv4 (6to4, Teredo, local-use NAT64) are
 * refused as reserved whatever they carry.
 */
function embeddedIPv4(a: ipaddr.IPv6): ipaddr.IPv4 | null {
  if (a.isIPv4MappedAddress()) return a.toIPv4Address();
  const range = a.range();
  if (range === "rfc6145") return lastFourBytes(a);
  if (range === "rfc6052" && a.match(NAT64_WELL_KNOWN)) return lastFourBytes(a);
  if (range === "unicast" && a.match(IPV4_COMPATIBLE)) return lastFourBytes(a);
  return null;
}

function parseAddress(text: string): Address {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!net.isIP(bare)) throw new TypeError(`"${text}" is not an IP address`);
  return ipaddr.parse(bare);
}

/** Classifies one IP address (IPv4 or IPv6 text); throws a TypeError for anything else. */
export function classifyAddress(text: string): AddressVerdict {
  const parsed = parseAddress(text);
  const embedded = parsed.kind() === "ipv6" ? embeddedIPv4(parsed as ipaddr.IPv6) : null;
  const decisive: Address = embedded ?? parsed;
  const range = decisive.range();
  const global = range === "unicast";
  return {
    address: parsed.toString(),
    embedded: embedded?.toString() ?? null,
    range,
    global,
    words: global ? "a public address" : (RANGE_WORDS[range] ?? RESERVED_WORDS),
  };
}

/** Whether the allow-list admits this host, or this address (in either of its forms). */
export function allowedBy(allow: readonly OutboundAllowEntry[], host: string, address?: string): boolean {
  const name = normalHost(host);
  const forms: Address[] = [];
  if (address !== undefined) {
    const parsed = parseAddress(address);
    forms.push(parsed);
    const embedded = parsed.kind() === "ipv6" ? embeddedIPv4(parsed as ipaddr.IPv6) : null;
    if (embedded) forms.push(embedded);
  }
  return allow.some((entry) =>
    entry.kind === "host" ? entry.host === name : forms.some((f) => f.kind() === entry.range[0].kind() && f.match(entry.range)),
  );
}

const normalHost = (host: string) => {
  const h = host.toLowerCase().replace(/\.$/, "");
  return h.startsWith("[") && h.endsWith("]") ? h.slice(1, -1) : h;
};

// ---------------------------------------------------------------------------------------
// Refusals

/** A URL, or the address its host resolved to, that Hourbridge does not send to. */
export class OutboundRefusedError extends Error {
  override name = "OutboundRefusedError";
  constructor(
    /** the URL's host, as written */
    readonly host: string,
    readonly verdict: AddressVerdict,
    /** what the URL is, for the sentence: "The webhook URL", "NetSuite's base URL" */
    what: string,
  ) {
    const shown = verdict.embedded ? `${verdict.address} (${verdict.embedded})` : verdict.address;
    super(`${what} resolves to ${shown}, ${verdict.words}; Hourbridge does not send to internal addresses.`);
  }
}

/** The refusal for this address of this host, or null when it may be called. */
function refusalFor(host: string, address: string, policy: OutboundPolicy, what: string): OutboundRefusedError | null {
  const verdict = classifyAddress(address);
  if (verdict.global || allowedBy(policy.allow, host, address)) return null;
  return new OutboundRefusedError(host, verdict, what);
}

const systemResolve = (host: string) =>
  new Promise<ResolvedAddress[]>((resolve, reject) => {
    dns.lookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

const resolverOf = (policy: OutboundPolicy) => policy.resolve ?? systemResolve;

/** The host of a URL without IPv6 brackets: what a socket connects to. */
const hostOf = (url: URL) => (url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname);

export type OutboundCheck =
  | { ok: true; addresses: string[]; unresolved: string | null }
  | { ok: false; error: OutboundRefusedError };

/**
 * Checks a URL before it is saved: its host (an address, or every address the name resolves
 * to) must be global or on the allow-list. A name that does not resolve now is let through
 * (`unresolved` says why): it cannot reach anything yet, and every connection checks it again.
 * `timeoutMs` bounds the lookup.
 */
export async function checkOutboundUrl(
  url: string | URL,
  opts: { what: string; policy?: OutboundPolicy; timeoutMs?: number },
): Promise<OutboundCheck> {
  const policy = opts.policy ?? defaultOutboundPolicy();
  const parsed = new URL(url);
  const host = hostOf(parsed);
  if (net.isIP(host)) {
    const error = refusalFor(host, host, policy, opts.what);
    return error ? { ok: false, error } : { ok: true, addresses: [host], unresolved: null };
  }
  if (allowedBy(policy.allow, host)) return { ok: true, addresses: [], unresolved: null };
  let addresses: ResolvedAddress[];
  try {
    addresses = await withTimeout(resolverOf(policy)(host), opts.timeoutMs ?? 5_000);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    return { ok: true, addresses: [], unresolved: e.code ?? e.message ?? String(err) };
  }
  for (const a of addresses) {
    const error = refusalFor(host, a.address, policy, opts.what);
    if (error) return { ok: false, error };
  }
  return { ok: true, addresses: addresses.map((a) => a.address), unresolved: null };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer from the resolver within ${ms} ms`), { code: "ETIMEOUT" })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------
// Sending

/**
 * The lookup a socket uses to find the host's addresses: resolves, refuses the connection
 * when any address is neither global nor allowed, and hands the socket only checked addresses.
 */
function guardedLookup(policy: OutboundPolicy, what: string): net.LookupFunction {
  return (hostname, options, callback) => {
    const cb = callback as (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;
    const opts = (typeof options === "object" && options !== null ? options : { family: options }) as dns.LookupOptions;
    resolverOf(policy)(hostname).then(
      (addresses) => {
        const family = opts.family === 4 || opts.family === "IPv4" ? 4 : opts.family === 6 || opts.family === "IPv6" ? 6 : 0;
        const usable = addresses.filter((a) => family === 0 || a.family === family);
        if (usable.length === 0) {
          cb(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", hostname }), "", undefined);
          return;
        }
        for (const a of addresses) {
          let refusal: OutboundRefusedError | null;
          try {
            refusal = refusalFor(hostname, a.address, policy, what);
          } catch (err) {
            cb(err as NodeJS.ErrnoException, "", undefined);
            return;
          }
          if (refusal) {
            cb(refusal, "", undefined);
            return;
          }
        }
        if (opts.all) cb(null, usable);
        else cb(null, usable[0]!.address, usable[0]!.family);
      },
      (err: NodeJS.ErrnoException) => cb(err, "", undefined),
    );
  };
}

/**
 * Keep-alive connections for the process's own policy. An idle connection is closed after 4 s,
 * before most servers close theirs (Node's default is 5 s), so a request does not meet a
 * connection the server is closing. A connection was checked when it was opened.
 */
const sharedAgents = {
  "http:": new http.Agent({ keepAlive: true, timeout: 4_000 }),
  "https:": new https.Agent({ keepAlive: true, timeout: 4_000 }),
};

/** The most a response body may hold (anything bigger is not an answer these APIs give). */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

function headersOf(init: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(init).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function bodyOf(body: RequestInit["body"]): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (body instanceof Uint8Array) return Buffer.from(body);
  if (body instanceof ArrayBuffer) return Buffer.from(body);
  throw new TypeError("outboundFetch sends a string or bytes as the body");
}

export type OutboundFetchOptions = {
  /** what the URL is, for the refusal: "The webhook URL", "Harvest's base URL" */
  what: string;
  /** defaults to the process's policy (OUTBOUND_ALLOW_HOSTS, the system resolver) */
  policy?: OutboundPolicy;
};

/**
 * A `fetch` for addresses people typed: the same call shape (a URL, method, headers, a string
 * or bytes body, signal), over Node's http/https with the guarded lookup. A refused address
 * rejects with `OutboundRefusedError` before any connection is made; another network failure
 * rejects like fetch does (a TypeError "fetch failed" whose cause is the system error); the
 * caller's abort rejects with its reason. Redirects are never followed, whatever `redirect`
 * says: a 3xx answer is resolved as it came.
 */
export function outboundFetch(opts: OutboundFetchOptions): typeof fetch {
  const policy = opts.policy ?? defaultOutboundPolicy();
  const shared = opts.policy === undefined;
  const lookup = guardedLookup(policy, opts.what);
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      let url: URL;
      try {
        if (typeof input !== "string" && !(input instanceof URL)) throw new TypeError("outboundFetch takes a URL or a string, not a Request");
        url = new URL(input);
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`outboundFetch sends over http or https, not ${url.protocol}`);
        const host = hostOf(url);
        // an address in the URL is connected to without a lookup: check it here
        if (net.isIP(host)) {
          const refusal = refusalFor(host, host, policy, opts.what);
          if (refusal) throw refusal;
        }
      } catch (err) {
        reject(err);
        return;
      }
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let body: Buffer | undefined;
      const headers = headersOf(init.headers);
      try {
        body = bodyOf(init.body);
      } catch (err) {
        reject(err);
        return;
      }
      if (body !== undefined) headers["content-length"] = String(body.length);
      const method = (init.method ?? "GET").toUpperCase();

      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const fail = (err: unknown) =>
        finish(() => reject(err instanceof OutboundRefusedError ? err : new TypeError("fetch failed", { cause: err })));

      const transport = url.protocol === "https:" ? https : http;
      const req = transport.request(url, {
        method,
        headers,
        lookup,
        agent: shared ? sharedAgents[url.protocol as "http:" | "https:"] : false,
      });
      const onAbort = () => {
        req.destroy();
        finish(() => reject(signal!.reason));
      };
      signal?.addEventListener("abort", onAbort, { once: true });

      req.on("error", fail);
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy();
            fail(new Error(`the answer is larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB`));
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", fail);
        res.on("close", () => {
          if (!res.complete) fail(new Error("the connection closed before the answer was complete"));
        });
        res.on("end", () => {
          const status = res.statusCode ?? 0;
          try {
            const responseHeaders = new Headers();
            for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
            const noBody = NULL_BODY_STATUSES.has(status) || method === "HEAD";
            const response = new Response(noBody ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage ?? "", headers: responseHeaders });
            finish(() => resolve(response));
          } catch (err) {
            fail(err);
          }
        });
      });
      req.end(body);
    });
}
