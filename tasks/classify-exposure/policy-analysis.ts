/**
 * Reads a bucket policy the way Block Public Access does (reference/s3-public-semantics.md,
 * section 2): a grant is public unless a condition limits it to fixed values; Deny statements
 * count, so a Deny that closes every public path makes the policy non-public.
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

/** A Deny statement that reaches public callers, with the effect its conditions leave. */
export interface PublicDeny extends StatementRef {
  readonly actions: readonly string[];
  readonly notActions: readonly string[];
  readonly resources: readonly string[];
  readonly hasNotResource: boolean;
  /** "closes": denies outright; "limits": leaves access open only to fixed values. */
  readonly effect: 'closes' | 'limits';
  readonly why: string;
}

export interface PolicyAnalysis {
  readonly publicGrants: readonly PublicGrant[];
  readonly crossAccount: readonly CrossAccountGrant[];
  readonly accessPointDelegations: readonly StatementNote[];
  readonly notes: readonly StatementNote[];
  readonly publicDenies: readonly PublicDeny[];
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

/** A Deny that applies to anonymous callers and whose conditions either are absent or all pin limiting keys. */
function asPublicDeny(statement: PolicyStatement, ref: StatementRef, owner: Owner): PublicDeny | null {
  if (statement.Effect !== 'Deny') return null;
  if (!reachesPublicCallers(statementPrincipals(statement, owner))) return null;
  const judgements = conditionEntries(statement).map(judgeDenyCondition);
  const open = judgements.find((j) => !j.limits);
  if (open) return null;
  const effect = judgements.length === 0 ? 'closes' : 'limits';
  const why =
    effect === 'closes'
      ? `${describe(ref)} denies it to everyone`
      : `${describe(ref)} denies it unless ${judgements.map((j) => j.why).join(' and ')}`;
  return {
    ...ref,
    actions: asList(statement.Action),
    notActions: asList(statement.NotAction),
    resources: asList(statement.Resource),
    hasNotResource: statement.NotResource !== undefined,
    effect,
    why,
  };
}

function denyCoversAction(deny: PublicDeny, action: string): boolean {
  if (deny.notActions.length > 0) {
    // Only a concrete action that none of the NotAction patterns reaches is surely denied.
    return !hasWildcard(action) && !deny.notActions.some((n) => patternMatches(n, action, true));
  }
  return deny.actions.some((d) => patternCovers(d, action, true));
}

function denyCoversResources(deny: PublicDeny, resources: readonly string[] | 'notResource'): boolean {
  if (deny.hasNotResource) return false;
  if (resources === 'notResource') return deny.resources.includes('*');
  return resources.every((r) => deny.resources.some((d) => patternCovers(d, r, false)));
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
  const inScope = denies.filter((d) => denyCoversResources(d, resources));
  if (actions === 'notAction') {
    const all = inScope.find(
      (d) => d.notActions.length === 0 && d.actions.some((a) => a === '*' || a === 's3:*'),
    );
    return all ? [all] : null;
  }
  const used: PublicDeny[] = [];
  for (const action of actions) {
    const covering = inScope.filter((d) => denyCoversAction(d, action));
    const best = covering.find((d) => d.effect === 'closes') ?? covering[0];
    if (!best) return null;
    if (!used.includes(best)) used.push(best);
  }
  return used.length > 0 ? used : null;
}

// ---- Allow statements ------------------------------------------------------------------

function crossAccountWhy(ref: StatementRef, scope: readonly LimitScope[], owner: Owner): string | null {
  for (const s of scope) {
    if (s.organization)
      return `${describe(ref)} grants to principals of an AWS Organization (aws:PrincipalOrgID)`;
    const other = s.accounts.find((a) => a !== owner.accountId);
    if (other) return `${describe(ref)} grants to account ${other}`;
  }
  return null;
}

function analyseAllow(
  statement: PolicyStatement,
  ref: StatementRef,
  owner: Owner,
  denies: readonly PublicDeny[],
  out: {
    publicGrants: PublicGrant[];
    crossAccount: CrossAccountGrant[];
    accessPointDelegations: StatementNote[];
    notes: StatementNote[];
  },
): void {
  const principals = statementPrincipals(statement, owner);
  const judgements: ConditionJudgement[] = conditionEntries(statement).map(judgeAllowCondition);
  const limiting = judgements.filter((j): j is Extract<ConditionJudgement, { limits: true }> => j.limits);
  const actions = statement.NotAction !== undefined ? 'notAction' : asList(statement.Action);
  const resources = statement.NotResource !== undefined ? 'notResource' : asList(statement.Resource);
  const covering = closingDenies(denies, actions, resources);
  const fullyClosed = covering?.every((d) => d.effect === 'closes') ?? false;

  for (const delegation of limiting.filter((j) => j.scope.accessPoint)) {
    out.accessPointDelegations.push({
      ...ref,
      why: `${describe(ref)} delegates access to access points (${delegation.why}); access point policies are not inspected yet`,
    });
  }

  const publicPrincipal = principals.find(
    (p): p is Extract<PrincipalKind, { kind: 'public' }> => p.kind === 'public',
  );
  if (publicPrincipal) {
    if (limiting.length > 0) {
      out.notes.push({
        ...ref,
        why: `${describe(ref)} is not public: ${limiting.map((j) => j.why).join('; ')}`,
      });
      const cross = crossAccountWhy(
        ref,
        limiting.map((j) => j.scope),
        owner,
      );
      if (cross && !fullyClosed) out.crossAccount.push({ ...ref, why: cross });
    } else if (covering) {
      out.notes.push({
        ...ref,
        why: `${describe(ref)} would be public, but ${covering.map((d) => d.why).join('; ')}`,
      });
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

  if (!fullyClosed) {
    for (const external of principals.filter((p) => p.kind === 'external')) {
      out.crossAccount.push({ ...ref, why: `${describe(ref)} grants to ${external.label}: ${external.why}` });
    }
  }
}

/** Analyses a whole policy: public paths, cross-account grants, delegations and Deny effects. */
export function analysePolicy(policy: PolicyDocument | null | undefined, owner: Owner): PolicyAnalysis {
  if (!policy) return EMPTY_POLICY_ANALYSIS;
  const refs = policy.Statement.map((s, i) => refOf(s, i));
  const publicDenies = policy.Statement.flatMap((s, i) => {
    const ref = refs[i];
    const deny = ref ? asPublicDeny(s, ref, owner) : null;
    return deny ? [deny] : [];
  });
  const out = {
    publicGrants: [] as PublicGrant[],
    crossAccount: [] as CrossAccountGrant[],
    accessPointDelegations: [] as StatementNote[],
    notes: [] as StatementNote[],
  };
  policy.Statement.forEach((statement, index) => {
    const ref = refs[index];
    if (ref && statement.Effect === 'Allow') analyseAllow(statement, ref, owner, publicDenies, out);
  });
  return { ...out, publicDenies };
}
