import { Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AuditTrail } from '../audit/audit-trail';
import { Clock } from '../common/clock';
import { InvalidRequestError, InvalidTokenError, NotFoundError } from '../common/errors';
import { isUniqueViolation } from '../common/infrastructure-errors';
import { DB, Db } from '../database/connection';
import { AdminKeyRow } from '../database/schema';
import { AdminActor, CLI_ACTOR, keyActor } from './admin-actor';

/** What every admin key starts with, so a leaked one is recognisable (secret scanners, logs). */
export const ADMIN_KEY_PREFIX = 'mpb_admin_';
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** last_used_at is written at most this often per key, so a busy script does not write on every call. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** SHA-256 of a key, hex: what is stored and looked up (see migration 0009-admin for why a plain hash). */
export function hashAdminKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Keys of the admin API. A key is 256 random bits, shown once when it is made; only its hash is
 * kept. A request's key is found by its hash, so no code of ours compares key bytes.
 */
@Injectable()
export class AdminKeysService {
  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly clock: Clock,
    private readonly audit: AuditTrail,
  ) {}

  /** Makes a key named `name`; returns the key itself, which is not kept. */
  async create(name: string, actor: AdminActor = CLI_ACTOR): Promise<string> {
    if (!KEY_NAME.test(name)) throw new InvalidRequestError('The key name must be 1 to 64 characters: letters, digits, and . _ - after the first.');
    const key = `${ADMIN_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    try {
      await this.db
        .insertInto('admin_keys')
        .values({ id: randomUUID(), name, key_hash: hashAdminKey(key), created_at: this.clock.nowMs(), last_used_at: null, revoked_at: null })
        .execute();
    } catch (error) {
      // Names stay taken after a revocation, so the audit trail's names always mean one key.
      if (isUniqueViolation(error)) throw new InvalidRequestError(`An admin key named "${name}" exists already (revoked keys keep their names).`);
      throw error;
    }
    await this.audit.record({ type: 'admin.key-created', method: actor, outcome: name });
    return key;
  }

  /** Revokes the key named `name`, at once on every instance; NotFoundError when there is no live one. */
  async revoke(name: string, actor: AdminActor = CLI_ACTOR): Promise<void> {
    const now = this.clock.nowMs();
    const result = await this.db.updateTable('admin_keys').set({ revoked_at: now }).where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) throw new NotFoundError(`A live admin key named "${name}"`);
    await this.audit.record({ type: 'admin.key-revoked', method: actor, outcome: name });
  }

  /** The live key a request presented, as the actor the audit trail names; InvalidTokenError otherwise. */
  async authenticate(key: string | undefined): Promise<AdminActor> {
    if (key === undefined || !key.startsWith(ADMIN_KEY_PREFIX)) throw new InvalidTokenError();
    const row = await this.db.selectFrom('admin_keys').selectAll().where('key_hash', '=', hashAdminKey(key)).where('revoked_at', 'is', null).executeTakeFirst();
    if (!row) throw new InvalidTokenError();
    await this.markUsed(row);
    return keyActor(row.name);
  }

  /** The keys, without anything secret, oldest first. */
  list(): Promise<Array<Omit<AdminKeyRow, 'key_hash'>>> {
    return this.db.selectFrom('admin_keys').select(['id', 'name', 'created_at', 'last_used_at', 'revoked_at']).orderBy('created_at').orderBy('name').execute();
  }

  private async markUsed(row: AdminKeyRow): Promise<void> {
    const now = this.clock.nowMs();
    if (row.last_used_at !== null && Number(row.last_used_at) > now - LAST_USED_RESOLUTION_MS) return;
    await this.db
      .updateTable('admin_keys')
      .set({ last_used_at: now })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - LAST_USED_RESOLUTION_MS)]))
      .execute();
  }
}
