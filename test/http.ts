import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import postgres from "postgres";
import { createEmptyDatabase } from "./db";

/** Starts a server on a free loopback port; returns its base URL. */
export async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops a server, ending connections a test left open (held or timed-out requests). */
export function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
}

/** An empty database (no app migrations) with a postgres.js client, as a simulator uses one. */
export async function freshSqlDatabase(max = 4): Promise<{ sql: postgres.Sql; drop: () => Promise<void> }> {
  const { url, drop } = await createEmptyDatabase();
  const sql = postgres(url, { max, onnotice: () => {} });
  return {
    sql,
    drop: async () => {
      await sql.end({ timeout: 5 });
      await drop();
    },
  };
}
