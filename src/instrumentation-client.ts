import { z } from "zod";

/**
 * Runs in the browser before the console's own code. Zod compiles object schemas with
 * `new Function` when it may, and finds out whether it may by trying it once: under the
 * pages' Content Security Policy (no 'unsafe-eval', see src/server/http/security-headers.ts)
 * that try is a reported violation. Its interpreter gives the same results, so it is used.
 */
z.config({ jitless: true });
