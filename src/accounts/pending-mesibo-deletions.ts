import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Clock } from '../common/clock';
import { DB, Db } from '../database/connection';
import { UserRow } from '../database/schema';
import { MesiboTokenService } from '../mesibo/mesibo-token.service';
import { Executor } from '../users/users.repository';

/** The first retry a minute after a failed attempt, then twice as long each time, at most six hours apart. */
const FIRST_RETRY_MS = 60_000;
const LONGEST_RETRY_MS = 6 * 3600_000;
/** Rows tried by one clean-up run; the rest wait for the next. */
const BATCH = 100;

/** When to try again after the `attempts`-th attempt failed. */
export function retryDelayMs(attempts: number): number {
  return Math.min(FIRST_RETRY_MS * 2 ** Math.max(0, attempts - 1), LONGEST_RETRY_MS);
}

/**
 * Users of deleted accounts still to be deleted at mesibo (`pending_mesibo_deletions`). A row is
 * written with the deletion, tried at once, and removed when mesibo confirmed it (or refused it for
 * good); when mesibo could not be reached, the clean-up tries it again later. Taking a row for an
 * attempt moves its next attempt on in one conditional statement, so however many requests and
 * instances try at once, one of them calls mesibo.
 */
@Injectable()
export class PendingMesiboDeletions {
  private readonly logger = new Logger(PendingMesiboDeletions.name);

  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly mesibo: MesiboTokenService,
    private readonly clock: Clock,
  ) {}

  /** Records a user to delete at mesibo, inside the caller's transaction; returns the row's id. */
  async add(user: Pick<UserRow, 'mesibo_uid' | 'address'>, now: number, executor: Executor): Promise<string> {
    const id = randomUUID();
    await executor
      .insertInto('pending_mesibo_deletions')
      .values({ id, mesibo_uid: user.mesibo_uid, address: user.address, created_at: now, attempts: 0, next_attempt_at: now })
      .execute();
    return id;
  }

  /** Tries one row now, if it is due and nobody else took it; true when it is done with. */
  async attempt(id: string): Promise<boolean> {
    const now = this.clock.nowMs();
    const row = await this.db.selectFrom('pending_mesibo_deletions').selectAll().where('id', '=', id).where('next_attempt_at', '<=', now).executeTakeFirst();
    if (!row) return false;
    const attempts = Number(row.attempts) + 1;
    const taken = await this.db
      .updateTable('pending_mesibo_deletions')
      .set({ attempts, next_attempt_at: now + retryDelayMs(attempts) })
      .where('id', '=', id)
      .where('attempts', '=', row.attempts)
      .where('next_attempt_at', '<=', now)
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) return false;

    const outcome = await this.mesibo.deleteUser({ uid: row.mesibo_uid, address: row.address });
    if (outcome === 'failed') return false;
    await this.db.deleteFrom('pending_mesibo_deletions').where('id', '=', id).execute();
    return true;
  }

  /** Tries the rows that are due (the clean-up's part); returns how many are done with. */
  async retryDue(): Promise<number> {
    const due = await this.db
      .selectFrom('pending_mesibo_deletions')
      .select('id')
      .where('next_attempt_at', '<=', this.clock.nowMs())
      .orderBy('next_attempt_at')
      .limit(BATCH)
      .execute();
    let done = 0;
    // One at a time: an outage of mesibo should not meet a burst of calls.
    for (const { id } of due) if (await this.attempt(id)) done++;
    const left = due.length - done;
    if (left > 0) this.logger.warn(`${left} deleted user(s) could not be deleted at mesibo yet; they are tried again later`);
    return done;
  }
}
