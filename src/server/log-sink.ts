import { sql } from "drizzle-orm";
import type { DbOrTx } from "./db/client";
import type { LogOptions } from "./log";

/**
 * Keeps a process's run log lines in the database as well as on stdout: a writer for
 * `createLog({ write })` that passes every line on unchanged and also keeps the lines of level
 * info and above that carry a correlation id, inserted into `log_lines` in batches (every
 * second, or as soon as 200 are waiting). So a run's page can show its lines by correlation id
 * without anyone reading a server's logs.
 *
 * Logging never waits for the database and never throws: a batch the database refuses (down,
 * unreachable) is dropped with one notice on the plain writer (the lines are on stdout
 * already), and at most `maxBuffered` lines wait, the oldest dropped first.
 */
export type LogSinkOptions = {
  db: DbOrTx;
  /** where every line goes as well (default: stdout) */
  write?: (line: string) => void;
  flushIntervalMs?: number;
  batchSize?: number;
  maxBuffered?: number;
};

export type LogSink = {
  /** the writer to give `createLog` */
  write: NonNullable<LogOptions["write"]>;
  /** inserts what is waiting now; resolves when it is stored or dropped, never rejects */
  flush: () => Promise<void>;
  /** flushes what is waiting and stops the timer (on shutdown) */
  close: () => Promise<void>;
  /** lines waiting, and lines dropped so far (database refused them, or too many waited) */
  stats: () => { buffered: number; dropped: number };
};

type Row = { at: string; correlationId: string; level: string; msg: string; fields: Record<string, unknown> };

const KEPT_LEVELS = new Set(["info", "warn", "error"]);
const RESERVED = new Set(["ts", "level", "msg", "correlationId"]);

/** PostgreSQL text and jsonb refuse NUL characters: they are removed. */
const noNul = (s: string) => s.replace(/\u0000/g, "");

/** The row a JSON log line becomes, or null when it is not kept (below info, no correlation id, not ours). */
export function rowOfLine(line: string): Row | null {
  if (!line.includes("correlationId")) return null;
  let record: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return null;
    record = parsed as Record<string, unknown>;
  } catch {
    return null;
  }
  const { level, correlationId, msg, ts } = record;
  if (typeof level !== "string" || !KEPT_LEVELS.has(level)) return null;
  if (typeof correlationId !== "string" || correlationId === "") return null;
  const at = typeof ts === "string" && !Number.isNaN(Date.parse(ts)) ? ts : new Date().toISOString();
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (!RESERVED.has(k)) fields[k] = v;
  let cleanFields: Record<string, unknown> = fields;
  const text = JSON.stringify(fields);
  if (text.includes("\\u0000")) cleanFields = JSON.parse(text.replace(/\\u0000/g, "")) as Record<string, unknown>;
  return { at, correlationId: noNul(correlationId), level, msg: noNul(typeof msg === "string" ? msg : String(msg)), fields: cleanFields };
}

export function createLogSink(opts: LogSinkOptions): LogSink {
  const plain = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const interval = opts.flushIntervalMs ?? 1000;
  const batchSize = opts.batchSize ?? 200;
  const maxBuffered = opts.maxBuffered ?? 10_000;
  let buffer: Row[] = [];
  let dropped = 0;
  let failing = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<void> | null = null;

  const notice = (msg: string, fields: Record<string, unknown> = {}) => {
    try {
      plain(JSON.stringify({ ts: new Date().toISOString(), level: "warn", msg, ...fields }));
    } catch {
      // nothing more can be done about a writer that throws
    }
  };

  const insert = async (rows: Row[]) => {
    try {
      await opts.db.execute(sql`
        insert into log_lines (at, correlation_id, level, msg, fields)
        select r.at, r.correlation_id, r.level, r.msg, coalesce(r.fields, '{}'::jsonb)
        from jsonb_to_recordset(${JSON.stringify(rows.map((r) => ({ at: r.at, correlation_id: r.correlationId, level: r.level, msg: r.msg, fields: r.fields })))}::jsonb)
          as r(at timestamptz, correlation_id text, level text, msg text, fields jsonb)`);
      if (failing) {
        failing = false;
        notice("run log lines are stored in the database again");
      }
    } catch (err) {
      dropped += rows.length;
      if (!failing) {
        failing = true;
        notice(`run log lines could not be stored in the database, they are on stdout only: ${(err as Error).message}`, { droppedLines: rows.length });
      }
    }
  };

  const drain = async () => {
    while (buffer.length > 0) {
      const batch = buffer.slice(0, batchSize);
      buffer = buffer.slice(batch.length);
      await insert(batch);
    }
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    // one insert at a time: a flush asked for while one runs waits for it, then drains the rest
    const next = (running ?? Promise.resolve()).then(drain).catch(() => {});
    const mine: Promise<void> = next.finally(() => {
      if (running === mine) running = null;
    });
    running = mine;
    return mine;
  };

  const schedule = () => {
    if (timer || closed) return;
    timer = setTimeout(() => {
      timer = null;
      void flush();
    }, interval);
    timer.unref?.();
  };

  const write = (line: string) => {
    try {
      plain(line);
    } catch {
      // the plain writer's trouble is not the caller's
    }
    try {
      const row = rowOfLine(line);
      if (!row) return;
      buffer.push(row);
      if (buffer.length > maxBuffered) {
        const excess = buffer.length - maxBuffered;
        buffer = buffer.slice(excess);
        dropped += excess;
      }
      if (closed || buffer.length >= batchSize) void flush();
      else schedule();
    } catch {
      // never into the caller
    }
  };

  return {
    write,
    flush,
    close: async () => {
      closed = true;
      await flush();
    },
    stats: () => ({ buffered: buffer.length, dropped }),
  };
}
