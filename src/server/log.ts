/**
 * Structured logs: one JSON object per line on stdout, with the time, the level, the message
 * and the fields of the context it was written in — above all the correlation id, which ties
 * a line to its sync run, job or request (sync_runs.correlation_id, audit_log.correlation_id).
 * Works the same in the web app, the worker and the scripts; no dependency.
 */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFields = Record<string, unknown>;

export interface Log {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** a log whose every line also carries these fields (e.g. `{ correlationId }`) */
  child(fields: LogFields): Log;
}

export type LogOptions = {
  level?: LogLevel;
  fields?: LogFields;
  /** where lines go (default: stdout) */
  write?: (line: string) => void;
  now?: () => Date;
};

/** Errors become their name and message (and the stack at debug level); the rest as JSON allows. */
function plain(value: unknown, withStack: boolean): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...(withStack && value.stack ? { stack: value.stack } : {}) };
  if (typeof value === "bigint") return value.toString();
  return value;
}

export function createLog(opts: LogOptions = {}): Log {
  const min = LOG_LEVELS.indexOf(opts.level ?? "info");
  const write = opts.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = opts.now ?? (() => new Date());
  const make = (base: LogFields): Log => {
    const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
      if (LOG_LEVELS.indexOf(level) < min) return;
      const record: LogFields = { ts: now().toISOString(), level, msg };
      for (const [k, v] of Object.entries({ ...base, ...fields })) if (v !== undefined) record[k] = plain(v, min === 0);
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch {
        line = JSON.stringify({ ts: record.ts, level, msg, note: "fields could not be serialised" });
      }
      write(line);
    };
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(opts.fields ?? {});
}

/** A log that writes nothing (tests, and services called without one). */
export const silentLog: Log = createLog({ write: () => {} });

function levelFromEnv(): LogLevel {
  const v = process.env.LOG_LEVEL;
  return (LOG_LEVELS as readonly string[]).includes(v ?? "") ? (v as LogLevel) : "info";
}

/** The process's log, at LOG_LEVEL (default info). */
export const log: Log = createLog({ level: levelFromEnv() });
