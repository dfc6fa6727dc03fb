import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { EmailAccountsRepository } from '../auth/email/email-accounts.repository';
import { SessionsRepository } from '../auth/sessions.repository';
import { WebLoginStatesRepository } from '../auth/web-login/web-login-states.repository';
import { Clock } from '../common/clock';
import { errorMessage } from '../common/errors';
import { cleanupConfig } from '../config';
import { CounterStore, DatabaseCounterStore } from '../database/counter-store';
import { OtpRepository } from '../otp/otp.repository';
import { AuditTrail } from '../audit/audit-trail';
import { PendingMesiboDeletions } from '../accounts/pending-mesibo-deletions';

const DAY_MS = 24 * 3600 * 1000;
const LEASE_KEY = 'cleanup-lease';

/** Rows deleted by one run, by kind; `mesiboDeletions`: deleted accounts whose mesibo user is now deleted too. */
export type CleanupReport = Record<'codes' | 'counters' | 'sessions' | 'webLogins' | 'unconfirmedEmailAccounts' | 'auditEvents' | 'mesiboDeletions', number>;

/**
 * Deletes what has expired: one-time codes, counters, sessions ended long ago, web logins never
 * finished, email registrations whose code never came back, and audit events past retention; and it
 * tries again to delete at mesibo the users of deleted accounts that mesibo could not take at the
 * time. Every instance schedules it; a
 * lease in the shared store lets one of them run per interval (deleting twice would be harmless,
 * only wasted work).
 */
@Injectable()
export class ExpiredRecordsCleanup implements OnApplicationBootstrap {
  private readonly logger = new Logger('Cleanup');

  constructor(
    private readonly codes: OtpRepository,
    private readonly sessions: SessionsRepository,
    private readonly webLogins: WebLoginStatesRepository,
    private readonly emailAccounts: EmailAccountsRepository,
    private readonly counters: CounterStore,
    private readonly audit: AuditTrail,
    private readonly mesiboDeletions: PendingMesiboDeletions,
    private readonly clock: Clock,
    private readonly scheduler: SchedulerRegistry,
    @Inject(cleanupConfig.KEY) private readonly config: ConfigType<typeof cleanupConfig>,
  ) {}

  onApplicationBootstrap(): void {
    const timer = setInterval(() => {
      this.runOnce().catch((error: unknown) => this.logger.warn(`Cleanup failed; the next run tries again: ${errorMessage(error)}`));
    }, this.config.intervalSeconds * 1000);
    timer.unref();
    this.scheduler.addInterval('expired-records-cleanup', timer);
  }

  /** One run, unless another instance holds this interval's lease: then `skipped`. */
  async runOnce(): Promise<CleanupReport | 'skipped'> {
    // A second shorter than the interval, so the next run's lease is free again in time.
    const lease = await this.counters.take(LEASE_KEY, 1, Math.max(1, this.config.intervalSeconds - 1));
    if (!lease.granted) return 'skipped';
    const now = this.clock.nowMs();
    const report: CleanupReport = {
      codes: await this.codes.deleteExpired(now),
      // Redis forgets its counters by itself.
      counters: this.counters instanceof DatabaseCounterStore ? await this.counters.purgeExpired() : 0,
      sessions: await this.sessions.deleteEndedBefore(now - this.config.endedSessionsKeptDays * DAY_MS),
      webLogins: await this.webLogins.deleteExpired(now),
      unconfirmedEmailAccounts: await this.emailAccounts.deleteUnconfirmedBefore(now - this.config.unconfirmedEmailAccountsKeptDays * DAY_MS),
      auditEvents: await this.audit.deleteBefore(now - this.config.auditRetentionDays * DAY_MS),
      // Last: it waits for mesibo, and the deletions above do not.
      mesiboDeletions: await this.mesiboDeletions.retryDue(),
    };
    const deleted = Object.entries(report).filter(([, count]) => count > 0);
    if (deleted.length > 0) this.logger.log(`Deleted expired records: ${deleted.map(([kind, count]) => `${count} ${kind}`).join(', ')}`);
    return report;
  }
}
