// npm run db:migrate — applies the committed migrations to DATABASE_URL, or to the
// embedded PostgreSQL (started for the purpose and stopped after) when it is unset.
import { runMigrations } from "../src/server/db/migrate";
import { log, openDatabase, readEnv } from "./lib/boot";

const env = readEnv();
const database = await openDatabase(env);
try {
  const { applied, total } = await runMigrations(database.url);
  log(`migrations: ${applied} applied now, ${total} in all`);
} finally {
  await database.embedded?.stop();
}
