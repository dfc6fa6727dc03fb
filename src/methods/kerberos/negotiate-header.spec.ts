import { MAX_NEGOTIATE_TOKEN_LENGTH, readNegotiateHeader } from './negotiate-header';

describe('readNegotiateHeader', () => {
  it('reads the token of a Negotiate header, in any case of the scheme', () => {
    expect(readNegotiateHeader('Negotiate YIIC8gYGKwYBBQUCoA==')).toEqual({ kind: 'token', token: 'YIIC8gYGKwYBBQUCoA==' });
    expect(readNegotiateHeader('negotiate   YWJj ')).toEqual({ kind: 'token', token: 'YWJj' });
  });

  it.each([
    ['no header', undefined],
    ['an empty header', ''],
    ['a bearer token', 'Bearer YWJjZGVm'],
    ['basic credentials', 'Basic YWxpY2U6cHc='],
    ['a scheme that only starts with Negotiate', 'NegotiateX YWJj'],
    ['Negotiate without a token', 'Negotiate'],
  ])('finds no Negotiate token in %s', (_why, header) => {
    expect(readNegotiateHeader(header)).toEqual({ kind: 'absent' });
  });

  it.each([
    ['characters outside base64', 'Negotiate not*base64!'],
    ['a length that is not a multiple of 4', 'Negotiate YWJjZ'],
    ['two tokens', 'Negotiate YWJj YWJj'],
    ['padding in the middle', 'Negotiate YW==YWJj'],
    ['a token over the limit', `Negotiate ${'A'.repeat(MAX_NEGOTIATE_TOKEN_LENGTH + 4)}`],
  ])('calls a Negotiate header with %s malformed', (_why, header) => {
    expect(readNegotiateHeader(header)).toEqual({ kind: 'malformed' });
  });
});
