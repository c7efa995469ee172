import type postgres from "postgres";
import { badRequest } from "./errors";
import { isIsoDay } from "./records";

/**
 * A documented subset of SuiteQL, parsed here and run as parameterised SQL:
 *
 *   SELECT * | col [, col …] FROM <table>
 *   [WHERE cond [AND cond …]]
 *   [ORDER BY col [ASC|DESC] [, col [ASC|DESC] …]]
 *
 *   cond := col (= | != | <> | < | <= | > | >=) literal
 *         | col IS [NOT] NULL
 *         | col IN (literal [, literal …])
 *   literal := 'text' (quote doubled inside) | number
 *
 * Identifiers are case-insensitive. Dates compare with 'YYYY-MM-DD'; booleans with 'T' / 'F'.
 * Anything else (joins, OR, functions, GROUP BY, sub-queries …) is refused with a 400 naming it.
 */

type ColType = "text" | "num" | "date" | "bool" | "ts";
type Table = { physical: string; columns: Record<string, ColType> };

export const TABLES: Record<string, Table> = {
  timebill: {
    physical: "timebill",
    columns: {
      id: "text", employee: "text", customer: "text", item: "text", subsidiary: "text", hours: "num", rate: "num", isbillable: "bool",
      trandate: "date", memo: "text", approvalstatus: "text", invoice: "text", datecreated: "ts", lastmodifieddate: "ts",
    },
  },
  transaction: {
    physical: "transaction",
    columns: { id: "text", tranid: "text", type: "text", entity: "text", job: "text", subsidiary: "text", trandate: "date", currency: "text", foreigntotal: "num", status: "text", datecreated: "ts" },
  },
  transactionline: {
    physical: "transactionline",
    columns: { transaction: "text", linesequencenumber: "num", timebill: "text", item: "text", memo: "text", quantity: "num", rate: "num", foreignamount: "num" },
  },
  job: {
    physical: "job",
    columns: { id: "text", entityid: "text", companyname: "text", customer: "text", subsidiary: "text", entitystatus: "text", isinactive: "bool", currency: "text", startdate: "date", enddate: "date" },
  },
  employee: {
    physical: "employee",
    columns: { id: "text", entityid: "text", firstname: "text", lastname: "text", email: "text", subsidiary: "text", department: "text", laborcost: "num", isinactive: "bool" },
  },
  customer: { physical: "customer", columns: { id: "text", entityid: "text", companyname: "text", subsidiary: "text", isinactive: "bool" } },
  subsidiary: { physical: "subsidiary", columns: { id: "text", name: "text", country: "text", currency: "text", isinactive: "bool" } },
  accountingperiod: { physical: "accountingperiod", columns: { id: "text", subsidiary: "text", periodname: "text", startdate: "date", enddate: "date", closed: "bool" } },
  item: { physical: "item", columns: { id: "text", itemid: "text", displayname: "text", itemtype: "text", isinactive: "bool" } },
};

/** a stable last sort key per table, so pages never overlap */
const TIE_BREAK: Record<string, string[]> = { transactionline: ["transaction", "linesequencenumber"] };

type Token = { kind: "word" | "string" | "number" | "op" | "punct"; text: string; pos: number };

const unsupported = (what: string) => badRequest("INVALID_SEARCH", `Unsupported SuiteQL: ${what}. The simulator supports SELECT cols|* FROM <table> [WHERE col op literal [AND …]] [ORDER BY col [ASC|DESC]].`);

function tokenize(q: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(q.slice(i))!;
      out.push({ kind: "word", text: m[0], pos: i });
      i += m[0].length;
    } else if (/[0-9]/.test(c) || (c === "-" && /[0-9]/.test(q[i + 1] ?? ""))) {
      const m = /^-?\d+(\.\d+)?/.exec(q.slice(i))!;
      out.push({ kind: "number", text: m[0], pos: i });
      i += m[0].length;
    } else if (c === "'") {
      let s = "";
      let j = i + 1;
      for (;;) {
        if (j >= q.length) throw badRequest("INVALID_SEARCH", `Invalid SuiteQL: unterminated string starting at position ${i}.`);
        if (q[j] === "'") {
          if (q[j + 1] === "'") {
            s += "'";
            j += 2;
            continue;
          }
          break;
        }
        s += q[j];
        j++;
      }
      out.push({ kind: "string", text: s, pos: i });
      i = j + 1;
    } else {
      const m = /^(<=|>=|<>|!=|=|<|>)/.exec(q.slice(i));
      if (m) {
        out.push({ kind: "op", text: m[0], pos: i });
        i += m[0].length;
      } else if ("*,()".includes(c)) {
        out.push({ kind: "punct", text: c, pos: i });
        i++;
      } else if (c === ";" && q.slice(i + 1).trim() === "") {
        i = q.length;
      } else {
        throw unsupported(`the character '${c}' at position ${i}`);
      }
    }
  }
  return out;
}

export type Cond =
  | { col: string; op: "=" | "!=" | "<" | "<=" | ">" | ">="; value: string }
  | { col: string; op: "is null" | "is not null" }
  | { col: string; op: "in"; values: string[] };

export type Query = { table: string; columns: string[] | "*"; where: Cond[]; orderBy: { col: string; dir: "asc" | "desc" }[] };

export function parseSuiteQL(q: string): Query {
  const toks = tokenize(q);
  let i = 0;
  const peek = () => toks[i];
  const isWord = (t: Token | undefined, w: string) => t?.kind === "word" && t.text.toLowerCase() === w;
  const describe = (t: Token | undefined) => (t ? `'${t.text}' at position ${t.pos}` : "the end of the query");
  const expectWord = (w: string) => {
    const t = toks[i];
    if (!isWord(t, w)) throw unsupported(`expected ${w.toUpperCase()} but found ${describe(t)}`);
    i++;
  };
  const ident = (what: string) => {
    const t = toks[i];
    if (t?.kind !== "word") throw unsupported(`expected ${what} but found ${describe(t)}`);
    i++;
    if (toks[i]?.kind === "punct" && toks[i]!.text === "(") throw unsupported(`function ${t.text.toUpperCase()}()`);
    if (toks[i]?.kind === "punct" && toks[i]!.text === ".") throw unsupported(`qualified name ${t.text}.`);
    return t.text.toLowerCase();
  };

  expectWord("select");
  if (isWord(peek(), "distinct") || isWord(peek(), "top")) throw unsupported(peek()!.text.toUpperCase());
  let columns: string[] | "*";
  if (peek()?.text === "*") {
    i++;
    columns = "*";
  } else {
    columns = [ident("a column name")];
    while (peek()?.text === ",") {
      i++;
      columns.push(ident("a column name"));
    }
    if (isWord(peek(), "as")) throw unsupported("column aliases (AS)");
  }
  expectWord("from");
  const table = ident("a table name");
  const spec = TABLES[table];
  if (!spec) throw unsupported(`table '${table}' (supported: ${Object.keys(TABLES).join(", ")})`);
  const checkCol = (c: string) => {
    if (!spec.columns[c]) throw unsupported(`column '${c}' of table ${table} (its columns: ${Object.keys(spec.columns).join(", ")})`);
    return c;
  };
  if (columns !== "*") columns.forEach(checkCol);

  const where: Cond[] = [];
  if (isWord(peek(), "where")) {
    i++;
    for (;;) {
      const col = checkCol(ident("a column name"));
      const t = peek();
      if (t?.kind === "op") {
        i++;
        where.push({ col, op: (t.text === "<>" ? "!=" : t.text) as "=", value: literal(col) });
      } else if (isWord(t, "is")) {
        i++;
        const not = isWord(peek(), "not");
        if (not) i++;
        expectWord("null");
        where.push({ col, op: not ? "is not null" : "is null" });
      } else if (isWord(t, "in")) {
        i++;
        if (peek()?.text !== "(") throw unsupported(`expected ( after IN but found ${describe(peek())}`);
        i++;
        const values = [literal(col)];
        while (peek()?.text === ",") {
          i++;
          values.push(literal(col));
        }
        if (peek()?.text !== ")") throw unsupported(`expected ) but found ${describe(peek())}`);
        i++;
        if (values.length > 1000) throw unsupported("IN lists of more than 1000 values");
        where.push({ col, op: "in", values });
      } else {
        throw unsupported(`operator ${describe(t)}`);
      }
      if (isWord(peek(), "and")) {
        i++;
        continue;
      }
      if (isWord(peek(), "or")) throw unsupported("OR (only conditions joined by AND)");
      break;
    }
  }
  const orderBy: Query["orderBy"] = [];
  if (isWord(peek(), "order")) {
    i++;
    expectWord("by");
    for (;;) {
      const col = checkCol(ident("a column name"));
      let dir: "asc" | "desc" = "asc";
      if (isWord(peek(), "asc") || isWord(peek(), "desc")) dir = toks[i++]!.text.toLowerCase() as "asc";
      orderBy.push({ col, dir });
      if (peek()?.text !== ",") break;
      i++;
    }
  }
  if (i < toks.length) {
    const t = toks[i]!;
    const kw = t.kind === "word" ? t.text.toUpperCase() : null;
    throw unsupported(kw && ["JOIN", "INNER", "LEFT", "RIGHT", "GROUP", "HAVING", "UNION", "OR", "FETCH", "LIMIT"].includes(kw) ? kw : `${describe(t)}`);
  }
  return { table, columns, where, orderBy };

  function literal(col: string): string {
    const t = toks[i];
    if (t?.kind !== "string" && t?.kind !== "number") throw unsupported(`expected a literal ('text' or a number) but found ${describe(t)}`);
    i++;
    const type = spec!.columns[col]!;
    if (type === "date" && !isIsoDay(t.text)) throw badRequest("INVALID_SEARCH", `Invalid SuiteQL: '${t.text}' is not a date (YYYY-MM-DD) for column ${col}.`);
    if (type === "bool" && t.text !== "T" && t.text !== "F") throw badRequest("INVALID_SEARCH", `Invalid SuiteQL: column ${col} compares with 'T' or 'F', not '${t.text}'.`);
    if (type === "num" && !/^-?\d+(\.\d+)?$/.test(t.text)) throw badRequest("INVALID_SEARCH", `Invalid SuiteQL: '${t.text}' is not a number for column ${col}.`);
    if (type === "ts" && Number.isNaN(new Date(t.text).getTime())) throw badRequest("INVALID_SEARCH", `Invalid SuiteQL: '${t.text}' is not a timestamp for column ${col}.`);
    return t.text;
  }
}

const CAST: Record<ColType, string> = { text: "text", num: "numeric", date: "date", bool: "boolean", ts: "timestamptz" };
const q = (c: string) => `"${c}"`;

function output(col: string, type: ColType) {
  switch (type) {
    case "bool":
      return `case when ${q(col)} then 'T' else 'F' end as ${q(col)}`;
    case "date":
      return `to_char(${q(col)}, 'YYYY-MM-DD') as ${q(col)}`;
    case "ts":
      return `to_char(${q(col)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as ${q(col)}`;
    default:
      return `${q(col)}::text as ${q(col)}`;
  }
}

export const MAX_PAGE = 1000;
export const MAX_RESULTS = 100_000;

export type SuiteQLPage = { count: number; hasMore: boolean; items: Record<string, unknown>[]; offset: number; totalResults: number };

/** Runs a parsed query for one page. Values come back as strings (booleans 'T'/'F'); nulls are omitted. */
export async function runSuiteQL(sql: postgres.Sql, query: Query, limit: number, offset: number): Promise<SuiteQLPage> {
  const spec = TABLES[query.table]!;
  const params: (string | boolean | string[])[] = [];
  const bind = (v: string | boolean | string[]) => {
    params.push(v);
    return `$${params.length}`;
  };
  const inList = (col: string, values: string[], type: ColType) =>
    `${q(col)} = any(${bind(type === "bool" ? values.map((v) => (v === "T" ? "true" : "false")) : values)}::${CAST[type]}[])`;
  const conds = query.where.map((c) => {
    const type = spec.columns[c.col]!;
    if (c.op === "is null" || c.op === "is not null") return `${q(c.col)} ${c.op}`;
    if (c.op === "in") return inList(c.col, c.values, type);
    const val = (v: string) => (type === "bool" ? v === "T" : v);
    return `${q(c.col)} ${c.op} ${bind(val((c as { value: string }).value))}::${CAST[type]}`;
  });
  const where = conds.length ? `where ${conds.join(" and ")}` : "";
  const from = `sim_netsuite.${q(spec.physical)}`;
  const cols = query.columns === "*" ? Object.keys(spec.columns) : query.columns;
  const order = [...query.orderBy.map((o) => `${q(o.col)} ${o.dir} nulls last`), ...(TIE_BREAK[query.table] ?? ["id"]).map((c) => `${q(c)} asc`)].join(", ");

  const [{ total }] = (await sql.unsafe(`select count(*)::int as total from ${from} ${where}`, params as never[])) as unknown as [{ total: number }];
  const totalResults = Math.min(total, MAX_RESULTS);
  const take = Math.max(0, Math.min(limit, totalResults - offset));
  const rows = take
    ? await sql.unsafe(`select ${cols.map((c) => output(c, spec.columns[c]!)).join(", ")} from ${from} ${where} order by ${order} limit ${take} offset ${offset}`, params as never[])
    : [];
  const items = rows.map((r) => ({ links: [], ...Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)) }));
  return { count: items.length, hasMore: offset + items.length < totalResults, items, offset, totalResults };
}
