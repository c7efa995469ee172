import postgres from "postgres";
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";

/**
 * Who is running jobs, read from PostgreSQL itself rather than from a table of our own.
 *
 * Each worker process keeps one connection of its own open (its presence), named
 * `hourbridge-worker pid=… restarts=… host=…` (pg_stat_activity.application_name), on which
 * it holds one session-level advisory lock per queue worker it runs (graphile-worker's
 * worker ids, the `locked_by` of the jobs they take). A heartbeat runs a query on it every
 * few seconds (pg_stat_activity.query_start is the last one), and reconnects and takes the
 * locks again if the connection was lost. PostgreSQL drops the locks when the connection
 * ends, so a job locked by a queue worker whose lock nobody holds was taken by a process that
 * is gone; a presence whose last heartbeat is older than STALE_AFTER_SECONDS counts as gone
 * too (a frozen process, or a host that vanished before its connection was noticed dead —
 * the server notices within about half a minute: the connection asks it for TCP keepalives).
 *
 * The launcher keeps a connection of the same kind named `hourbridge-supervisor …` that says
 * whether the worker it supervises is running, and how often it was restarted.
 */

export const WORKER_APPLICATION = "hourbridge-worker";
export const SUPERVISOR_APPLICATION = "hourbridge-supervisor";
/** the advisory-lock class (first key) of the queue workers' locks: "HBWK" */
export const PRESENCE_LOCK_CLASS = 0x4842574b;
export const HEARTBEAT_MS = 5_000;
/** a presence whose last heartbeat is older than this counts as gone */
export const STALE_AFTER_SECONDS = 90;
/** PostgreSQL keeps at most 63 bytes of an application name */
const NAME_BYTES = 63;

export type PresenceFields = Record<string, string | number | null | undefined>;

/**
 * `<kind> key=value …` in the order given, leaving out what does not fit in what PostgreSQL
 * keeps (so put the most telling fields first). Spaces and `=` in values become `_`.
 */
export function presenceName(kind: string, fields: PresenceFields): string {
  let name = kind;
  for (const [k, v] of Object.entries(fields)) {
    if (v === null || v === undefined || v === "") continue;
    const part = ` ${k}=${String(v).replace(/[\s=]+/g, "_")}`;
    if (Buffer.byteLength(name + part) <= NAME_BYTES) name += part;
  }
  return name;
}

/** The kind and fields of a presence name; null when it is not one. */
export function parsePresenceName(name: string | null | undefined): { kind: string; fields: Record<string, string> } | null {
  if (!name) return null;
  const [kind, ...parts] = name.split(" ");
  if (kind !== WORKER_APPLICATION && kind !== SUPERVISOR_APPLICATION) return null;
  const fields: Record<string, string> = {};
  for (const p of parts) {
    const at = p.indexOf("=");
    if (at > 0) fields[p.slice(0, at)] = p.slice(at + 1);
  }
  return { kind, fields };
}

export type Presence = {
  /** the server process of the presence connection, once connected */
  backendPid(): number | null;
  /** the queue worker ids whose locks are held now */
  held(): string[];
  /** holds the lock of a queue worker (now, or at the next heartbeat if the connection is down) */
  hold(workerId: string): Promise<void>;
  /** new fields for the name (the supervisor's state); applied at once when connected */
  rename(fields: PresenceFields): Promise<void>;
  /** one heartbeat now; false when PostgreSQL could not be reached */
  beat(): Promise<boolean>;
  /** stops the heartbeat and closes the connection (the locks go with it) */
  close(): Promise<void>;
};

/**
 * Opens a presence connection and starts its heartbeat. Never throws for an unreachable
 * database: the heartbeat keeps trying, and `onError` hears of the first failure of a streak,
 * `onRecover` of its end.
 */
export function openPresence({
  url,
  kind,
  fields,
  heartbeatMs = HEARTBEAT_MS,
  onError,
  onRecover,
}: {
  url: string;
  kind: typeof WORKER_APPLICATION | typeof SUPERVISOR_APPLICATION;
  fields: PresenceFields;
  heartbeatMs?: number;
  onError?: (err: Error) => void;
  onRecover?: () => void;
}): Presence {
  let name = presenceName(kind, fields);
  const conn = postgres(url, {
    max: 1,
    // the locks live as long as the connection: it is never recycled on purpose
    max_lifetime: null,
    fetch_types: false,
    connect_timeout: 10,
    onnotice: () => {},
    connection: {
      application_name: name,
      // the server probes an idle connection after 10 s and gives up after 3 unanswered probes
      // 5 s apart: a vanished host's locks are dropped within about half a minute
      tcp_keepalives_idle: "10",
      tcp_keepalives_interval: "5",
      tcp_keepalives_count: "3",
    },
  });
  const wanted = new Set<string>();
  const held = new Set<string>();
  let backendPid: number | null = null;
  let appliedName: string | null = null;
  let failing = false;
  let closed = false;
  let running: Promise<boolean> | null = null;

  const sync = async () => {
    // several passes only when the connection was replaced in the middle of one
    for (let pass = 0; pass < 3; pass++) {
      const [row] = await conn<{ pid: number }[]>`select pg_backend_pid() as pid`;
      if (row!.pid !== backendPid) {
        backendPid = row!.pid;
        held.clear();
        appliedName = null;
      }
      if (appliedName !== name) {
        const wantedName = name;
        await conn`select set_config('application_name', ${wantedName}, false)`;
        appliedName = wantedName;
      }
      let replaced = false;
      for (const id of wanted) {
        if (held.has(id)) continue;
        const [r] = await conn<{ ok: boolean; pid: number }[]>`select pg_try_advisory_lock(${PRESENCE_LOCK_CLASS}::int4, hashtext(${id})) as ok, pg_backend_pid() as pid`;
        if (r!.pid !== backendPid) {
          replaced = true;
          break;
        }
        // false only while a connection of this process that was lost still holds it on the server
        if (r!.ok) held.add(id);
      }
      if (!replaced) return;
    }
  };

  const beat = (): Promise<boolean> => {
    if (closed) return Promise.resolve(false);
    // one at a time; a caller arriving meanwhile waits for the one under way, then runs its own
    const next = (running ?? Promise.resolve(true)).then(async () => {
      try {
        await sync();
        if (failing) {
          failing = false;
          onRecover?.();
        }
        return true;
      } catch (err) {
        if (!failing) {
          failing = true;
          onError?.(err as Error);
        }
        return false;
      }
    });
    running = next;
    return next;
  };

  const timer = setInterval(() => void beat(), heartbeatMs);
  timer.unref();
  void beat();

  return {
    backendPid: () => backendPid,
    held: () => [...held],
    hold: async (workerId) => {
      wanted.add(workerId);
      await beat();
    },
    rename: async (next) => {
      name = presenceName(kind, next);
      await beat();
    },
    beat,
    close: async () => {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => {});
      await conn.end({ timeout: 2 }).catch(() => {});
    },
  };
}

/** A worker process as its presence shows it. */
export type WorkerProcess = {
  /** the presence connection's server process */
  backendPid: number;
  pid: number | null;
  host: string | null;
  /** how many times the launcher had restarted the worker before this process (null: not started by the launcher) */
  restarts: number | null;
  connectedAt: Date | null;
  lastHeartbeatAt: Date | null;
  /** null when PostgreSQL does not show this role another role's query times */
  heartbeatAgeSeconds: number | null;
  /** no heartbeat for STALE_AFTER_SECONDS: frozen, or gone without its connection noticed yet */
  stale: boolean;
  /** queue workers whose locks it holds (WORKER_CONCURRENCY once it runs) */
  queueWorkers: number;
};

const num = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) ? Number(v) : null);
const date = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string));

/** The worker processes connected to this database now, oldest first. */
export async function workerProcesses(db: DbOrTx, staleAfterSeconds = STALE_AFTER_SECONDS): Promise<WorkerProcess[]> {
  const rows = (await db.execute(sql`
    select a.pid as backend_pid, a.application_name as name, a.backend_start, a.query_start, a.state,
           extract(epoch from now() - a.query_start)::float8 as age,
           (select count(*)::int from pg_locks l
             where l.pid = a.pid and l.locktype = 'advisory' and l.classid::int8 = ${PRESENCE_LOCK_CLASS} and l.objsubid = 2 and l.granted) as held
    from pg_stat_activity a
    where a.datname = current_database() and a.application_name like ${`${WORKER_APPLICATION} %`}
    order by a.backend_start nulls last, a.pid`)) as unknown as { backend_pid: number; name: string; backend_start: unknown; query_start: unknown; state: string | null; age: number | null; held: number }[];
  return rows.map((r) => {
    const f = parsePresenceName(r.name)?.fields ?? {};
    const age = r.age === null ? null : Math.max(0, Math.round(r.age));
    return {
      backendPid: r.backend_pid,
      pid: num(f.pid),
      host: f.host ?? null,
      restarts: num(f.restarts),
      connectedAt: date(r.backend_start),
      lastHeartbeatAt: date(r.query_start),
      heartbeatAgeSeconds: age,
      stale: r.age !== null && r.state !== "active" && r.age > staleAfterSeconds,
      queueWorkers: r.held,
    };
  });
}

/** The launcher's view of the worker it supervises. */
export type SupervisorState = {
  /** running; restarting (waiting out its backoff); stopped (the launcher is shutting down) */
  state: string;
  restarts: number;
  /** how the last worker process ended: an exit code or a signal name */
  lastExit: string | null;
  /** the worker process it runs now */
  workerPid: number | null;
  host: string | null;
};

/** The launchers connected to this database now (one per machine started with `npm run dev` / `npm start`). */
export async function supervisors(db: DbOrTx): Promise<SupervisorState[]> {
  const rows = (await db.execute(sql`
    select a.application_name as name from pg_stat_activity a
    where a.datname = current_database() and a.application_name like ${`${SUPERVISOR_APPLICATION} %`}
    order by a.backend_start nulls last, a.pid`)) as unknown as { name: string }[];
  return rows.map((r) => {
    const f = parsePresenceName(r.name)?.fields ?? {};
    return { state: f.state ?? "unknown", restarts: num(f.restarts) ?? 0, lastExit: f.exit?.replace(/_/g, " ") ?? null, workerPid: num(f.pid), host: f.host ?? null };
  });
}

/**
 * The queue workers (graphile-worker ids) that hold jobs locked for more than `graceSeconds`
 * while no live presence holds their lock: their process is gone, or it has just started and
 * locked a job in the moment before its presence took the lock (asked for as the queue worker
 * is created). Callers tell the two apart by looking again a little later (dead-workers.ts).
 */
export async function deadQueueWorkers(db: DbOrTx, { graceSeconds = 0, staleAfterSeconds = STALE_AFTER_SECONDS }: { graceSeconds?: number; staleAfterSeconds?: number } = {}): Promise<string[]> {
  const rows = (await db.execute(sql`
    with held as (
      select l.objid::int8 as key
      from pg_locks l join pg_stat_activity a on a.pid = l.pid
      where l.locktype = 'advisory' and l.database = (select oid from pg_database where datname = current_database())
        and l.classid::int8 = ${PRESENCE_LOCK_CLASS} and l.objsubid = 2 and l.granted
        and (a.query_start is null or a.state = 'active' or a.query_start > now() - make_interval(secs => ${staleAfterSeconds}::float8))
    )
    select distinct j.locked_by as id
    from graphile_worker.jobs j
    where j.locked_by is not null and j.locked_at < now() - make_interval(secs => ${graceSeconds}::float8)
      and (hashtext(j.locked_by)::int8 & 4294967295) not in (select key from held)
    order by 1`)) as unknown as { id: string }[];
  return rows.map((r) => r.id);
}
