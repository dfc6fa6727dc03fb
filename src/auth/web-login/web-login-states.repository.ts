import { Inject, Injectable } from '@nestjs/common';
import { Selectable } from 'kysely';
import { DB, Db } from '../../database/connection';
import { OidcLoginStatesTable } from '../../database/schema';

export type WebLoginStateRow = Selectable<OidcLoginStatesTable>;

/**
 * Web logins that were started and not yet finished, in the `oidc_login_states` table (named after
 * its first user): any instance finishes a login another one started. OpenID Connect keeps its
 * provider, PKCE verifier and nonce there; SAML its AuthnRequest ID (see src/methods/saml).
 */
@Injectable()
export class WebLoginStatesRepository {
  constructor(@Inject(DB) private readonly db: Db) {}

  async insert(row: WebLoginStateRow): Promise<void> {
    await this.db.insertInto('oidc_login_states').values(row).execute();
  }

  /** Deletes the row and returns it; undefined when there was none, or another request took it first. */
  async take(state: string): Promise<WebLoginStateRow | undefined> {
    const row = await this.db.selectFrom('oidc_login_states').selectAll().where('state', '=', state).executeTakeFirst();
    if (!row) return undefined;
    const deleted = await this.db.deleteFrom('oidc_login_states').where('state', '=', state).executeTakeFirst();
    return Number(deleted.numDeletedRows) === 1 ? row : undefined;
  }

  /** Logins that were started and never finished; returns how many. */
  async deleteExpired(now: number): Promise<number> {
    const result = await this.db.deleteFrom('oidc_login_states').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
