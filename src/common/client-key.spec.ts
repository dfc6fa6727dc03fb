import { clientKey } from './client-key';

describe('clientKey', () => {
  it('keeps an IPv4 address as it is', () => {
    expect(clientKey('203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('127.0.0.1', 128)).toBe('127.0.0.1');
  });

  it('reads IPv4-mapped IPv6, dotted or in hex, as the IPv4 address', () => {
    expect(clientKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(clientKey('::FFFF:cb00:7107')).toBe('203.0.113.7');
    expect(clientKey('0:0:0:0:0:ffff:203.0.113.7', 48)).toBe('203.0.113.7');
  });

  it('groups the addresses of one IPv6 /64 under one key by default', () => {
    const keys = new Set(
      ['2001:db8:1:2::1', '2001:db8:1:2::ffff', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:0DB8:0001:0002:ffff:ffff:ffff:ffff'].map((ip) =>
        clientKey(ip),
      ),
    );
    expect([...keys]).toEqual(['2001:db8:1:2:0:0:0:0/64']);
  });

  it('keeps different /64s apart', () => {
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db8:1:3::1'));
    expect(clientKey('2001:db8:1:2::1')).not.toBe(clientKey('2001:db9:1:2::1'));
  });

  it('honours the configured prefix, also inside a 16-bit group', () => {
    expect(clientKey('2001:db8:1:2::1', 48)).toBe(clientKey('2001:db8:1:ffff::1', 48));
    expect(clientKey('2001:db8:1:2::1', 48)).toBe('2001:db8:1:0:0:0:0:0/48');
    expect(clientKey('2001:db8:1:2::1', 56)).toBe('2001:db8:1:0:0:0:0:0/56');
    expect(clientKey('2001:db8:1:ff::1', 56)).toBe('2001:db8:1:0:0:0:0:0/56');
    expect(clientKey('2001:db8:1:1ff::1', 56)).toBe('2001:db8:1:100:0:0:0:0/56');
    expect(clientKey('2001:db8::1', 128)).toBe('2001:db8:0:0:0:0:0:1/128');
    expect(clientKey('2001:db8::1', 128)).not.toBe(clientKey('2001:db8::2', 128));
  });

  it('expands :: wherever it is, and drops a zone', () => {
    expect(clientKey('::1')).toBe('0:0:0:0:0:0:0:0/64');
    expect(clientKey('::1', 128)).toBe('0:0:0:0:0:0:0:1/128');
    expect(clientKey('fe80::1%eth0')).toBe('fe80:0:0:0:0:0:0:0/64');
    expect(clientKey('2001:db8::')).toBe('2001:db8:0:0:0:0:0:0/64');
    expect(clientKey('1:2:3:4:5:6::', 128)).toBe('1:2:3:4:5:6:0:0/128');
  });

  it('answers something usable for a missing or non-IP value instead of throwing', () => {
    expect(clientKey(undefined)).toBe('unknown');
    expect(clientKey('')).toBe('unknown');
    expect(clientKey('not-an-ip')).toBe('not-an-ip');
  });
});
