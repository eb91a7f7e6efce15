/**
 * Reading CloudTrail `requestParameters` defensively (reference/cloudtrail-s3-events.md,
 * section 3): header values as a string or an array, names in any case and with `_` for `-`, a
 * repeated XML element that occurred once as an object, XML namespaces as `xmlns` keys.
 */
import { type Acl, type Grant, GrantSchema, PermissionSchema } from '../../tasks/shared/contracts.js';
import { aclFromGrantHeaders, cannedAcl, type GrantHeaders } from './acl.js';
import { isObject, type JsonObject } from './json.js';

function normalizeKey(key: string): string {
  return key.toLowerCase().replaceAll('_', '-');
}

/** A field by name, compared case-insensitively and with `_` read as `-`. */
export function field(object: unknown, name: string): unknown {
  if (!isObject(object)) return undefined;
  if (Object.hasOwn(object, name)) return object[name];
  const wanted = normalizeKey(name);
  for (const [key, value] of Object.entries(object)) {
    if (normalizeKey(key) === wanted) return value;
  }
  return undefined;
}

/** A header value: a string, or the strings of an array. */
export function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** The first non-empty string of a field, if any. */
export function firstString(object: unknown, name: string): string | undefined {
  return strings(field(object, name)).find((value) => value.length > 0);
}

/** A repeated XML element as a list, whether it came as an object, an array or not at all. */
export function toArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** A converted XML body without its `xmlns` keys, which are markup, not configuration. */
export function withoutXmlns(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutXmlns);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => key !== 'xmlns' && !key.startsWith('xmlns:'))
      .map(([key, item]) => [key, withoutXmlns(item)]),
  );
}

// ---- ACLs in a request -------------------------------------------------------------------

const XSI_TYPES = new Set(['CanonicalUser', 'AmazonCustomerByEmail', 'Group']);

function grantFromBody(raw: unknown): Grant | null {
  const grantee = field(raw, 'Grantee');
  const uri = firstString(grantee, 'URI');
  const id = firstString(grantee, 'ID');
  const email = firstString(grantee, 'EmailAddress');
  const declared = firstString(grantee, 'xsi:type') ?? firstString(grantee, 'Type');
  const type =
    declared !== undefined && XSI_TYPES.has(declared)
      ? declared
      : uri !== undefined
        ? 'Group'
        : email !== undefined
          ? 'AmazonCustomerByEmail'
          : 'CanonicalUser';
  const parsed = GrantSchema.safeParse({
    Grantee: {
      Type: type,
      ...(id !== undefined ? { ID: id } : {}),
      ...(uri !== undefined ? { URI: uri } : {}),
      ...(email !== undefined ? { EmailAddress: email } : {}),
    },
    Permission: firstString(raw, 'Permission')?.trim().toUpperCase(),
  });
  return parsed.success ? parsed.data : null;
}

function bodyAcl(params: JsonObject, ownerId: string): Acl | null {
  const policy = field(params, 'AccessControlPolicy');
  if (!isObject(policy)) return null;
  const list = field(policy, 'AccessControlList');
  const grants = toArray(field(list, 'Grant') ?? field(list, 'Grants'))
    .map(grantFromBody)
    .filter((grant): grant is Grant => grant !== null);
  return { Owner: { ID: firstString(field(policy, 'Owner'), 'ID') ?? ownerId }, Grants: grants };
}

const HEADER_SUFFIX: Readonly<Record<string, string>> = {
  FULL_CONTROL: 'full-control',
  READ: 'read',
  READ_ACP: 'read-acp',
  WRITE: 'write',
  WRITE_ACP: 'write-acp',
};

function headerAcl(headers: JsonObject, ownerId: string): Acl | null {
  const canned = firstString(headers, 'x-amz-acl');
  if (canned !== undefined) return cannedAcl(canned, ownerId);
  const grantHeaders: GrantHeaders = Object.fromEntries(
    PermissionSchema.options.map((permission) => [
      permission,
      strings(field(headers, `x-amz-grant-${HEADER_SUFFIX[permission] ?? ''}`)),
    ]),
  );
  return aclFromGrantHeaders(grantHeaders, ownerId);
}

/**
 * The ACL a CloudTrail request set: an `AccessControlPolicy` body, a canned `x-amz-acl`, or
 * `x-amz-grant-*` headers (top level, or nested under `AccessControlList` as PutObjectAcl
 * events carry them). Null when the request carried no ACL.
 */
export function aclOfRequest(params: JsonObject, ownerId: string): Acl | null {
  const body = bodyAcl(params, ownerId);
  if (body !== null) return body;
  const nested = field(params, 'AccessControlList');
  for (const headers of isObject(nested) ? [params, nested] : [params]) {
    const acl = headerAcl(headers, ownerId);
    if (acl !== null) return acl;
  }
  return null;
}
