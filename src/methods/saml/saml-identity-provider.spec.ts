import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Clock } from '../../common/clock';
import { NotFoundError, ProviderUnavailableError } from '../../common/errors';
import { SamlIdentityProvider } from './saml-identity-provider';
import { IdpDescriptor } from './saml-idp-metadata';
import { loadSamlSettings, SamlSettings } from './saml.settings';

/** A self-signed certificate made for these tests, in base64 DER as metadata carries it. */
const CERT_DER = [
  'MIIDFTCCAf2gAwIBAgIUONkZnNF5U/vourBnEBzEYgdtsUkwDQYJKoZIhvcNAQELBQAwGTEXMBUGA1UEAwwOc2FtbC1zcGVj',
  'LnRlc3QwIBcNMjYxMjA1MDIwNDQyWhgPMjEyNjExMTEwMjA0NDJaMBkxFzAVBgNVBAMMDnNhbWwtc3BlYy50ZXN0MIIBIjAN',
  'BgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtGW2CWI8ZCngAW8GvyDJoyeuftBbyPNxz69fWVFoRNjtTm3dU37SKAttGZMO',
  '+9rlT026B5punzJHTuUu9YfaF/M5wvod1JrZXGGG+NA6wrocoqey07KGVQk1Hc5YXFRfSDvaso4uCySU7bczH6QwwRJfGvNn',
  'JAfsMAWmJjWW24zjrR2OTxzLtx+R4V0zSUt7d0WLswOG9I8h3UJPNLUKvdkqG7EOHNdcb0+NcXV+SLqJpIEWqJPvhGEPFUxy',
  'D5rLAFkdN2IvYy1lR22rhCS6XH37w2W96HH+fl91Yh3LMPE3Nh4oXIRZmyXsDeOYchLn8K5CJNsOlZgoci2PuhY7qQIDAQAB',
  'o1MwUTAdBgNVHQ4EFgQUQSW2oXXLX9opquqItd/YXgj+lVAwHwYDVR0jBBgwFoAUQSW2oXXLX9opquqItd/YXgj+lVAwDwYD',
  'VR0TAQH/BAUwAwEB/zANBgkqhkiG9w0BAQsFAAOCAQEAVUpZQz+G+532GmU8I6SkbcYxk4kgORnYz0HAGNujUrsteHuJ8Ks6',
  'Nl3u0dhPfLmWLOPiynYXs5bTqxdi7UvWxgc06TPYcYl1e7kagafI028XIahxnhxE0McR567Bh9Ss7vItpNqJIi4ZRWABo30Q',
  'gud8kaPoFutJ+YhUAzc03LL+NChdRZToo9aGIDaXqmoue2ErutXxHcLW0vyhiX12/4nHWroRFkMo9QUPIL/m/GC7iGUpvOl0',
  '3+8Krj5OCDSNkwdI3eJP1alavwSGiowQrS/xFeH4BxzaKyG+zF8KWQ2HOTgJv9bzLOe84U2+f0ooUy2kd9auoXL1ChHT6LAu',
  'ew==',
].join('');

class TestClock extends Clock {
  ms = Date.UTC(2026, 5, 1);
  now(): Date {
    return new Date(this.ms);
  }
}

describe('SamlIdentityProvider: the identity provider from its metadata URL', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: string };
  let requests = 0;
  const clock = new TestClock();
  let metadata: (ssoUrl: string) => string;

  beforeAll(async () => {
    metadata = (ssoUrl) => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml">
      <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
        <md:KeyDescriptor><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${CERT_DER}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
        <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>
      </md:IDPSSODescriptor></md:EntityDescriptor>`;
    server = createServer((_req, res) => {
      requests++;
      res.writeHead(answer.status, { 'content-type': 'application/samlmetadata+xml' }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metadata`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function provider(settings: SamlSettings = loadSamlSettings({ SAML_IDP_METADATA_URL: url, SAML_SP_ENTITY_ID: 'sp', SAML_CALLBACK_BASE_URL: 'https://sp.example.com' })) {
    return new SamlIdentityProvider(settings, clock);
  }

  it('answers not_found when SAML login is off', async () => {
    const off = provider({ enabled: false });
    expect(() => off.settingsOn()).toThrow(NotFoundError);
    await expect(off.descriptor()).rejects.toBeInstanceOf(NotFoundError);
  });

  it('fetches on first use, keeps it an hour, then fetches again; a failed refresh keeps the copy and waits a minute', async () => {
    const idp = provider();
    answer = { status: 200, body: metadata('https://idp.example.com/sso/1') };
    requests = 0;
    const first: IdpDescriptor = await idp.descriptor();
    expect(first.ssoUrl).toBe('https://idp.example.com/sso/1');
    expect(first.signingCerts).toHaveLength(1);

    answer = { status: 200, body: metadata('https://idp.example.com/sso/2') };
    clock.ms += 59 * 60_000;
    expect((await idp.descriptor()).ssoUrl).toBe('https://idp.example.com/sso/1');
    expect(requests).toBe(1);
    clock.ms += 2 * 60_000;
    expect((await idp.descriptor()).ssoUrl).toBe('https://idp.example.com/sso/2');
    expect(requests).toBe(2);

    answer = { status: 500, body: 'down' };
    clock.ms += 61 * 60_000;
    expect((await idp.descriptor()).ssoUrl).toBe('https://idp.example.com/sso/2');
    expect(requests).toBe(3);
    await idp.descriptor();
    expect(requests).toBe(3);
    clock.ms += 61_000;
    await idp.descriptor();
    expect(requests).toBe(4);
  });

  it('answers provider_unavailable while it has never had the metadata, and tries again on the next request', async () => {
    const idp = provider();
    answer = { status: 404, body: 'no' };
    await expect(idp.descriptor()).rejects.toBeInstanceOf(ProviderUnavailableError);
    answer = { status: 200, body: '<html>not metadata</html>' };
    await expect(idp.descriptor()).rejects.toBeInstanceOf(ProviderUnavailableError);
    answer = { status: 200, body: metadata('https://idp.example.com/sso/3') };
    expect((await idp.descriptor()).ssoUrl).toBe('https://idp.example.com/sso/3');
  });

  it('refuses metadata that wants signed AuthnRequests when we have no key', async () => {
    const idp = provider();
    answer = { status: 200, body: metadata('https://idp.example.com/sso').replace('protocolSupportEnumeration', 'WantAuthnRequestsSigned="true" protocolSupportEnumeration') };
    await expect(idp.descriptor()).rejects.toBeInstanceOf(ProviderUnavailableError);
  });
});
