/**
 * Who outside the owner account an Allow statement lets in, judged like public access
 * (reference/s3-public-semantics.md, section 2, rule 9): every fixed condition of the statement
 * holds at once, so a statement no caller outside the owner account can satisfy shares nothing.
 * Deny statements are weighed by the policy analysis, against the callers found here.
 */
import type { AccountOf, LimitScope } from './policy-conditions.js';
import type { Owner, PrincipalKind } from './policy-principals.js';

/** Someone outside the owner account that a grant reaches. */
export interface OutsideCaller {
  /** Their account ID, or null when only "not the owner account" is known (an org, a canonical user). */
  readonly account: string | null;
  /** How a Deny would name them (`account:ID` for a whole account); null when no principal does. */
  readonly match: string | null;
  /** The grant, as it completes "statement 0 …": "grants to account 444455556666". */
  readonly why: string;
}

export interface OutsideReach {
  readonly callers: readonly OutsideCaller[];
  /** Why outsiders the statement seems to grant to are not reached, completing "statement 0 …". */
  readonly shutOut: string | null;
}

const ACCOUNT_ID = /^\d{12}$/;

const WHOSE: Record<AccountOf, string> = {
  caller: "the caller's account",
  source: 'the account of the source a service acts for',
  accessPoint: "the access point's account",
};

/** Conditions combine with AND: for each account they pin, the accounts every one of them allows. */
function pinnedAccounts(scopes: readonly LimitScope[]): Map<AccountOf, ReadonlySet<string>> {
  const pinned = new Map<AccountOf, ReadonlySet<string>>();
  for (const { accounts } of scopes) {
    if (accounts === null) continue;
    const earlier = pinned.get(accounts.of);
    const ids = earlier ? accounts.ids.filter((id) => earlier.has(id)) : accounts.ids;
    pinned.set(accounts.of, new Set(ids));
  }
  return pinned;
}

/** Principal "*" kept from being public by fixed values: outsiders only where those values name them. */
function callersOfEveryone(
  scopes: readonly LimitScope[],
  pinned: Map<AccountOf, ReadonlySet<string>>,
  owner: Owner,
): OutsideCaller[] {
  const outside = (of: AccountOf) => [...(pinned.get(of) ?? [])].filter((id) => id !== owner.accountId);
  // Once the caller's account is pinned, nothing else widens it: an org or a source account only narrows.
  if (pinned.has('caller')) {
    return outside('caller').map((id) => ({
      account: id,
      match: `account:${id}`,
      why: `grants to account ${id}`,
    }));
  }
  if (scopes.some((s) => s.organization)) {
    return [
      {
        account: null,
        match: null,
        why: 'grants to principals of an AWS Organization (aws:PrincipalOrgID)',
      },
    ];
  }
  // A service acting for another account's resource, or another account's access point.
  const ids = new Set([...outside('source'), ...outside('accessPoint')]);
  return [...ids].map((id) => ({ account: id, match: null, why: `grants to account ${id}` }));
}

/**
 * The callers outside the owner account that a statement's principals reach once its fixed
 * conditions (`scopes`, ANDed) are applied. A public principal is only passed here when those
 * conditions keep it from being public; only conditions that limit in BPA's sense narrow anyone.
 */
export function outsideReach(
  principals: readonly PrincipalKind[],
  scopes: readonly LimitScope[],
  owner: Owner,
): OutsideReach {
  const pinned = pinnedAccounts(scopes);
  for (const [of, ids] of pinned) {
    if (ids.size === 0) {
      return {
        callers: [],
        shutOut: `admits no caller: no account satisfies every condition on ${WHOSE[of]}`,
      };
    }
  }
  const callerPins = pinned.get('caller');
  const callers: OutsideCaller[] = [];
  const shut: string[] = [];
  for (const principal of principals) {
    if (principal.kind === 'public') {
      callers.push(...callersOfEveryone(scopes, pinned, owner));
    } else if (principal.kind === 'external') {
      const account = ACCOUNT_ID.test(principal.account) ? principal.account : null;
      // An outsider of unknown account passes a pin only if the pin names some other account.
      const admitted =
        callerPins === undefined ||
        (account !== null ? callerPins.has(account) : [...callerPins].some((id) => id !== owner.accountId));
      if (admitted) {
        callers.push({
          account,
          match: principal.match,
          why: `grants to ${principal.label}: ${principal.why}`,
        });
      } else {
        shut.push(principal.label);
      }
    }
  }
  const shutOut =
    shut.length > 0 && callerPins !== undefined
      ? `names ${shut.join(', ')}, but its conditions admit only callers of account ${[...callerPins].join(', ')}`
      : null;
  return { callers, shutOut };
}
