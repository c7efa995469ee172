import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";

function parseError(source: Record<string, string | undefined>): string {
  try {
    parseEnv(source);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error("expected parseEnv to refuse the environment");
}

describe("parseEnv", () => {
  it("runs with nothing set, on the embedded defaults", () => {
    const env = parseEnv({});
    expect(env.NODE_ENV).toBe("development");
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.DATABASE_POOL_MAX).toBe(10);
    expect(env.EMBEDDED_PG_DIR).toBe(".data/postgres");
    expect(env.embeddedPgDir).toBe(path.resolve(process.cwd(), ".data/postgres"));
    expect(env.EMBEDDED_PG_PORT).toBe(54329);
    expect(env.PORT).toBe(3000);
    expect(env.SESSION_IDLE_MINUTES).toBe(30);
    expect(env.SESSION_MAX_HOURS).toBe(12);
    expect(env.AUTH_OIDC_NAME).toBe("Single sign-on");
    expect(env.LOG_LEVEL).toBe("info");
    expect(env.oidcEnabled).toBe(false);
    expect(env.SEED_DEMO).toBeUndefined();
  });

  it("treats empty strings as unset, as a copied .env.example leaves them", () => {
    const env = parseEnv({ DATABASE_URL: "", AUTH_OIDC_ISSUER: "", PORT: "" });
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(3000);
    expect(env.oidcEnabled).toBe(false);
  });

  it("reads numbers and booleans from their text", () => {
    const env = parseEnv({
      DATABASE_URL: "postgresql://u:p@db.internal:5432/hourbridge",
      DATABASE_POOL_MAX: "25",
      PORT: "8080",
      SEED_DEMO: "no",
      SESSION_IDLE_MINUTES: "15",
    });
    expect(env.DATABASE_URL).toBe("postgresql://u:p@db.internal:5432/hourbridge");
    expect(env.DATABASE_POOL_MAX).toBe(25);
    expect(env.PORT).toBe(8080);
    expect(env.SEED_DEMO).toBe(false);
    expect(env.SESSION_IDLE_MINUTES).toBe(15);
    expect(parseEnv({ SEED_DEMO: "1" }).SEED_DEMO).toBe(true);
  });

  it("refuses a malformed DATABASE_URL, naming the variable", () => {
    const message = parseError({ DATABASE_URL: "mysql://localhost/hourbridge" });
    expect(message).toContain("DATABASE_URL");
    expect(message).toContain("postgres://");
    expect(parseError({ DATABASE_URL: "localhost:5432" })).toContain("DATABASE_URL");
  });

  it("refuses a port out of range, naming the variable", () => {
    expect(parseError({ PORT: "70000" })).toMatch(/\bPORT:/);
    expect(parseError({ EMBEDDED_PG_PORT: "abc" })).toContain("EMBEDDED_PG_PORT");
  });

  it("refuses a short AUTH_SECRET", () => {
    expect(parseError({ AUTH_SECRET: "short" })).toContain("AUTH_SECRET: must be at least 32 characters");
  });

  it("refuses single sign-on configured by halves, naming the variables", () => {
    const message = parseError({ AUTH_OIDC_ISSUER: "https://login.example.com", AUTH_OIDC_CLIENT_ID: "hourbridge" });
    expect(message).toContain("AUTH_OIDC_ISSUER");
    expect(message).toContain("AUTH_OIDC_CLIENT_SECRET");
    expect(parseError({ AUTH_OIDC_CLIENT_SECRET: "s3cret" })).toContain("AUTH_OIDC_ISSUER");
  });

  it("refuses an OIDC issuer that is not a URL", () => {
    const message = parseError({
      AUTH_OIDC_ISSUER: "login.example.com",
      AUTH_OIDC_CLIENT_ID: "hourbridge",
      AUTH_OIDC_CLIENT_SECRET: "s3cret",
    });
    expect(message).toContain("AUTH_OIDC_ISSUER: must be the issuer URL of the OIDC provider");
  });

  it("switches single sign-on on when all three variables are set", () => {
    const env = parseEnv({
      AUTH_OIDC_ISSUER: "https://login.example.com",
      AUTH_OIDC_CLIENT_ID: "hourbridge",
      AUTH_OIDC_CLIENT_SECRET: "s3cret",
    });
    expect(env.oidcEnabled).toBe(true);
    expect(env.AUTH_OIDC_ISSUER).toBe("https://login.example.com");
  });

  it("lists every problem at once", () => {
    const message = parseError({ DATABASE_URL: "nope", PORT: "0", LOG_LEVEL: "loud" });
    expect(message).toContain("DATABASE_URL");
    expect(message).toContain("PORT");
    expect(message).toContain("LOG_LEVEL");
  });

  it("leaves the metrics endpoint off unless METRICS_TOKEN is set, and refuses a short token", () => {
    expect(parseEnv({}).METRICS_TOKEN).toBeUndefined();
    expect(parseEnv({ METRICS_TOKEN: "" }).METRICS_TOKEN).toBeUndefined();
    expect(parseEnv({ METRICS_TOKEN: "0123456789abcdef0123" }).METRICS_TOKEN).toBe("0123456789abcdef0123");
    expect(parseError({ METRICS_TOKEN: "short" })).toContain("METRICS_TOKEN: must be at least 16 characters");
  });
});
