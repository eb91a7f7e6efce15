/** The dispatch table: every modelled operation, by service and SDK command name. */
import { CHAT_OPERATIONS } from './chat.js';
import { MACIE_OPERATIONS } from './macie.js';
import type { OperationTable } from './operations.js';
import { S3_BUCKET_OPERATIONS } from './s3-bucket.js';
import { S3_CONTROL_OPERATIONS } from './s3-control.js';
import { S3_OBJECT_OPERATIONS } from './s3-objects.js';
import { SECURITY_HUB_OPERATIONS } from './security-hub.js';
import { SES_OPERATIONS } from './ses.js';
import { SFN_OPERATIONS } from './sfn.js';
import { STS_OPERATIONS } from './sts.js';
import type { SandboxService } from './world.js';

/** The operations of each service. */
export const OPERATIONS: Readonly<Record<SandboxService, OperationTable>> = {
  s3: { ...S3_BUCKET_OPERATIONS, ...S3_OBJECT_OPERATIONS },
  s3control: S3_CONTROL_OPERATIONS,
  securityhub: SECURITY_HUB_OPERATIONS,
  ses: SES_OPERATIONS,
  sfn: SFN_OPERATIONS,
  sts: STS_OPERATIONS,
  macie2: MACIE_OPERATIONS,
  chat: CHAT_OPERATIONS,
};

/** Service names as AWS writes them, for messages. */
export const SERVICE_LABELS: Readonly<Record<SandboxService, string>> = {
  s3: 'S3',
  s3control: 'S3Control',
  securityhub: 'SecurityHub',
  ses: 'SESv2',
  sfn: 'SFN',
  sts: 'STS',
  macie2: 'Macie2',
  chat: 'Chat',
};
