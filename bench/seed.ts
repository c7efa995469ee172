// npm run bench:seed [-- --consultants N --projects N --months N]
// Generates the demo firm, loads it into a fresh embedded PostgreSQL and validates every
// approved entry: how long each step takes, and how many rows it handled per second.
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { createDb } from "../src/server/db/client";
import { generateDemo } from "../src/server/demo/generate";
import { loadDemo } from "../src/server/demo/load";
import { systemActor } from "../src/server/services/context";
import { validateEntries } from "../src/server/services/validation/validate-entries";
import { benchDatabase, ms, record } from "./lib";

const { values } = parseArgs({
  options: {
    consultants: { type: "string", default: "200" },
    projects: { type: "string", default: "150" },
    months: { type: "string", default: "6" },
  },
});
const opts = { seed: 42, consultants: Number(values.consultants), projects: Number(values.projects), months: Number(values.months), endDate: "2026-05-14" };

const pg = await benchDatabase("seed");
const { db, sql: client } = createDb(pg.url, { max: 4 });
try {
  let t = performance.now();
  const data = generateDemo(opts);
  const generateMs = ms(t);

  t = performance.now();
  await loadDemo(db, data);
  const loadMs = ms(t);

  t = performance.now();
  const validation = await validateEntries({ ctx: { db, actor: systemActor("bench"), correlationId: crypto.randomUUID() } });
  const validateMs = ms(t);

  const [open] = await db.execute<{ n: number }>(sql`select count(*)::int as n from exceptions where status = 'open'`);
  await record("seed", {
    options: opts,
    rows: { timeEntries: data.counts.timeEntries, approvedValidated: validation.validated },
    ms: { generate: generateMs, load: loadMs, validate: validateMs },
    perSecond: {
      load: Math.round(data.counts.timeEntries / (loadMs / 1000)),
      validate: Math.round(validation.validated / (validateMs / 1000)),
    },
    validation: { ...validation, openExceptions: open?.n, expectedOpenExceptions: Object.values(data.manifest.expected).reduce((a, b) => a + b, 0) },
  });
} finally {
  await client.end({ timeout: 5 });
  await pg.stop();
}
