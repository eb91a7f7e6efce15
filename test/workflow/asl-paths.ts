/**
 * Which JSONPath reads of the state machine can find their path missing.
 *
 * In AWS a Choice rule that compares a path that does not exist (StringEquals, BooleanEquals,
 * IsNull, NumericLessThanPath…), a `*.$` parameter, or a Wait's or Fail's `…Path` on a missing
 * path fails the execution with States.Runtime, which no Catch takes: the run ends before
 * ReportFailure, and nobody hears of the bucket (f7454ab). Only `IsPresent` may look at a path
 * that is not there.
 *
 * This is a forward "must" analysis over the ASL's graph: for every state, the paths present on
 * EVERY way in (each Next, each Choice rule and Default, each Catch), from StartAt with nothing
 * known. What a state does to the paths:
 *
 * - a Task's success: its output is its handler's return (`OutputPath: $.Payload`), which is the
 *   input state with its changes, as each handler returns `{ ...state, … }`: the input's paths,
 *   less those the Task may leave out (`drops`), plus those it sets on every return (`writes`).
 *   A Task with `ResultPath` instead keeps its input by the ASL's own rule, plus `writes`;
 * - a Catch keeps the state's input, plus the error output at its ResultPath (null: nothing);
 * - a Pass adds its Result at its ResultPath; a Wait and a Choice change nothing;
 * - a Choice rule's way out knows what the rule itself proves: `IsPresent: true` on a path when
 *   it matched, and `Not IsPresent` on a path when it did not match (every later rule and the
 *   Default). Rules are tried in order, so a guard rule first protects every rule after it. An
 *   `IsPresent` inside an `And` beside a comparison is not counted: that would need AWS to stop at
 *   the first false member, which its documentation does not promise.
 *
 * A path below one that is present is present when WorkflowStateSchema (tasks/shared/contracts.ts)
 * requires every field on the way and none above it may be null: the handlers return
 * `WorkflowState`, so the compiler holds them to it; what the ASL writes itself is held to it
 * here (a Catch's ResultPath must be a field typed ErrorInfoSchema, the error output's shape; a
 * Pass state's Result must parse as its field). Anything the analysis does not model (Map,
 * Parallel, InputPath, ResultSelector, a Task's OutputPath other than `$.Payload`, a path with
 * brackets) throws, so the ASL cannot outgrow it unnoticed.
 */
import type { z } from 'zod';
import { ErrorInfoSchema, WorkflowStateSchema } from '../../tasks/shared/contracts.js';

type Json = Record<string, unknown>;

/** The parts of a state machine definition the analysis reads. */
export interface Definition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, Json>>;
}

/** What a Task's success output holds for sure, read from its handler. */
export interface TaskContract {
  /** Paths set on every successful return, each with where the handler does it. */
  readonly writes: Readonly<Record<string, string>>;
  /** Paths of the input the Task may leave out of its output; `$`: it builds a new state. */
  readonly drops: readonly string[];
}

/** A path a state reads, and where in the state. */
export interface PathRead {
  readonly state: string;
  readonly path: string;
  readonly where: string;
}

/** `state path`: how the allow-list and the findings name a read. */
export const readKey = (read: Pick<PathRead, 'state' | 'path'>): string => `${read.state} ${read.path}`;

// ---- Paths and WorkflowStateSchema --------------------------------------------------------

function segments(path: string): string[] {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(path))
    throw new Error(`path ${path}: only $.a.b paths are modelled (no brackets, wildcards or filters)`);
  return path === '$' ? [] : path.slice(2).split('.');
}

/** `$.a.b.c` → `$.a`, `$.a.b` (the proper ancestors below `$`). */
function ancestors(path: string): string[] {
  const parts = segments(path);
  return parts.slice(1).map((_, i) => `$.${parts.slice(0, i + 1).join('.')}`);
}

interface ZodLike {
  readonly _zod: {
    readonly optout?: string;
    readonly def: {
      readonly type: string;
      readonly innerType?: ZodLike;
      readonly shape?: Record<string, ZodLike>;
    };
  };
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly']);

/** The schema without the wrappers named (optional, nullable, default…). */
function strip(schema: ZodLike, wrappers: ReadonlySet<string>): ZodLike {
  let s = schema;
  while (wrappers.has(s._zod.def.type) && s._zod.def.innerType) s = s._zod.def.innerType;
  return s;
}

/** The schema of the value at `path` in WorkflowStateSchema, or undefined where it describes none. */
function schemaAt(path: string): ZodLike | undefined {
  let schema: ZodLike | undefined = WorkflowStateSchema as unknown as ZodLike;
  for (const segment of segments(path)) {
    schema = schema && strip(schema, WRAPPERS)._zod.def.shape?.[segment];
  }
  return schema;
}

/**
 * Whether `path` is present whenever `ancestor` is: every field between them required in
 * WorkflowStateSchema, and none of them but `path` itself nullable.
 */
export function requiredBelow(ancestor: string, path: string): boolean {
  const top = schemaAt(ancestor);
  if (!top) return false;
  // The ancestor is present: its optional wrapper is settled, a nullable one is not.
  let schema = strip(top, new Set(['optional', 'default', 'prefault', 'readonly']));
  for (const segment of segments(path).slice(segments(ancestor).length)) {
    const object = strip(schema, new Set(['default', 'prefault', 'readonly']));
    if (object._zod.def.type !== 'object') return false;
    const field = object._zod.def.shape?.[segment];
    if (!field || field._zod.optout === 'optional') return false;
    schema = field;
  }
  return true;
}

// ---- Facts: the paths present on every way in ---------------------------------------------

/** Unreached yet: the identity of the intersection. */
const TOP = 'TOP' as const;
type Facts = ReadonlySet<string> | typeof TOP;

function intersect(a: Facts, b: Facts): Facts {
  if (a === TOP) return b;
  if (b === TOP) return a;
  return new Set([...a].filter((p) => b.has(p)));
}

function sameFacts(a: Facts, b: Facts): boolean {
  if (a === TOP || b === TOP) return a === b;
  return a.size === b.size && [...a].every((p) => b.has(p));
}

// ---- Choice rules -------------------------------------------------------------------------

type Rule = Json & { Variable?: string; And?: Rule[]; Or?: Rule[]; Not?: Rule; Next?: string };

/** Paths a rule proves present when it matched. */
function presentIfMatched(rule: Rule): Set<string> {
  if (rule.And) return new Set(rule.And.flatMap((r) => [...presentIfMatched(r)]));
  if (rule.Or) {
    const [first, ...rest] = rule.Or.map(presentIfMatched);
    return new Set([...(first ?? [])].filter((p) => rest.every((s) => s.has(p))));
  }
  if (rule.Not) return presentIfFailed(rule.Not);
  return rule.IsPresent === true && rule.Variable ? new Set([rule.Variable]) : new Set();
}

/** Paths a rule proves present when it did not match. */
function presentIfFailed(rule: Rule): Set<string> {
  if (rule.Or) return new Set(rule.Or.flatMap((r) => [...presentIfFailed(r)]));
  if (rule.And) {
    const [first, ...rest] = rule.And.map(presentIfFailed);
    return new Set([...(first ?? [])].filter((p) => rest.every((s) => s.has(p))));
  }
  if (rule.Not) return presentIfMatched(rule.Not);
  return rule.IsPresent === false && rule.Variable ? new Set([rule.Variable]) : new Set();
}

/** The paths a rule needs present: each Variable not tested by IsPresent, and each `…Path` operand. */
function ruleReads(rule: Rule, where: string): Array<{ path: string; where: string }> {
  if (rule.And) return rule.And.flatMap((r, i) => ruleReads(r, `${where}.And[${i}]`));
  if (rule.Or) return rule.Or.flatMap((r, i) => ruleReads(r, `${where}.Or[${i}]`));
  if (rule.Not) return ruleReads(rule.Not, `${where}.Not`);
  const reads: Array<{ path: string; where: string }> = [];
  if (rule.Variable && !('IsPresent' in rule))
    reads.push({ path: rule.Variable, where: `${where}.Variable` });
  for (const [key, value] of Object.entries(rule))
    if (key.endsWith('Path') && typeof value === 'string')
      reads.push({ path: value, where: `${where}.${key}` });
  return reads;
}

// ---- Other reads: parameters and paths ----------------------------------------------------

/** `$.…` paths in a `*.$` value: a path, or the arguments of an intrinsic function. */
function pathsIn(value: string): string[] {
  if (value.startsWith('$$') || value === '$') return [];
  if (value.startsWith('$.')) return [value];
  return [...value.matchAll(/(?<![$\w])\$\.[A-Za-z0-9_.]+/g)].map((m) => m[0]);
}

function parameterReads(template: unknown, where: string): Array<{ path: string; where: string }> {
  if (Array.isArray(template)) return template.flatMap((v, i) => parameterReads(v, `${where}[${i}]`));
  if (template === null || typeof template !== 'object') return [];
  return Object.entries(template).flatMap(([key, value]) =>
    key.endsWith('.$') && typeof value === 'string'
      ? pathsIn(value).map((path) => ({ path, where: `${where}.${key}` }))
      : parameterReads(value, `${where}.${key}`),
  );
}

const STATE_PATH_FIELDS = ['ErrorPath', 'CausePath', 'SecondsPath', 'TimestampPath', 'ItemsPath'];
const UNMODELLED_FIELDS = ['InputPath', 'ResultSelector', 'ItemSelector', 'ItemProcessor', 'Branches'];

// ---- The analysis -------------------------------------------------------------------------

interface Edge {
  readonly to: string;
  readonly effect: (facts: ReadonlySet<string>) => Set<string>;
}

export interface PathAnalysis {
  /** The paths present on every way into each state (closed over the paths the definition uses). */
  readonly present: ReadonlyMap<string, ReadonlySet<string>>;
  /** Every read of a path with the paths known present where it happens. */
  readonly reads: ReadonlyArray<PathRead & { readonly safe: boolean }>;
  /** The reads that may find their path missing. */
  readonly unsafe: ReadonlyArray<PathRead>;
}

/**
 * Every read of a path in `definition`, and whether each is sure to find it, given what each Task
 * writes and drops (`tasks`, one entry per Task state; a Task without one throws).
 */
export function analysePaths(
  definition: Definition,
  tasks: Readonly<Record<string, TaskContract>>,
): PathAnalysis {
  const states = definition.States;

  // Every read, with the facts a Choice rule adds for the rules after it.
  const readsOf = new Map<string, Array<{ path: string; where: string; guards: ReadonlySet<string> }>>();
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Map' || state.Type === 'Parallel')
      throw new Error(`${name}: ${state.Type} is not modelled`);
    for (const field of UNMODELLED_FIELDS)
      if (field in state) throw new Error(`${name}: ${field} is not modelled`);
    const reads: Array<{ path: string; where: string; guards: ReadonlySet<string> }> = [];
    const none = new Set<string>();
    if (state.Type === 'Choice') {
      const guards = new Set<string>();
      (state.Choices as Rule[]).forEach((rule, i) => {
        for (const read of ruleReads(rule, `Choices[${i}]`)) reads.push({ ...read, guards: new Set(guards) });
        for (const p of presentIfFailed(rule)) guards.add(p);
      });
    }
    for (const read of parameterReads(state.Parameters, 'Parameters')) reads.push({ ...read, guards: none });
    for (const field of STATE_PATH_FIELDS) {
      const value = state[field];
      if (typeof value === 'string')
        for (const path of pathsIn(value)) reads.push({ path, where: field, guards: none });
    }
    readsOf.set(name, reads);
  }

  // The paths worth tracking: those read, those written, and their ancestors.
  const universe = new Set<string>();
  const track = (path: string) => {
    if (path === '$') return;
    universe.add(path);
    for (const a of ancestors(path)) universe.add(a);
  };
  for (const reads of readsOf.values()) for (const r of reads) track(r.path);
  for (const contract of Object.values(tasks)) for (const p of Object.keys(contract.writes)) track(p);

  /** The facts with their ancestors and every tracked path the schema puts below them. */
  const close = (facts: Iterable<string>): Set<string> => {
    const closed = new Set<string>();
    for (const p of facts) if (p !== '$') for (const q of [p, ...ancestors(p)]) closed.add(q);
    for (const path of universe)
      if (!closed.has(path) && ancestors(path).some((a) => closed.has(a) && requiredBelow(a, path)))
        closed.add(path);
    return closed;
  };
  const without = (facts: ReadonlySet<string>, dropped: readonly string[]) =>
    [...facts].filter((p) => !dropped.some((d) => d === '$' || p === d || p.startsWith(`${d}.`)));

  // The edges, each with what it does to the facts.
  const edges = new Map<string, Edge[]>();
  for (const [name, state] of Object.entries(states)) {
    const out: Edge[] = [];
    const type = state.Type;
    if (type === 'Task') {
      const contract = tasks[name];
      if (!contract) throw new Error(`Task ${name} has no contract: say what its handler writes and drops`);
      const resultPath = state.ResultPath as string | null | undefined;
      if (state.OutputPath !== undefined && (state.OutputPath !== '$.Payload' || resultPath !== undefined))
        throw new Error(`${name}: only OutputPath $.Payload (and no ResultPath) is modelled`);
      if (state.OutputPath === undefined && typeof resultPath !== 'string')
        throw new Error(`${name}: a Task without OutputPath must put its result at a ResultPath`);
      const writes = Object.keys(contract.writes);
      // With OutputPath $.Payload the handler's return is the state; with a ResultPath the ASL keeps the input.
      const drops = state.OutputPath === '$.Payload' ? contract.drops : [];
      if (typeof state.Next === 'string')
        out.push({ to: state.Next, effect: (f) => close([...without(f, drops), ...writes]) });
    } else if (type === 'Pass') {
      if (
        typeof state.ResultPath !== 'string' ||
        state.Parameters !== undefined ||
        state.OutputPath !== undefined
      )
        throw new Error(`${name}: only a Pass with Result at a ResultPath is modelled`);
      const at = state.ResultPath;
      const result = state.Result;
      const field = schemaAt(at) as z.ZodType | undefined;
      if (!field?.safeParse(result).success)
        throw new Error(`${name}: its Result does not fit WorkflowStateSchema's ${at}`);
      const added =
        result !== null && typeof result === 'object' && !Array.isArray(result)
          ? [at, ...Object.keys(result).map((k) => `${at}.${k}`)]
          : [at];
      if (typeof state.Next === 'string')
        out.push({ to: state.Next, effect: (f) => close([...f, ...added]) });
    } else if (type === 'Wait') {
      if (typeof state.Next === 'string') out.push({ to: state.Next, effect: (f) => new Set(f) });
    } else if (type === 'Choice') {
      const guards = new Set<string>();
      for (const rule of state.Choices as Rule[]) {
        const matched = presentIfMatched(rule);
        const known = [...guards, ...matched];
        out.push({ to: rule.Next as string, effect: (f) => close([...f, ...known]) });
        for (const p of presentIfFailed(rule)) guards.add(p);
      }
      const fellThrough = [...guards];
      if (typeof state.Default === 'string')
        out.push({ to: state.Default, effect: (f) => close([...f, ...fellThrough]) });
    } else if (type !== 'Succeed' && type !== 'Fail') {
      throw new Error(`${name}: state type ${String(type)} is not modelled`);
    }
    for (const catcher of (state.Catch as Array<{ ResultPath?: string | null; Next: string }> | undefined) ??
      []) {
      const at = catcher.ResultPath;
      if (at === undefined)
        throw new Error(`${name}: a Catch without ResultPath replaces the state: not modelled`);
      // The error output is { Error, Cause }: the field must say so, or the schema would lend it other fields.
      const field = at === null ? undefined : schemaAt(at);
      if (at !== null && (!field || strip(field, WRAPPERS) !== (ErrorInfoSchema as unknown as ZodLike)))
        throw new Error(
          `${name}: its Catch writes ${at}, which WorkflowStateSchema does not type as ErrorInfoSchema`,
        );
      out.push({ to: catcher.Next, effect: (f) => close(at === null ? f : [...f, at]) });
    }
    edges.set(name, out);
  }

  // The facts on every way in: a fixpoint from StartAt, every other state unreached (TOP).
  const entry = new Map<string, Facts>(Object.keys(states).map((n) => [n, TOP]));
  entry.set(definition.StartAt, new Set());
  const work = [definition.StartAt];
  while (work.length > 0) {
    const name = work.shift() as string;
    const facts = entry.get(name);
    if (facts === undefined || facts === TOP) continue;
    for (const edge of edges.get(name) ?? []) {
      if (!(edge.to in states)) throw new Error(`${name} goes to ${edge.to}, which is no state`);
      const before = entry.get(edge.to) ?? TOP;
      const after = intersect(before, edge.effect(facts));
      // StartAt begins with nothing known; a way back into it cannot add anything.
      if (!sameFacts(before, after)) {
        entry.set(edge.to, after);
        work.push(edge.to);
      }
    }
  }

  const present = new Map<string, ReadonlySet<string>>();
  const reads: Array<PathRead & { safe: boolean }> = [];
  for (const [name, facts] of entry) {
    if (facts === TOP) continue;
    present.set(name, facts);
    for (const read of readsOf.get(name) ?? []) {
      const known = close([...facts, ...read.guards]);
      reads.push({ state: name, path: read.path, where: read.where, safe: known.has(read.path) });
    }
  }
  return { present, reads, unsafe: reads.filter((r) => !r.safe).map(({ safe: _safe, ...r }) => r) };
}
