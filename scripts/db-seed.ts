// npm run db:seed — creates the demo users that are missing (see README for their passwords) and,
// on a database without master data, the generated demo firm (DEMO_* variables size it).
import { createDb } from "../src/server/db/client";
import { runMigrations } from "../src/server/db/migrate";
import { seedDemo } from "../src/server/db/seed";
import { demoOptions, log, openDatabase, readEnv } from "./lib/boot";

const env = readEnv();
const database = await openDatabase(env);
const { db, sql } = createDb(database.url, { max: 2 });
try {
  await runMigrations(database.url);
  const result = await seedDemo(db, demoOptions(env), log);
  if (result.data.skipped) log("the database already holds master data: demo data left as it is");
} finally {
  await sql.end({ timeout: 5 });
  await database.embedded?.stop();
}
