import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../audit/audit-trail';
import { failureOutcome, Metrics } from '../metrics/metrics';

/** Who asked: the client's rate-limit key, and the app and device it named (when it did). */
export interface LoginRequester {
  client?: string;
  appid?: string;
  device?: string;
}

/**
 * What an operator sees of logins: each attempt's outcome goes to the metrics and the audit trail
 * from this one place, whichever surface, method or step it ended in.
 */
@Injectable()
export class LoginEvents {
  constructor(
    private readonly metrics: Metrics,
    private readonly audit: AuditTrail,
  ) {}

  async succeeded(method: string, userId: string, requester: LoginRequester): Promise<void> {
    this.metrics.login(method, 'success');
    await this.audit.record({ type: 'login.succeeded', method, outcome: 'success', userId, ...fieldsOf(requester) });
  }

  /** `error` is what refused the login; its domain code is recorded, never its message. */
  async failed(method: string, error: unknown, requester: LoginRequester): Promise<void> {
    const outcome = failureOutcome(error);
    this.metrics.login(method, outcome);
    await this.audit.record({ type: 'login.failed', method, outcome, ...fieldsOf(requester) });
  }
}

function fieldsOf(requester: LoginRequester): { client?: string; appId?: string; device?: string } {
  return { client: requester.client, appId: requester.appid, device: requester.device };
}
