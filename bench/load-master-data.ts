// Loads the demo firm's master data (no time entries) into the app database, in a process of
// its own, so the sync benchmark's process never holds the generated data set.
//   BENCH_APP_URL=postgres://… BENCH_DEMO_OPTIONS='{"seed":42,…}' tsx bench/load-master-data.ts
// Prints one JSON line: counts, the calendar's first day, timings and this process's peak RSS.
import { createDb } from "../src/server/db/client";
import { generateDemo, type GenerateOptions } from "../src/server/demo/generate";
import { loadDemo } from "../src/server/demo/load";

const url = process.env.BENCH_APP_URL;
if (!url) throw new Error("BENCH_APP_URL is required.");
const opts = JSON.parse(process.env.BENCH_DEMO_OPTIONS ?? "{}") as GenerateOptions;

const { db, sql } = createDb(url, { max: 2 });
try {
  let t = performance.now();
  const data = generateDemo(opts);
  const generateMs = Math.round(performance.now() - t);
  t = performance.now();
  await loadDemo(db, data, { masterDataOnly: true });
  const loadMasterDataMs = Math.round(performance.now() - t);
  console.log(
    JSON.stringify({
      generatedTimeEntries: data.counts.timeEntries,
      byState: data.counts.timeEntriesByState,
      employees: data.counts.employees,
      projects: data.counts.projects,
      startDate: data.calendar.startDate,
      generateMs,
      loadMasterDataMs,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    }),
  );
} finally {
  await sql.end({ timeout: 5 });
}
