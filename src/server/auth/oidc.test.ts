import { describe, expect, it } from "vitest";
import { parseEnv } from "@/env";
import { oidcProvider } from "./oidc";

describe("single sign-on provider", () => {
  it("is off when no OIDC variable is set", () => {
    expect(oidcProvider(parseEnv({}))).toBeNull();
  });

  it("is an OIDC provider with the configured issuer, client and label when all three are set", () => {
    const provider = oidcProvider(
      parseEnv({
        AUTH_OIDC_ISSUER: "https://login.example.com/realms/firm",
        AUTH_OIDC_CLIENT_ID: "hourbridge",
        AUTH_OIDC_CLIENT_SECRET: "s3cret",
        AUTH_OIDC_NAME: "Firm SSO",
      }),
    );
    expect(provider).toMatchObject({
      id: "oidc",
      type: "oidc",
      name: "Firm SSO",
      issuer: "https://login.example.com/realms/firm",
      clientId: "hourbridge",
      clientSecret: "s3cret",
    });
    expect(provider?.checks).toContain("pkce");
  });
});
