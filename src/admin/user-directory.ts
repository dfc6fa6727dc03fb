import { Inject, Injectable } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../common/clock';
import { InvalidRequestError } from '../common/errors';
import { appConfig } from '../config';
import { DB, Db } from '../database/connection';
import { IdentityRow, SessionRow, UserRow } from '../database/schema';
import { identifierForms } from './identifier-forms';

export interface UserSearch {
  /** The mesibo address, as an operator types it (see identifierForms). */
  address?: string;
  /** A login method: users with an identity of it (and `subject`, when given). */
  method?: string;
  subject?: string;
  /** Epoch ms: created at or after. */
  createdAfter?: number;
  /** Epoch ms: created before. */
  createdBefore?: number;
  limit: number;
  /** From the previous page's `nextCursor`. */
  cursor?: string;
}

export interface UserPage {
  users: UserRow[];
  /** Where the next page starts; null on the last page. */
  nextCursor: string | null;
}

/** A live session as operators see it: never its token, its hash or its sealed copy. */
export type AdminSessionView = Pick<SessionRow, 'id' | 'app_id' | 'device' | 'created_at' | 'expires_at' | 'login_method'>;

export interface UserDetails {
  user: UserRow;
  identities: IdentityRow[];
  sessions: AdminSessionView[];
}

/**
 * What operators look users up by. Pages are newest first and continue from a cursor (the last
 * user's creation time and id), never from an offset: users created while an operator pages
 * are not seen twice, and no one is skipped.
 */
@Injectable()
export class UserDirectory {
  constructor(
    @Inject(DB) private readonly db: Db,
    private readonly clock: Clock,
    @Inject(appConfig.KEY) private readonly app: ConfigType<typeof appConfig>,
  ) {}

  async search(search: UserSearch): Promise<UserPage> {
    const after = search.cursor === undefined ? undefined : decodeCursor(search.cursor);
    const addresses = search.address === undefined ? undefined : identifierForms(search.address, undefined, this.app.phoneDefaultRegion);
    const subjects = search.subject === undefined ? undefined : identifierForms(search.subject, search.method, this.app.phoneDefaultRegion);
    // Input that no login could have stored (a look-alike, a malformed number) matches nobody.
    if (addresses?.length === 0 || subjects?.length === 0) return { users: [], nextCursor: null };

    let query = this.db.selectFrom('users').selectAll('users');
    if (addresses) query = query.where('users.address', 'in', addresses);
    if (search.method !== undefined || subjects) {
      query = query.where((eb) => {
        let identities = eb
          .selectFrom('identities').select('identities.id').whereRef('identities.user_id', '=', 'users.id');
        if (search.method !== undefined) identities = identities.where('identities.method', '=', search.method);
        if (subjects) identities = identities.where('identities.subject', 'in', subjects);
        return eb.exists(identities);
      });
    }
    if (search.createdAfter !== undefined) query = query.where('users.created_at', '>=', search.createdAfter);
    if (search.createdBefore !== undefined) query = query.where('users.created_at', '<', search.createdBefore);
    if (after) {
      query = query.where((eb) =>
        eb.or([eb('users.created_at', '<', after.createdAt), eb.and([eb('users.created_at', '=', after.createdAt), eb('users.id', '<', after.id)])]),
      );
    }
    // One more than asked: whether there is a next page.
    const rows = await query.orderBy('users.created_at', 'desc').orderBy('users.id', 'desc').limit(search.limit + 1).execute();
    const users = rows.slice(0, search.limit);
    const last = users.at(-1);
    return { users, nextCursor: rows.length > search.limit && last ? encodeCursor(Number(last.created_at), last.id) : null };
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The user whose mesibo address the input stands for (see identifierForms). */
  async findByAddress(raw: string): Promise<UserRow | undefined> {
    const forms = identifierForms(raw, undefined, this.app.phoneDefaultRegion);
    if (forms.length === 0) return undefined;
    return this.db.selectFrom('users').selectAll().where('address', 'in', forms).executeTakeFirst();
  }

  async details(user: UserRow): Promise<UserDetails> {
    const [identities, sessions] = await Promise.all([
      this.db.selectFrom('identities').selectAll().where('user_id', '=', user.id).orderBy('created_at').orderBy('method').orderBy('subject').execute(),
      this.db
        .selectFrom('sessions')
        .select(['id', 'app_id', 'device', 'created_at', 'expires_at', 'login_method'])
        .where('user_id', '=', user.id)
        .where('revoked_at', 'is', null)
        .where('expires_at', '>', this.clock.nowMs())
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .execute(),
    ]);
    return { user, identities, sessions };
  }
}

function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(`${createdAt}.${id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: number; id: string } {
  const match = /^(\d{1,16})\.([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InvalidRequestError('The cursor is not valid: pass the nextCursor of a previous page.', ['cursor must be a nextCursor']);
  return { createdAt: Number(match[1]), id: match[2] };
}
