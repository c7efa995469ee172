// npm run db:seed — creates the demo users that are missing (see README for their passwords).
import { createDb } from "../src/server/db/client";
import { runMigrations } from "../src/server/db/migrate";
import { seedDemo } from "../src/server/db/seed";
import { log, openDatabase, readEnv } from "./lib/boot";

const env = readEnv();
const database = await openDatabase(env);
const { db, sql } = createDb(database.url, { max: 2 });
try {
  await runMigrations(database.url);
  const { created } = await seedDemo(db);
  log(created.length ? `demo users created: ${created.join(", ")}` : "demo users already present");
} finally {
  await sql.end({ timeout: 5 });
  await database.embedded?.stop();
}
