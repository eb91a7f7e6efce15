import { approvalExpired } from '../tasks/approval-expired/handler.js';
import { checkMacieScan } from '../tasks/check-macie-scan/handler.js';
import { classifyExposureTask } from '../tasks/classify-exposure/handler.js';
import { closeIncident } from '../tasks/close-incident/handler.js';
import { fanOutAccountChange } from '../tasks/fan-out-account-change/handler.js';
import { markFindingNotified } from '../tasks/mark-finding-notified/handler.js';
import { normalizeEvent } from '../tasks/normalize-event/handler.js';
import { notifyRecipients } from '../tasks/notify-recipients/handler.js';
import { recordRejection } from '../tasks/record-rejection/handler.js';
import { recordScanFailure } from '../tasks/record-scan-failure/handler.js';
import { registerIncident } from '../tasks/register-incident/handler.js';
import { releaseLease } from '../tasks/release-lease/handler.js';
import { remediateExposure } from '../tasks/remediate-exposure/handler.js';
import { reportFailure } from '../tasks/report-failure/handler.js';
import { requestApproval } from '../tasks/request-approval/handler.js';
import { startMacieScan } from '../tasks/start-macie-scan/handler.js';
import { summarizeMacieScan } from '../tasks/summarize-macie-scan/handler.js';
import { supersedeApproval } from '../tasks/supersede-approval/handler.js';
import { suppressFinding } from '../tasks/suppress-finding/handler.js';
import { verifyRemediation } from '../tasks/verify-remediation/handler.js';
import { writeFinding } from '../tasks/write-finding/handler.js';
import type { TaskHandlers } from './runner.js';

/** Every task, each naming the Task state of the ASL it runs (a Lambda function in AWS). */
const TASKS = [
  normalizeEvent,
  fanOutAccountChange,
  registerIncident,
  supersedeApproval,
  classifyExposureTask,
  writeFinding,
  notifyRecipients,
  markFindingNotified,
  suppressFinding,
  requestApproval,
  recordRejection,
  approvalExpired,
  remediateExposure,
  verifyRemediation,
  closeIncident,
  releaseLease,
  reportFailure,
  startMacieScan,
  checkMacieScan,
  summarizeMacieScan,
  recordScanFailure,
];

/** Each Task state of the ASL and the task behind it. */
export const TASK_HANDLERS: TaskHandlers = Object.fromEntries(TASKS.map((task) => [task.state, task]));
