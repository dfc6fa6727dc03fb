import { parseBeforeTokenAnswer } from './before-token-answer';

describe('the before-token hook answer', () => {
  it('reads a refusal, with or without a message', () => {
    expect(parseBeforeTokenAnswer('{"allow":false,"message":"  Your trial has ended. "}')).toEqual({ allow: false, message: 'Your trial has ended.' });
    expect(parseBeforeTokenAnswer('{"allow":false}')).toEqual({ allow: false });
  });

  it('reads an approval with an address and a name, normalized as logins normalize them', () => {
    expect(parseBeforeTokenAnswer('{"allow":true}')).toEqual({ allow: true });
    expect(parseBeforeTokenAnswer('{"allow":true,"address":" Ada@Example.ORG ","name":"Ada"}')).toEqual({ allow: true, address: 'ada@example.org', name: 'Ada' });
    expect(parseBeforeTokenAnswer('{"allow":true,"address":"+12015550142"}')).toEqual({ allow: true, address: '12015550142' });
    expect(parseBeforeTokenAnswer('{"allow":true,"address":"team-42","name":null}')).toEqual({ allow: true, address: 'team-42' });
  });

  it.each([
    ['not JSON', 'OK'],
    ['an array', '[true]'],
    ['no allow', '{"address":"x"}'],
    ['a string allow', '{"allow":"true"}'],
    ['a numeric allow', '{"allow":1}'],
    ['an address that is no string', '{"allow":true,"address":42}'],
    ['an empty address', '{"allow":true,"address":"  "}'],
    ['an address with a line break', '{"allow":true,"address":"a\\nb"}'],
    ['an address too long', JSON.stringify({ allow: true, address: 'a'.repeat(256) })],
    ['an email that is not one', '{"allow":true,"address":"a@@b"}'],
    ['a name with a control character', '{"allow":true,"name":"Ada\\u0007"}'],
    ['a message too long', JSON.stringify({ allow: false, message: 'm'.repeat(501) })],
    ['a message that is no string', '{"allow":false,"message":{"text":"no"}}'],
  ])('counts %s as no answer', (_case, body) => {
    expect(parseBeforeTokenAnswer(body)).toBeUndefined();
  });
});
