// Structured logs: one JSON object per line, so Workers Logs and `wrangler tail` can
// filter on fields. Never pass a secret (webhook key, Postmark token) in `fields`.
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export interface Logger {
  debug(event: string, fields?: Record<string, unknown>): void;
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

const ignore = () => {};

/**
 * JSON escapes C0 but leaves DEL, C1 and the bidirectional controls raw, and log lines reach a
 * terminal (`wrangler dev`, `wrangler tail`) carrying what customers and providers typed. They
 * are written as \u escapes: the same JSON value to a parser, inert on a terminal. The test
 * comes first so the common line (nothing to escape) costs one scan.
 */
const UNSAFE = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = new RegExp(UNSAFE.source, "g");
export function terminalSafe(json: string): string {
  if (!UNSAFE.test(json)) return json;
  return json.replace(UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * The line is `{"level","event",...base,...fields,"time"}`. Every request writes one, so it
 * is built by concatenating JSON fragments (the base fields are serialised once per logger)
 * rather than by spreading them into a new object first; a field that repeats a base field
 * falls back to the spread, where the later value wins as before.
 */
export function createLogger(minimum: LogLevel, base: Record<string, unknown> = {}): Logger {
  const floor = RANK[minimum];
  const baseKeys = Object.keys(base);
  const baseJson = baseKeys.length ? JSON.stringify(base).slice(1, -1) : "";
  const line = (level: string, event: string, fields: Record<string, unknown> | undefined): string => {
    const time = new Date().toISOString();
    if (fields && baseKeys.some((key) => key in fields)) return terminalSafe(JSON.stringify({ level, event, ...base, ...fields, time }));
    let json = `{"level":"${level}","event":${JSON.stringify(event)}`;
    if (baseJson) json += `,${baseJson}`;
    const fieldsJson = fields ? JSON.stringify(fields) : "{}";
    if (fieldsJson.length > 2) json += `,${fieldsJson.slice(1, -1)}`;
    return terminalSafe(`${json},"time":"${time}"}`);
  };
  return {
    debug: RANK.debug < floor ? ignore : (event, fields) => console.log(line("debug", event, fields)),
    info: RANK.info < floor ? ignore : (event, fields) => console.log(line("info", event, fields)),
    warn: RANK.warn < floor ? ignore : (event, fields) => console.warn(line("warn", event, fields)),
    error: RANK.error < floor ? ignore : (event, fields) => console.error(line("error", event, fields)),
  };
}

/** The message of an unknown thrown value, for a log field. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
