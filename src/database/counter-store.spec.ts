import { isWellFormedText } from '../common/field-rules';
import { columnKey } from './counter-store';
describe('columnKey', () => {
  it('keeps a key that fits the column', () => {
    const key = `password-failures:${'a'.repeat(200)}`;
    expect(columnKey(key)).toBe(key);
  });

  it('shortens a longer key to one that fits, distinct for distinct keys and the same for the same key', () => {
    const a = `password-failures-strikes:${'a'.repeat(254)}:by:ffff:ffff:ffff:ffff::`;
    const b = `${a.slice(0, -1)}1`;
    expect(columnKey(a).length).toBeLessThanOrEqual(255);
    expect(columnKey(a)).toBe(columnKey(a));
    expect(columnKey(a)).not.toBe(columnKey(b));
    expect(columnKey(columnKey(a))).toBe(columnKey(a));
  });

  it('never cuts a surrogate pair in half', () => {
    const key = `${'x'.repeat(159)}${'😀'.repeat(100)}`;
    expect(isWellFormedText(columnKey(key))).toBe(true);
  });
});
