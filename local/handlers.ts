import { classifyExposureTask } from '../tasks/classify-exposure/handler.js';
import { closeIncident } from '../tasks/close-incident/handler.js';
import { fanOutAccountChange } from '../tasks/fan-out-account-change/handler.js';
import { markFindingNotified } from '../tasks/mark-finding-notified/handler.js';
import { normalizeEvent } from '../tasks/normalize-event/handler.js';
import { notifyRecipients } from '../tasks/notify-recipients/handler.js';
import { registerIncident } from '../tasks/register-incident/handler.js';
import { releaseLease } from '../tasks/release-lease/handler.js';
import { remediateExposure } from '../tasks/remediate-exposure/handler.js';
import { reportFailure } from '../tasks/report-failure/handler.js';
import { suppressFinding } from '../tasks/suppress-finding/handler.js';
import { verifyRemediation } from '../tasks/verify-remediation/handler.js';
import { writeFinding } from '../tasks/write-finding/handler.js';
import type { TaskHandlers } from './runner.js';

/** Each Task state of the ASL and the real handler behind it (a Lambda function in AWS). */
export const TASK_HANDLERS: TaskHandlers = {
  NormalizeEvent: normalizeEvent,
  FanOutAccountChange: fanOutAccountChange,
  RegisterIncident: registerIncident,
  ClassifyExposure: classifyExposureTask,
  WriteFinding: writeFinding,
  NotifyRecipients: notifyRecipients,
  MarkFindingNotified: markFindingNotified,
  SuppressFinding: suppressFinding,
  RemediateExposure: remediateExposure,
  VerifyRemediation: verifyRemediation,
  CloseIncident: closeIncident,
  ReleaseLease: releaseLease,
  ReportFailure: reportFailure,
};
