import { createHash, createHmac } from 'node:crypto';
import { radiusLibrary } from './radius-library';
import { ACCESS_ACCEPT, ACCESS_CHALLENGE, attributeValues, checkReply, encodeAccessRequest, RadiusReply, responseAuthenticator } from './radius-packet';

const SECRET = 'a-shared-secret-of-some-length';

/** RFC 2865 §7.1: "nemo" logs in with "arctangent"; the secret is "xyzzy5461". */
const RFC_REQUEST = Buffer.from('010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406c0a801100506000000 03'.replace(/ /g, ''), 'hex');
const RFC_ACCEPT = Buffer.from('0200002686fe220e7624ba2a1005f6bf9b55e0b20606000000010f06000000000e06c0a80103', 'hex');

function request(fields: Partial<Parameters<typeof encodeAccessRequest>[0]> = {}): Buffer {
  return encodeAccessRequest(
    {
      identifier: 42,
      authenticator: Buffer.alloc(16, 7),
      username: 'ada',
      password: 'correct horse',
      nasIdentifier: 'mesibo-backend',
      ...fields,
    },
    SECRET,
  );
}

type Attribute = [number, Buffer];

/** A reply to `req` signed the way a server does: Message-Authenticator over the reply with the request's authenticator, then the Response Authenticator. */
function reply(req: Buffer, attributes: Attribute[], options: { code?: number; identifier?: number; secret?: string; messageAuthenticator?: boolean } = {}): Buffer {
  const secret = options.secret ?? SECRET;
  const withMac = options.messageAuthenticator ?? true;
  const all: Attribute[] = withMac ? [[80, Buffer.alloc(16)], ...attributes] : attributes;
  const body = Buffer.concat(all.map(([type, value]) => Buffer.concat([Buffer.from([type, value.length + 2]), value])));
  const packet = Buffer.concat([Buffer.from([options.code ?? ACCESS_ACCEPT, options.identifier ?? req[1], 0, 0]), req.subarray(4, 20), body]);
  packet.writeUInt16BE(packet.length, 2);
  if (withMac) createHmac('md5', secret).update(packet).digest().copy(packet, 22);
  createHash('md5').update(packet).update(secret).digest().copy(packet, 4);
  return packet;
}

describe('encodeAccessRequest', () => {
  it('puts a valid Message-Authenticator first, HMAC-MD5 of the packet with it zeroed', () => {
    const packet = request();
    expect([packet[0], packet[1]]).toEqual([1, 42]);
    expect([packet[20], packet[21]]).toEqual([80, 18]);
    const zeroed = Buffer.from(packet);
    zeroed.fill(0, 22, 38);
    expect(packet.subarray(22, 38)).toEqual(createHmac('md5', SECRET).update(zeroed).digest());
    // The library, which checks a request's Message-Authenticator when it decodes one, agrees.
    expect(() => radiusLibrary().decode({ packet, secret: SECRET })).not.toThrow();
  });

  it('hides the password as RFC 2865 §5.2 says (its own example)', () => {
    const packet = encodeAccessRequest(
      { identifier: 0, authenticator: RFC_REQUEST.subarray(4, 20), username: 'nemo', password: 'arctangent', nasIdentifier: 'x' },
      'xyzzy5461',
    );
    const hidden = RFC_REQUEST.subarray(28, 44);
    expect(packet.includes(hidden)).toBe(true);
    expect(packet.includes(Buffer.from('arctangent'))).toBe(false);
  });

  it('carries the State of a challenge, and the NAS-Identifier', () => {
    const decoded = radiusLibrary().decode({ packet: request({ state: Buffer.from('the-state') }), secret: SECRET });
    expect(decoded.attributes).toMatchObject({ 'User-Name': 'ada', 'User-Password': 'correct horse', 'NAS-Identifier': 'mesibo-backend' });
    expect(Buffer.from(decoded.attributes.State as Buffer).toString()).toBe('the-state');
  });
});

describe('responseAuthenticator', () => {
  it('matches the Access-Accept of RFC 2865 §7.1', () => {
    expect(responseAuthenticator(RFC_ACCEPT, RFC_REQUEST.subarray(4, 20), 'xyzzy5461')).toEqual(RFC_ACCEPT.subarray(4, 20));
  });
});

describe('checkReply', () => {
  const req = request();

  it('takes a reply with the identifier, the Response Authenticator and the Message-Authenticator right', () => {
    const checked = checkReply(reply(req, [[18, Buffer.from('Enter your code')], [24, Buffer.from('s1')]], { code: ACCESS_CHALLENGE }), req, SECRET);
    expect(typeof checked).toBe('object');
    const ok = checked as RadiusReply;
    expect(ok.code).toBe(ACCESS_CHALLENGE);
    expect(attributeValues(ok, 'State')).toEqual([Buffer.from('s1')]);
    expect(attributeValues(ok, 'Reply-Message')).toEqual([Buffer.from('Enter your code')]);
  });

  it('ignores octets past the Length field (RFC 2865 §3)', () => {
    expect(typeof checkReply(Buffer.concat([reply(req, []), Buffer.from([0, 0, 0])]), req, SECRET)).toBe('object');
  });

  it('refuses a reply with a right Response Authenticator but no Message-Authenticator (Blast-RADIUS)', () => {
    expect(checkReply(reply(req, [[1, Buffer.from('ada')]], { messageAuthenticator: false }), req, SECRET)).toBe('no Message-Authenticator');
    // Not even the RFC's own example, which predates the requirement.
    expect(checkReply(RFC_ACCEPT, RFC_REQUEST, 'xyzzy5461')).toBe('no Message-Authenticator');
  });

  it('refuses a Message-Authenticator made with another secret', () => {
    const other = reply(req, [], { secret: 'another-secret-of-some-length' });
    // Re-sign the outer authenticator with the right secret, so only the HMAC is wrong.
    createHash('md5').update(Buffer.concat([other.subarray(0, 4), req.subarray(4, 20), other.subarray(20)])).update(SECRET).digest().copy(other, 4);
    expect(checkReply(other, req, SECRET)).toBe('wrong Message-Authenticator');
  });

  it('refuses two Message-Authenticators, and one of the wrong length', () => {
    const twice = reply(req, [[80, Buffer.alloc(16)]]);
    expect(checkReply(twice, req, SECRET)).toBe('wrong Message-Authenticator');
    const short = reply(req, [[80, Buffer.alloc(8)]], { messageAuthenticator: false });
    expect(checkReply(short, req, SECRET)).toBe('wrong Message-Authenticator');
  });

  it('refuses a reply whose attributes were changed after signing', () => {
    const packet = reply(req, [[25, Buffer.from('employee-1')]]);
    packet[packet.length - 1] ^= 1;
    expect(checkReply(packet, req, SECRET)).toBe('wrong Response Authenticator');
  });

  it('refuses a reply to another request: another identifier, or another Request Authenticator', () => {
    expect(checkReply(reply(req, [], { identifier: 43 }), req, SECRET)).toBe('another identifier');
    const otherRequest = request({ authenticator: Buffer.alloc(16, 9) });
    expect(checkReply(reply(otherRequest, []), req, SECRET)).toBe('wrong Response Authenticator');
  });

  /** A reply whose Length field says `length`. */
  const withLength = (packet: Buffer, length: number): Buffer => {
    packet.writeUInt16BE(length, 2);
    return packet;
  };

  it.each([
    ['shorter than a header', () => Buffer.alloc(19)],
    ['a Length beyond the datagram', () => reply(req, []).subarray(0, 30)],
    ['a Length below the header', () => withLength(reply(req, []), 12)],
    ['an attribute running past the end', () => withLength(Buffer.concat([reply(req, []), Buffer.from([1, 9, 0x61])]), 41)],
    ['an attribute of length 0', () => withLength(Buffer.concat([reply(req, []), Buffer.from([1, 0])]), 40)],
  ])('refuses a datagram with %s as malformed', (_case, make) => {
    expect(checkReply(make(), req, SECRET)).toBe('malformed');
  });

  it('refuses codes that do not answer an Access-Request', () => {
    expect(checkReply(reply(req, [], { code: 5 }), req, SECRET)).toBe('unexpected code');
  });
});
