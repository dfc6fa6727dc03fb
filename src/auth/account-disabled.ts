import { UserRow } from '../database/schema';

/** Whether an operator has disabled the user (admin API, CLI): no login and no token reaches it then. */
export function isDisabled(user: Pick<UserRow, 'disabled_at'> | undefined): boolean {
  return user?.disabled_at !== null && user?.disabled_at !== undefined;
}
