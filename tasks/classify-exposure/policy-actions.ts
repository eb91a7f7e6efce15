/**
 * What an Action element allows, in Access Analyzer's levels folded to two: read (List, Read)
 * and write (Write, Permissions, Tagging).
 */
import type { AccessLevel } from '../shared/contracts.js';
import { patternMatches } from './patterns.js';

const READ_ACTIONS = [
  'GetObject',
  'GetObjectVersion',
  'GetObjectAcl',
  'GetObjectVersionAcl',
  'GetObjectAttributes',
  'GetObjectVersionAttributes',
  'GetObjectTagging',
  'GetObjectVersionTagging',
  'GetObjectTorrent',
  'GetObjectVersionTorrent',
  'GetObjectRetention',
  'GetObjectLegalHold',
  'GetObjectVersionForReplication',
  'ListBucket',
  'ListBucketVersions',
  'ListBucketMultipartUploads',
  'ListMultipartUploadParts',
  'ListAllMyBuckets',
  'GetBucketAcl',
  'GetBucketPolicy',
  'GetBucketPolicyStatus',
  'GetBucketLocation',
  'GetBucketWebsite',
  'GetBucketTagging',
  'GetBucketVersioning',
  'GetBucketLogging',
  'GetBucketCORS',
  'GetBucketNotification',
  'GetBucketObjectLockConfiguration',
  'GetBucketOwnershipControls',
  'GetBucketPublicAccessBlock',
  'GetBucketRequestPayment',
  'GetEncryptionConfiguration',
  'GetLifecycleConfiguration',
  'GetReplicationConfiguration',
  'GetAccelerateConfiguration',
];

const WRITE_ACTIONS = [
  'PutObject',
  'PutObjectAcl',
  'PutObjectVersionAcl',
  'PutObjectTagging',
  'PutObjectVersionTagging',
  'PutObjectRetention',
  'PutObjectLegalHold',
  'DeleteObject',
  'DeleteObjectVersion',
  'DeleteObjectTagging',
  'DeleteObjectVersionTagging',
  'RestoreObject',
  'AbortMultipartUpload',
  'ReplicateObject',
  'ReplicateDelete',
  'ReplicateTags',
  'BypassGovernanceRetention',
  'ObjectOwnerOverrideToBucketOwner',
  'PutBucketAcl',
  'PutBucketPolicy',
  'DeleteBucketPolicy',
  'PutBucketPublicAccessBlock',
  'PutBucketOwnershipControls',
  'DeleteBucket',
  'PutBucketWebsite',
  'DeleteBucketWebsite',
  'PutBucketTagging',
  'PutBucketVersioning',
  'PutBucketLogging',
  'PutBucketCORS',
  'PutBucketNotification',
  'PutEncryptionConfiguration',
  'PutLifecycleConfiguration',
  'PutReplicationConfiguration',
  'PutBucketObjectLockConfiguration',
  'PutAccelerateConfiguration',
];

/** The S3 actions we know by level; a pattern's level is that of the actions it matches. */
export const S3_ACTIONS: ReadonlyArray<{ action: string; level: AccessLevel }> = [
  ...READ_ACTIONS.map((name) => ({ action: `s3:${name}`, level: 'read' as const })),
  ...WRITE_ACTIONS.map((name) => ({ action: `s3:${name}`, level: 'write' as const })),
];

/** Verbs whose actions only read: the fallback for an action not in the catalogue. */
const READ_VERBS = /^s3:(get|list|describe|head)/i;

/**
 * The access levels an Action pattern grants. A pattern that matches nothing we know is judged
 * by its verb; one that cannot be judged at all counts as read, the lower level, because the
 * statement is public either way (BPA looks at principals and conditions, not actions).
 */
export function levelsOfAction(pattern: string): ReadonlySet<AccessLevel> {
  let levels = levelCache.get(pattern);
  if (!levels) {
    levels = computeLevels(pattern);
    levelCache.set(pattern, levels);
  }
  return levels;
}

/** Patterns repeat across statements and buckets; matching one against the catalogue is the costly part. */
const levelCache = new Map<string, ReadonlySet<AccessLevel>>();

function computeLevels(pattern: string): ReadonlySet<AccessLevel> {
  const levels = new Set<AccessLevel>();
  if (pattern === '*') return new Set(['read', 'write']);
  for (const { action, level } of S3_ACTIONS) {
    if (patternMatches(pattern, action, true)) levels.add(level);
  }
  if (levels.size === 0 && pattern.toLowerCase().startsWith('s3:')) {
    levels.add(READ_VERBS.test(pattern) ? 'read' : 'write');
  }
  if (levels.size === 0) levels.add('read');
  return levels;
}

/** The access levels of a statement: NotAction allows everything else, so both. */
export function levelsOfStatement(actions: readonly string[], notActions: readonly string[]): AccessLevel[] {
  if (notActions.length > 0) return ['read', 'write'];
  const levels = new Set<AccessLevel>();
  for (const action of actions) for (const level of levelsOfAction(action)) levels.add(level);
  if (levels.size === 0) levels.add('read');
  return (['read', 'write'] as const).filter((level) => levels.has(level));
}
