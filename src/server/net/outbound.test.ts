import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseEnv, parseOutboundAllowList } from "@/env";
import { allowedBy, checkOutboundUrl, classifyAddress, OutboundRefusedError, outboundFetch, type OutboundPolicy, type ResolvedAddress } from "./outbound";

/** No address is allowed: every internal one is refused. */
const STRICT: OutboundPolicy = { allow: [] };
/** A resolver that answers from a table, and never asks the network. */
const resolver =
  (table: Record<string, string[]>) =>
  async (host: string): Promise<ResolvedAddress[]> => {
    const found = table[host];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return found.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
const allow = (text: string) => parseOutboundAllowList(text).entries;

describe("classifying addresses", () => {
  it.each([
    ["127.0.0.1", "loopback", "a loopback address"],
    ["127.8.9.10", "loopback", "a loopback address"],
    ["10.0.0.1", "private", "a private address"],
    ["172.16.5.4", "private", "a private address"],
    ["192.168.1.1", "private", "a private address"],
    ["169.254.169.254", "linkLocal", "a link-local address"],
    ["100.64.0.1", "carrierGradeNat", "a carrier-grade NAT (shared) address"],
    ["0.0.0.0", "unspecified", "an unspecified address"],
    ["224.0.0.1", "multicast", "a multicast address"],
    ["255.255.255.255", "broadcast", "a broadcast address"],
    ["240.0.0.1", "reserved", "a reserved address"],
    ["192.0.2.10", "reserved", "a reserved address"],
    ["198.18.0.1", "reserved", "a reserved address"],
    ["::1", "loopback", "a loopback address"],
    ["::", "unspecified", "an unspecified address"],
    ["fe80::1", "linkLocal", "a link-local address"],
    ["fc00::1", "uniqueLocal", "a private (unique local) address"],
    ["fd12:3456::1", "uniqueLocal", "a private (unique local) address"],
    ["ff02::1", "multicast", "a multicast address"],
    ["2001:db8::1", "reserved", "a reserved address"],
    ["2002:7f00:1::", "6to4", "a reserved address"],
    ["2001::1", "teredo", "a reserved address"],
  ])("%s is %s: refused", (address, range, words) => {
    expect(classifyAddress(address)).toMatchObject({ range, global: false, words });
  });

  it.each([
    ["::ffff:127.0.0.1", "127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "127.0.0.1", "loopback"],
    ["::ffff:169.254.169.254", "169.254.169.254", "linkLocal"],
    ["::ffff:10.1.2.3", "10.1.2.3", "private"],
    ["::127.0.0.1", "127.0.0.1", "loopback"], // IPv4-compatible
    ["::ffff:0:10.0.0.1", "10.0.0.1", "private"], // IPv4-translated
    ["64:ff9b::169.254.169.254", "169.254.169.254", "linkLocal"], // NAT64
    ["64:ff9b::100.64.0.1", "100.64.0.1", "carrierGradeNat"],
  ])("%s carries %s and is judged by it (%s)", (address, embedded, range) => {
    expect(classifyAddress(address)).toMatchObject({ embedded, range, global: false });
  });

  it("calls public addresses public, in either family and through NAT64", () => {
    for (const address of ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.4.4", "64:ff9b::8.8.8.8"]) {
      expect(classifyAddress(address), address).toMatchObject({ range: "unicast", global: true, words: "a public address" });
    }
  });

  it("refuses to classify what is not an address", () => {
    expect(() => classifyAddress("localhost")).toThrow(TypeError);
    expect(() => classifyAddress("10.0.0")).toThrow(TypeError);
  });
});

describe("checking a URL before it is saved", () => {
  const what = "The webhook URL";

  it("refuses an internal address with a sentence naming the address and its class", async () => {
    const check = await checkOutboundUrl("http://127.0.0.1:8080/hook", { what, policy: STRICT });
    expect(check.ok).toBe(false);
    expect(!check.ok && check.error).toBeInstanceOf(OutboundRefusedError);
    expect(!check.ok && check.error.message).toBe("The webhook URL resolves to 127.0.0.1, a loopback address; Hourbridge does not send to internal addresses.");

    const metadata = await checkOutboundUrl("http://169.254.169.254/latest/meta-data/", { what, policy: STRICT });
    expect(!metadata.ok && metadata.error.message).toBe("The webhook URL resolves to 169.254.169.254, a link-local address; Hourbridge does not send to internal addresses.");
  });

  it("sees through the other ways of writing an internal address", async () => {
    const cases: [string, RegExp][] = [
      ["http://[::1]/", /resolves to ::1, a loopback address/],
      ["http://[::ffff:127.0.0.1]/", /resolves to ::ffff:7f00:1 \(127\.0\.0\.1\), a loopback address/],
      ["http://[fe80::1]/", /link-local/],
      ["http://2130706433/", /resolves to 127\.0\.0\.1, a loopback/], // the URL parser reads it as 127.0.0.1
      ["http://0x7f.1/", /resolves to 127\.0\.0\.1, a loopback/],
      ["http://0/", /resolves to 0\.0\.0\.0, an unspecified address/],
      ["https://100.64.0.1:8443/", /carrier-grade NAT/],
      ["http://224.0.0.1/", /multicast/],
      ["http://[fc00::1]/", /unique local/],
    ];
    for (const [url, message] of cases) {
      const check = await checkOutboundUrl(url, { what, policy: STRICT });
      expect(check.ok, url).toBe(false);
      expect(!check.ok && check.error.message, url).toMatch(message);
    }
  });

  it("refuses a host name that resolves to loopback (the system resolver: localhost)", async () => {
    const check = await checkOutboundUrl("http://localhost:9/hook", { what, policy: STRICT });
    expect(check.ok).toBe(false);
    expect(!check.ok && check.error.message).toMatch(/^The webhook URL resolves to (127\.0\.0\.1|::1), a loopback address; Hourbridge does not send to internal addresses\.$/);
  });

  it("refuses a name when any of its addresses is internal; lets a public one through; lets an unresolvable one through for the send-time check", async () => {
    const resolve = resolver({ "mixed.example": ["93.184.215.14", "10.0.0.5"], "public.example": ["93.184.215.14", "2606:4700:4700::1111"] });
    const mixed = await checkOutboundUrl("https://mixed.example/hook", { what, policy: { allow: [], resolve } });
    expect(!mixed.ok && mixed.error.message).toBe("The webhook URL resolves to 10.0.0.5, a private address; Hourbridge does not send to internal addresses.");
    expect(await checkOutboundUrl("https://public.example/hook", { what, policy: { allow: [], resolve } })).toEqual({ ok: true, addresses: ["93.184.215.14", "2606:4700:4700::1111"], unresolved: null });
    expect(await checkOutboundUrl("https://nowhere.example/hook", { what, policy: { allow: [], resolve } })).toEqual({ ok: true, addresses: [], unresolved: "ENOTFOUND" });
  });
});

describe("the allow-list", () => {
  it("parses addresses, CIDR ranges and host names, and names what it cannot read", () => {
    const { entries, problems } = parseOutboundAllowList(" 127.0.0.1, ::1 10.1.0.0/16,fd00:1::/64  Sim.Internal. ");
    expect(entries.map((e) => e.text)).toEqual(["127.0.0.1", "::1", "10.1.0.0/16", "fd00:1::/64", "Sim.Internal."]);
    expect(entries[4]).toMatchObject({ kind: "host", host: "sim.internal" });
    expect(problems).toEqual([]);
    expect(parseOutboundAllowList("10.0.0.0/33, 127.1, 999.1.1.1, http://x/").problems).toEqual([
      '"10.0.0.0/33" is not a CIDR range (e.g. 10.20.0.0/16 or fd00:1::/64)',
      '"127.1" is not an address (e.g. 127.0.0.1), a CIDR range (e.g. 10.20.0.0/16) or a host name',
      '"999.1.1.1" is not an address (e.g. 127.0.0.1), a CIDR range (e.g. 10.20.0.0/16) or a host name',
      '"http://x/" is not a CIDR range (e.g. 10.20.0.0/16 or fd00:1::/64)',
    ]);
    expect(() => parseEnv({ OUTBOUND_ALLOW_HOSTS: "127.0.0.1, 10.0.0.0/33" })).toThrow(/OUTBOUND_ALLOW_HOSTS: "10\.0\.0\.0\/33" is not a CIDR range/);
    expect(parseEnv({}).OUTBOUND_ALLOW_HOSTS).toEqual([]);
  });

  it("admits exactly what it lists", () => {
    const list = allow("127.0.0.1, 10.1.0.0/16, fd00:1::/64, sim.internal");
    const cases: [string, string, boolean][] = [
      ["127.0.0.1", "127.0.0.1", true],
      ["127.0.0.2", "127.0.0.2", false],
      ["::ffff:127.0.0.1", "::ffff:127.0.0.1", true], // the mapped form of a listed address
      ["::1", "::1", false],
      ["10.1.0.1", "10.1.0.1", true],
      ["10.1.255.254", "10.1.255.254", true],
      ["10.2.0.1", "10.2.0.1", false],
      ["10.0.255.255", "10.0.255.255", false],
      ["fd00:1::5", "fd00:1::5", true],
      ["fd00:2::5", "fd00:2::5", false],
      ["sim.internal", "10.9.9.9", true], // a listed name, whatever it resolves to
      ["SIM.internal.", "10.9.9.9", true],
      ["api.sim.internal", "10.9.9.9", false],
      ["other.internal", "10.9.9.9", false],
    ];
    for (const [host, address, expected] of cases) expect(allowedBy(list, host, address), `${host} → ${address}`).toBe(expected);
  });

  it("lets a listed address through the URL check, and nothing next to it", async () => {
    const policy: OutboundPolicy = { allow: allow("127.0.0.1") };
    expect(await checkOutboundUrl("http://127.0.0.1:4101/v2", { what: "The base URL", policy })).toMatchObject({ ok: true });
    const next = await checkOutboundUrl("http://127.0.0.2:4101/v2", { what: "The base URL", policy });
    expect(!next.ok && next.error.message).toBe("The base URL resolves to 127.0.0.2, a loopback address; Hourbridge does not send to internal addresses.");
  });
});

describe("sending", () => {
  let server: Server;
  let port: number;
  let connections = 0;
  let requests: { method: string; url: string; body: string; headers: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        requests.push({ method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString("utf8"), headers: req.headers });
        if (req.url === "/redirect") {
          res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
        } else if (req.url === "/empty") {
          res.writeHead(204).end();
        } else if (req.url === "/slow") {
          // never answers
        } else {
          res.writeHead(200, { "content-type": "application/json", "x-echo": "yes" }).end(JSON.stringify({ got: Buffer.concat(chunks).toString("utf8") }));
        }
      });
    });
    server.on("connection", () => {
      connections += 1;
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });
  beforeEach(() => {
    connections = 0;
    requests = [];
  });

  const loopbackAllowed: OutboundPolicy = { allow: allow("127.0.0.1") };

  it("sends to an allowed address and answers like fetch", async () => {
    const send = outboundFetch({ what: "The test URL", policy: loopbackAllowed });
    const res = await send(`http://127.0.0.1:${port}/echo?x=1`, { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"a":1}' });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-echo")).toBe("yes");
    expect(await res.json()).toEqual({ got: '{"a":1}' });
    expect(requests).toMatchObject([{ method: "POST", url: "/echo?x=1", body: '{"a":1}', headers: { "content-type": "application/json", "content-length": "7" } }]);
    const empty = await send(`http://127.0.0.1:${port}/empty`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe("");
  });

  it("refuses an internal address before connecting", async () => {
    const send = outboundFetch({ what: "The webhook URL", policy: STRICT });
    const err = await send(`http://127.0.0.1:${port}/hook`, { method: "POST", body: "{}" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRefusedError);
    expect((err as Error).message).toBe("The webhook URL resolves to 127.0.0.1, a loopback address; Hourbridge does not send to internal addresses.");
    expect(connections).toBe(0);
  });

  it("checks the addresses a name resolves to when it connects: a name that now resolves to loopback is refused, no connection made", async () => {
    // the system resolver
    const viaSystem = outboundFetch({ what: "The webhook URL", policy: STRICT });
    await expect(viaSystem(`http://localhost:${port}/hook`, { method: "POST", body: "{}" })).rejects.toThrow(/^The webhook URL resolves to (127\.0\.0\.1|::1), a loopback address/);
    // a name that resolved to a public address when it was saved, and to loopback now
    const rebound = outboundFetch({ what: "The webhook URL", policy: { allow: [], resolve: resolver({ "hooks.rebind.example": ["127.0.0.1"] }) } });
    await expect(rebound(`http://hooks.rebind.example:${port}/hook`, { method: "POST", body: "{}" })).rejects.toBeInstanceOf(OutboundRefusedError);
    // one internal address among public ones is enough to refuse (nothing is tried)
    const mixed = outboundFetch({ what: "The webhook URL", policy: { allow: [], resolve: resolver({ "mixed.example": ["93.184.215.14", "::ffff:169.254.169.254"] }) } });
    await expect(mixed(`http://mixed.example:${port}/hook`)).rejects.toThrow("The webhook URL resolves to ::ffff:a9fe:a9fe (169.254.169.254), a link-local address; Hourbridge does not send to internal addresses.");
    expect(connections).toBe(0);
    expect(requests).toHaveLength(0);
  });

  it("connects to the checked address of an allowed name", async () => {
    const send = outboundFetch({ what: "The test URL", policy: { allow: allow("127.0.0.1"), resolve: resolver({ "sim.test": ["127.0.0.1"] }) } });
    const res = await send(`http://sim.test:${port}/echo`);
    expect(res.status).toBe(200);
    expect(requests).toMatchObject([{ url: "/echo", headers: { host: `sim.test:${port}` } }]);
  });

  it("follows no redirect: the 3xx comes back as it came", async () => {
    const send = outboundFetch({ what: "The test URL", policy: loopbackAllowed });
    const res = await send(`http://127.0.0.1:${port}/redirect`, { redirect: "follow" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("http://169.254.169.254/latest/meta-data/");
    expect(requests).toHaveLength(1);
  });

  it("rejects like fetch: the caller's abort with its reason, a refused connection as a TypeError with the system error as cause", async () => {
    const send = outboundFetch({ what: "The test URL", policy: loopbackAllowed });
    const aborted = await send(`http://127.0.0.1:${port}/slow`, { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((aborted as Error).name).toBe("TimeoutError");

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const refused = await send(`http://127.0.0.1:${closedPort}/`).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as Error).message).toBe("fetch failed");
    expect(((refused as Error).cause as { code?: string }).code).toBe("ECONNREFUSED");

    await expect(send("ftp://127.0.0.1/file")).rejects.toThrow(/not ftp:/);
  });
});
