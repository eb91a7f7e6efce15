/**
 * Reads a bucket policy the way Block Public Access does (reference/s3-public-semantics.md,
 * section 2): a grant is public unless a condition limits it to fixed values; Deny statements
 * count, so a Deny that closes every public path makes the policy non-public. Cross-account
 * grants are judged the same way, with every ANDed condition and every Deny (rule 9).
 */
import type { AccessLevel, PolicyDocument, PolicyStatement } from '../shared/contracts.js';
import { sha256Hex, stableStringify } from '../shared/hash.js';
import { asList, hasWildcard, patternCovers, patternMatches } from './patterns.js';
import { levelsOfStatement } from './policy-actions.js';
import {
  type ConditionJudgement,
  conditionEntries,
  judgeAllowCondition,
  judgeDenyCondition,
  type LimitScope,
} from './policy-conditions.js';
import { type OutsideCaller, outsideReach } from './policy-outside.js';
import { type Owner, type PrincipalKind, statementPrincipals } from './policy-principals.js';

/** A statement as the verdict names it: position, Sid and a hash of its text. */
export interface StatementRef {
  readonly statement: number;
  readonly sid: string | null;
  readonly statementHash: string;
}

/** An open public path through one Allow statement (statement null: the policy as a whole). */
export interface PublicGrant extends Omit<StatementRef, 'statement'> {
  readonly statement: number | null;
  readonly principal: string;
  readonly levels: readonly AccessLevel[];
  readonly why: string;
}

/** A working grant to someone outside the owner account that is not public. */
export interface CrossAccountGrant extends StatementRef {
  readonly why: string;
}

/** A note on a statement that is not itself a public path (limited, closed by a Deny…). */
export interface StatementNote extends StatementRef {
  readonly why: string;
}

/** The actions and resources a Deny statement covers. */
interface DenyCoverage extends StatementRef {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly hasNotResource: boolean;
  readonly why: string;
}

/** A Deny statement that reaches public callers, with the effect its conditions leave. */
export interface PublicDeny extends DenyCoverage {
  /** "closes": denies outright; "limits": leaves access open only to fixed values. */
  readonly effect: 'closes' | 'limits';
  /** What each of its conditions leaves open (empty when it closes). */
  readonly scopes: readonly LimitScope[];
}

/**
 * A Deny statement that shuts out callers by who they are: the principals it names (or
 * everyone), except callers of the accounts its conditions spare.
 */
interface CallerDeny extends DenyCoverage {
  /** What the Deny's principals match (`OutsideCaller.match`); null when it reaches everyone. */
  readonly names: readonly string[] | null;
  /** Accounts whose callers escape it (negated fixed aws:PrincipalAccount or aws:PrincipalArn); null: none. */
  readonly spares: readonly string[] | null;
}

export interface PolicyAnalysis {
  readonly publicGrants: readonly PublicGrant[];
  readonly crossAccount: readonly CrossAccountGrant[];
  readonly accessPointDelegations: readonly StatementNote[];
  readonly notes: readonly StatementNote[];
  readonly publicDenies: readonly PublicDeny[];
}

/** Every kind of Deny an Allow statement is weighed against. */
interface PolicyDenies {
  readonly public: readonly PublicDeny[];
  readonly callers: readonly CallerDeny[];
}

export const EMPTY_POLICY_ANALYSIS: PolicyAnalysis = {
  publicGrants: [],
  crossAccount: [],
  accessPointDelegations: [],
  notes: [],
  publicDenies: [],
};

export function statementHash(statement: PolicyStatement): string {
  return sha256Hex(stableStringify(statement)).slice(0, 16);
}

function refOf(statement: PolicyStatement, index: number): StatementRef {
  return { statement: index, sid: statement.Sid ?? null, statementHash: statementHash(statement) };
}

function describe(ref: StatementRef): string {
  return ref.sid ? `statement ${ref.statement} ("${ref.sid}")` : `statement ${ref.statement}`;
}

// ---- Deny statements -----------------------------------------------------------------

function reachesPublicCallers(principals: readonly PrincipalKind[]): boolean {
  return principals.some((p) => p.kind === 'public');
}

function coverageOf(statement: PolicyStatement, ref: StatementRef, why: string): DenyCoverage {
  return {
    ...ref,
    actions: asList(statement.Action),
    notActions: asList(statement.NotAction),
    resources: asList(statement.Resource),
    hasNotResource: statement.NotResource !== undefined,
    why,
  };
}

type Limiting = Extract<ConditionJudgement, { limits: true }>;

/** The judgements of a Deny's conditions when every one pins a limiting key; null otherwise. */
function limitingDenyConditions(statement: PolicyStatement): Limiting[] | null {
  const judgements = conditionEntries(statement).map(judgeDenyCondition);
  return judgements.every((j): j is Limiting => j.limits) ? judgements : null;
}

/** A Deny that applies to anonymous callers and whose conditions either are absent or all pin limiting keys. */
function asPublicDeny(statement: PolicyStatement, ref: StatementRef, owner: Owner): PublicDeny | null {
  if (statement.Effect !== 'Deny') return null;
  if (!reachesPublicCallers(statementPrincipals(statement, owner))) return null;
  const judgements = limitingDenyConditions(statement);
  if (judgements === null) return null;
  const effect = judgements.length === 0 ? 'closes' : 'limits';
  const why =
    effect === 'closes'
      ? `${describe(ref)} denies it to everyone`
      : `${describe(ref)} denies it unless ${judgements.map((j) => j.why).join(' and ')}`;
  return { ...coverageOf(statement, ref, why), effect, scopes: judgements.map((j) => j.scope) };
}

/**
 * A Deny that shuts out outside callers: unconditional, or sparing only the callers of fixed
 * accounts. Left out: NotPrincipal (it spares the principals it names, which may be the very
 * outsiders granted access) and any other condition (an outsider may meet it).
 */
function asCallerDeny(statement: PolicyStatement, ref: StatementRef, owner: Owner): CallerDeny | null {
  if (statement.Effect !== 'Deny' || statement.NotPrincipal !== undefined) return null;
  const principals = statementPrincipals(statement, owner);
  const everyone = reachesPublicCallers(principals);
  const named = principals.flatMap((p) => (p.kind === 'external' ? [p] : []));
  if (!everyone && named.length === 0) return null;
  const judgements = limitingDenyConditions(statement);
  if (judgements === null) return null;
  const spared: string[] = [];
  for (const { scope } of judgements) {
    if (scope.accounts?.of !== 'caller') return null;
    // Deny conditions combine with AND, so a caller escapes by meeting any one of them.
    spared.push(...scope.accounts.ids);
  }
  const spares = judgements.length > 0 ? [...new Set(spared)] : null;
  const whom = everyone ? 'every caller' : named.map((p) => p.label).join(', ');
  const why = `${describe(ref)} denies it to ${whom}${spares ? ` outside account ${spares.join(', ')}` : ''}`;
  return { ...coverageOf(statement, ref, why), names: everyone ? null : named.map((p) => p.match), spares };
}

function denyCoversAction(deny: DenyCoverage, action: string): boolean {
  if (deny.notActions.length > 0) {
    // Only a concrete action that none of the NotAction patterns reaches is surely denied.
    return !hasWildcard(action) && !deny.notActions.some((n) => patternMatches(n, action, true));
  }
  return deny.actions.some((d) => patternCovers(d, action, true));
}

function denyCoversResources(deny: DenyCoverage, resources: readonly string[] | 'notResource'): boolean {
  if (deny.hasNotResource) return false;
  if (resources === 'notResource') return deny.resources.includes('*');
  return resources.every((r) => deny.resources.some((d) => patternCovers(d, r, false)));
}

/**
 * The Denies that cover every one of `actions` on `resources`, one per action, taking a
 * `preferred` one where several do. Null when some action is left uncovered.
 */
function coveringDenies<D extends DenyCoverage>(
  denies: readonly D[],
  actions: readonly string[] | 'notAction',
  resources: readonly string[] | 'notResource',
  preferred: (deny: D) => boolean,
): D[] | null {
  const inScope = denies.filter((d) => denyCoversResources(d, resources));
  if (actions === 'notAction') {
    const all = inScope.find(
      (d) => d.notActions.length === 0 && d.actions.some((a) => a === '*' || a === 's3:*'),
    );
    return all ? [all] : null;
  }
  const used: D[] = [];
  for (const action of actions) {
    const covering = inScope.filter((d) => denyCoversAction(d, action));
    const best = covering.find(preferred) ?? covering[0];
    if (!best) return null;
    if (!used.includes(best)) used.push(best);
  }
  return used.length > 0 ? used : null;
}

/**
 * The Deny that covers every one of `actions` on `resources` for public callers, preferring
 * one that closes outright. Null when no single Deny (or set, one per action) covers them all.
 */
export function closingDenies(
  denies: readonly PublicDeny[],
  actions: readonly string[] | 'notAction',
  resources: readonly string[] | 'notResource',
): PublicDeny[] | null {
  return coveringDenies(denies, actions, resources, (d) => d.effect === 'closes');
}

function shutsOut(deny: CallerDeny, caller: OutsideCaller, owner: Owner): boolean {
  const reaches = deny.names === null || (caller.match !== null && deny.names.includes(caller.match));
  if (!reaches) return false;
  if (deny.spares === null) return true;
  // An outsider of unknown account is surely shut out only when the Deny spares the owner account alone.
  return caller.account !== null
    ? !deny.spares.includes(caller.account)
    : deny.spares.every((id) => id === owner.accountId);
}

/** The Denies that shut `caller` out of every one of `actions` on `resources`; null when some stay open. */
function denialsOf(
  denies: readonly CallerDeny[],
  caller: OutsideCaller,
  owner: Owner,
  actions: readonly string[] | 'notAction',
  resources: readonly string[] | 'notResource',
): CallerDeny[] | null {
  const reaching = denies.filter((d) => shutsOut(d, caller, owner));
  return coveringDenies(reaching, actions, resources, (d) => d.spares === null);
}

// ---- Allow statements ------------------------------------------------------------------

/**
 * Outsiders a public statement reaches although Denies close it to the public: those a
 * limiting Deny leaves open, such as the members of an organization.
 */
function callersLeftOpen(
  everyone: PrincipalKind,
  covering: readonly PublicDeny[],
  owner: Owner,
): OutsideCaller[] {
  return covering.flatMap((deny) =>
    deny.scopes.flatMap((scope) =>
      outsideReach([everyone], [scope], owner).callers.map((caller) => ({
        ...caller,
        why: `${caller.why}, whom ${describe(deny)} does not deny`,
      })),
    ),
  );
}

function analyseAllow(
  statement: PolicyStatement,
  ref: StatementRef,
  owner: Owner,
  denies: PolicyDenies,
  out: {
    publicGrants: PublicGrant[];
    crossAccount: CrossAccountGrant[];
    accessPointDelegations: StatementNote[];
    notes: StatementNote[];
  },
): void {
  const principals = statementPrincipals(statement, owner);
  const judgements: ConditionJudgement[] = conditionEntries(statement).map(judgeAllowCondition);
  const limiting = judgements.filter((j): j is Limiting => j.limits);
  const actions = statement.NotAction !== undefined ? 'notAction' : asList(statement.Action);
  const resources = statement.NotResource !== undefined ? 'notResource' : asList(statement.Resource);
  const covering = closingDenies(denies.public, actions, resources);

  for (const delegation of limiting.filter((j) => j.scope.accessPoint)) {
    out.accessPointDelegations.push({
      ...ref,
      why: `${describe(ref)} delegates access to access points (${delegation.why}); access point policies are not inspected yet`,
    });
  }
  for (const gone of principals.filter((p) => p.kind === 'nobody')) {
    out.notes.push({ ...ref, why: `${describe(ref)} names ${gone.label}: ${gone.why}` });
  }

  const publicPrincipal = principals.find(
    (p): p is Extract<PrincipalKind, { kind: 'public' }> => p.kind === 'public',
  );
  // Everyone reaches outsiders only through the fixed values that keep the statement from being public.
  const reach = outsideReach(
    limiting.length > 0 ? principals : principals.filter((p) => p.kind !== 'public'),
    limiting.map((j) => j.scope),
    owner,
  );
  const callers = [...reach.callers];
  if (reach.shutOut) out.notes.push({ ...ref, why: `${describe(ref)} ${reach.shutOut}` });

  if (publicPrincipal) {
    if (limiting.length > 0) {
      out.notes.push({
        ...ref,
        why: `${describe(ref)} is not public: ${limiting.map((j) => j.why).join('; ')}`,
      });
    } else if (covering) {
      out.notes.push({
        ...ref,
        why: `${describe(ref)} would be public, but ${covering.map((d) => d.why).join('; ')}`,
      });
      callers.push(...callersLeftOpen(publicPrincipal, covering, owner));
    } else {
      const unlimited = judgements.map((j) => j.why);
      const why = [publicPrincipal.why, ...unlimited].join('; ');
      out.publicGrants.push({
        ...ref,
        principal: publicPrincipal.label,
        levels: levelsOfStatement(asList(statement.Action), asList(statement.NotAction)),
        why: `${describe(ref)} allows public access: ${why}`,
      });
    }
  }

  for (const caller of callers) {
    const denials = denialsOf(denies.callers, caller, owner, actions, resources);
    if (denials) {
      out.notes.push({
        ...ref,
        why: `${describe(ref)} ${caller.why}, but ${denials.map((d) => d.why).join('; ')}`,
      });
    } else {
      out.crossAccount.push({ ...ref, why: `${describe(ref)} ${caller.why}` });
    }
  }
}

/** Analyses a whole policy: public paths, cross-account grants, delegations and Deny effects. */
export function analysePolicy(policy: PolicyDocument | null | undefined, owner: Owner): PolicyAnalysis {
  if (!policy) return EMPTY_POLICY_ANALYSIS;
  const refs = policy.Statement.map((s, i) => refOf(s, i));
  const denyOf = <D>(read: (s: PolicyStatement, ref: StatementRef, owner: Owner) => D | null): D[] =>
    policy.Statement.flatMap((s, i) => {
      const ref = refs[i];
      const deny = ref ? read(s, ref, owner) : null;
      return deny ? [deny] : [];
    });
  const publicDenies = denyOf(asPublicDeny);
  const denies: PolicyDenies = { public: publicDenies, callers: denyOf(asCallerDeny) };
  const out = {
    publicGrants: [] as PublicGrant[],
    crossAccount: [] as CrossAccountGrant[],
    accessPointDelegations: [] as StatementNote[],
    notes: [] as StatementNote[],
  };
  policy.Statement.forEach((statement, index) => {
    const ref = refs[index];
    if (ref && statement.Effect === 'Allow') analyseAllow(statement, ref, owner, denies, out);
  });
  return { ...out, publicDenies };
}
