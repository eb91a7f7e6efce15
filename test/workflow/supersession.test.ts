/**
 * An exposure that widens while its owner waits on an approval: the joining event supersedes the
 * pending request (its page says so), the owner alerts on the wider exposure and asks once for
 * the whole current plan; the approver's decision on the new request is what gets applied.
 */
import { describe, expect, it } from 'vitest';
import { decideByLink, latestApprovalLink } from '../../local/approval/decide.js';
import { applyEventToWorld } from '../../local/sandbox/apply-event.js';
import { approveEnvironment, nextApprovalWait, sampleEvent, startUntilApprovalWaits } from './support.js';

const BUCKET = 'acme-public-assets';

/** The bucket ACL gives the world write access as well: beyond a plan about a public policy. */
function publicWriteAcl(): unknown {
  const event = JSON.stringify(sampleEvent('put-bucket-acl-body'));
  return JSON.parse(event.replace('"Permission":"READ"', '"Permission":"WRITE"'));
}

describe('an exposure that widens during the wait', () => {
  it('supersedes the pending approval, alerts at once, and asks again for the whole plan', async () => {
    const environment = await approveEnvironment();
    const owner = await startUntilApprovalWaits(environment, sampleEvent('put-bucket-policy-public'));

    const widening = publicWriteAcl();
    applyEventToWorld(environment.sandbox, widening);
    const askedAgain = nextApprovalWait(environment);
    const joiner = await environment.runner.start(widening);
    await askedAgain;

    expect(joiner.status).toBe('SUCCEEDED');
    expect(joiner.path).toEqual(expect.arrayContaining(['RegisterIncident', 'SupersedeApproval']));
    const secondLink = latestApprovalLink(environment.sandbox.outbox);
    expect(secondLink).not.toBe(owner.link);
    // Alerted on the wider exposure before anyone decided.
    expect(environment.sandbox.outbox.some((m) => m.subject.includes('read and write'))).toBe(true);
    // The old link shows the request as superseded, and decides nothing.
    expect(await (await fetch(owner.link)).text()).toMatch(/superseded/i);
    expect([403, 409]).toContain((await decideByLink(owner.link, { decision: 'APPROVED' })).status);

    expect((await decideByLink(secondLink ?? '', { decision: 'APPROVED' })).status).toBe(303);
    const record = await owner.execution;
    expect(record.status).toBe('SUCCEEDED');
    expect(record.path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
    const [incident] = (await environment.store.listIncidents()).filter((i) => i.bucket === BUCKET);
    expect(incident).toMatchObject({ status: 'CLOSED', closedReason: 'REMEDIATED' });
  });

  it('leaves the pending approval alone when a joining event adds nothing new: 5 states', async () => {
    const environment = await approveEnvironment();
    const owner = await startUntilApprovalWaits(environment, sampleEvent('put-bucket-policy-public'));

    const again = sampleEvent('put-bucket-policy-public');
    applyEventToWorld(environment.sandbox, again);
    const joiner = await environment.runner.start(again);

    expect(joiner.path).toEqual([
      'NormalizeEvent',
      'IsEventActionable?',
      'RegisterIncident',
      'DoesThisExecutionOwnTheBucket?',
      'JoinedOpenIncident',
    ]);
    expect(environment.taskTokens.waiting()).toHaveLength(1);
    expect((await decideByLink(owner.link, { decision: 'REJECTED' })).status).toBe(303);
    const record = await owner.execution;
    // The joined event is answered after the decision: the same exposure, no new request.
    expect(record.path.filter((s) => s === 'RequestApproval')).toHaveLength(1);
    expect(record.path.filter((s) => s === 'ClassifyExposure')).toHaveLength(2);
  });

  it('still fails the wait when Step Functions throttles the supersession: the retry goes on', async () => {
    const environment = await approveEnvironment();
    const owner = await startUntilApprovalWaits(environment, sampleEvent('put-bucket-policy-public'));
    // More than the SDK's own retries: the task fails once, and the state machine runs it again.
    environment.sandbox.injectFault({
      service: 'sfn',
      operation: 'SendTaskFailure',
      error: 'ThrottlingException',
      times: 3,
    });

    const widening = publicWriteAcl();
    applyEventToWorld(environment.sandbox, widening);
    const askedAgain = nextApprovalWait(environment);
    const joiner = await environment.runner.start(widening);
    await askedAgain;

    expect(joiner.status).toBe('SUCCEEDED');
    expect(joiner.path.filter((s) => s === 'SupersedeApproval')).toHaveLength(2);
    expect(
      (await decideByLink(latestApprovalLink(environment.sandbox.outbox) ?? '', { decision: 'REJECTED' }))
        .status,
    ).toBe(303);
    expect((await owner.execution).path.filter((s) => s === 'RequestApproval')).toHaveLength(2);
  });
});

describe('a decision the page recorded but could not deliver', () => {
  it('is acted on when the wait ends, not reported as expired', async () => {
    const environment = await approveEnvironment();
    const owner = await startUntilApprovalWaits(environment, sampleEvent('put-bucket-policy-public'));
    // Step Functions refuses SendTaskSuccess for good: the decision is recorded, not delivered.
    environment.sandbox.injectFault({
      service: 'sfn',
      operation: 'SendTaskSuccess',
      error: 'AccessDeniedException',
      times: 100,
    });

    const decided = await decideByLink(owner.link, { decision: 'APPROVED' });
    expect(decided.status).toBe(303);
    expect(decided.page).toMatch(/deliver/i);
    expect(environment.taskTokens.waiting()).toHaveLength(1);

    // The wait's timeout comes: ApprovalExpired finds the decision made in time.
    for (const { token } of environment.taskTokens.waiting()) environment.taskTokens.expire(token);
    const record = await owner.execution;
    expect(record.path).toEqual(
      expect.arrayContaining([
        'ApprovalExpired',
        'WasItDecidedInTime?',
        'WhatDidTheApproverDecide?',
        'RemediateExposure',
      ]),
    );
    const [incident] = (await environment.store.listIncidents()).filter((i) => i.bucket === BUCKET);
    expect(incident).toMatchObject({ closedReason: 'REMEDIATED', decision: { decision: 'APPROVED' } });
    expect(environment.sandbox.outbox.some((m) => m.subject.startsWith('Approval expired'))).toBe(false);
  });
});
