import { ConfigError } from './env';
import { loadMesiboAccountsConfig } from './mesibo.config';

describe('MESIBO_USER_DELETE_OP', () => {
  it('is userdel by default, and takes another op name or none', () => {
    expect(loadMesiboAccountsConfig({})).toEqual({ userDeleteOp: 'userdel' });
    expect(loadMesiboAccountsConfig({ MESIBO_USER_DELETE_OP: 'deluser' })).toEqual({ userDeleteOp: 'deluser' });
    expect(loadMesiboAccountsConfig({ MESIBO_USER_DELETE_OP: 'none' })).toEqual({ userDeleteOp: 'none' });
  });

  it.each(['user del', 'UserDel', 'userdel&token=x', 'x'.repeat(40)])('refuses %p, naming the variable', (value) => {
    expect(() => loadMesiboAccountsConfig({ MESIBO_USER_DELETE_OP: value })).toThrow(ConfigError);
    expect(() => loadMesiboAccountsConfig({ MESIBO_USER_DELETE_OP: value })).toThrow(/MESIBO_USER_DELETE_OP must be a mesibo op name/);
  });
});
