import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/env';
import { loadSamlSettings, PERSISTENT_NAMEID, SamlOnSettings } from './saml.settings';
import { CERT } from '../../../test/support/saml-test-certificate';

// The key of CERT, and a second certificate, made for these tests (their dates are never checked here).
const KEY = [
  '-----BEGIN PRIVATE KEY-----',
  'MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQC0ZbYJYjxkKeAB',
  'bwa/IMmjJ65+0FvI83HPr19ZUWhE2O1Obd1TftIoC20Zkw772uVPTboHmm6fMkdO',
  '5S71h9oX8znC+h3UmtlcYYb40DrCuhyip7LTsoZVCTUdzlhcVF9IO9qyji4LJJTt',
  'tzMfpDDBEl8a82ckB+wwBaYmNZbbjOOtHY5PHMu3H5HhXTNJS3t3RYuzA4b0jyHd',
  'Qk80tQq92SobsQ4c11xvT41xdX5IuomkgRaok++EYQ8VTHIPmssAWR03Yi9jLWVH',
  'bauEJLpcffvDZb3ocf5+X3ViHcsw8Tc2HihchFmbJewN45hyEufwrkIk2w6VmChy',
  'LY+6FjupAgMBAAECggEAMEn1s4dXURygeOHGdY0KTKFHpWyS1TTNZ2GzbU5MUfmb',
  'dF4WW85b5RpB5xGldid/MH5G6Nge+oBT9DuHGXR3HegesyGOsKWOv5rfrWTYBd4Z',
  '4jRvuxlTuhmP3V2p63UuWEClZxyGGLd/Ii7jAXpLDrOjP6yeFFgGkkhA1ION0VDu',
  'xt5aWzKpaYKP+3u/aeUdOY44tM5ro3s3MPladPR3MbV3Kpmj/FtDMoYu/C4PYs8h',
  'RlnUJlSUwMavXPi3fAFVOTYYdHTef7+9r4HJBrDzQtpaPs53H+cGBvvBmL/e3ZyL',
  'FQQYlXUP5mGU+1fg8+RT04g/QrzbmGrgoYEXFFzVXQKBgQDumMmMraRzDklF6wvF',
  '8zv4UmrEdIs63QICm1LMQkKmD9mkv+v4n/7RUVjBf/9Skolu/wOR7cjhOigKWysq',
  'OhEUez49qpLPWZgH2/rXPVbnlt7/vibB2cbASToCwYOoU+szwGUmJNpMJafld8Fk',
  'M+7zk7+MphEB5q8N+aHcI9XDswKBgQDBjjClGtofiodFHhZQQhNRuSdi3/rwdzzh',
  'rGzfCYThTIYVCZJo06PEoUr9O2q1C67ZKXNiQmSC99NsBPIYf9ooxeCcAcQUvp3/',
  'WfllO9DnMKZO/gqcwvH115wx30GjEWQJ8gkR9HSUZC2kzUCYrFNxf2KBU5fUxkf8',
  'ChyzZ7tFMwKBgQDNkaQtabpDSy7EZ9PX9E5aECBfLQ58Y8iEmHCI/hnQW92n/ZeA',
  'udDhZZXz+aTw7sIseNkJlPa7XtD6wzv4gNkQbXLdzKX6snWzZ8vCQN4sYKe3boyT',
  '/l8ocq7hivs1P0BpcT101NGkQ9lZcomUHM6m3EhwFPCYU7nFb6wOMG3P0wKBgGIr',
  'lFCphehpgqJz2C1s1g+lMWzc3ZIJaD+uDKozUcpT3c3dxPyWG4InrLkz4bNh8ZUD',
  'iRpVQlWLDRjEiWYTsrrrYji+TI2ZANn68Jt/8zzPWArInulTlxVx/i7tZYUn1O2W',
  'bTNGIbsB9ISZ9iF5hfkS+wtNMr0gtHIJTvVPr5QxAoGBAJVtI8Fa3909rmfqa60p',
  'jE7XpkCrYBRx+hKHqk+kxWhEShGYqrshEk+gsclIBH7K09WMfdm4vmVWy1csu4bW',
  'nIoSUrF09fDB0zdMeRUEdrO7DHIY1bJIRHWvbxN3gye/fVGxPUGr0/KAJknvoLEj',
  'rjkJscgyB8WmjVayxSR+TQ3b',
  '-----END PRIVATE KEY-----',
].join('\n');
const OTHER_CERT = [
  '-----BEGIN CERTIFICATE-----',
  'MIIDDTCCAfWgAwIBAgIUXY2XopO4E939nntk10tJTyY0wkYwDQYJKoZIhvcNAQEL',
  'BQAwFTETMBEGA1UEAwwKb3RoZXIudGVzdDAgFw0yNjEyMDUwMjA0NDJaGA8yMTI2',
  'MTExMTAyMDQ0MlowFTETMBEGA1UEAwwKb3RoZXIudGVzdDCCASIwDQYJKoZIhvcN',
  'AQEBBQADggEPADCCAQoCggEBALVFktQTgGhH9+Rm9nxSy9Gs4tufpNQKka5j4e0C',
  'JGRqOuKDsMfP31NYe1Yx9pMSx/CwuxYkg13DJQbG8HKuy9qOK0+uopAzp1DKFbpH',
  'vlBjliD9YQByy0HtsXTnav+ldISlIzPxJYBgp8GpgDJSA219W5G/hTKr57lcQC/5',
  '+VIl5BEcXmewQbK5gz7oxjpwnPJAe3zNiOIMCJnpXtXj712vyC7+J/kaHSeZeUhO',
  'X+V+x+VSacFJJmqUkZqAVHzfcsDh8dJeLcZ8r8+rGYWH2FXUo8RQjZfEIE4NmB4j',
  'Z3DjNE7txvEV+8JhKYlrekHbOhPPJu/Vpc4rA7w7jd7v5icCAwEAAaNTMFEwHQYD',
  'VR0OBBYEFAbQo8BvMeV7163bLuaA8kmevqvgMB8GA1UdIwQYMBaAFAbQo8BvMeV7',
  '163bLuaA8kmevqvgMA8GA1UdEwEB/wQFMAMBAf8wDQYJKoZIhvcNAQELBQADggEB',
  'ALI7pFDo591jA0uE7e5gBqnnCRIXK6GXo9HgwaygVEdINny05fWkThOct58TRQms',
  'BLcwlynA4rIFp99TDfCm33MSVX7068j0nmNMISOi+BkF2NDHhhoiDqmf0VkUPveT',
  'bG1vLYm5YnuOX8FrA1njrpet/URd4fI54T1YMSC+Bsgg6GIwpjmU/ok++CreCGCd',
  'ynGUbhujp+3sVxjsE0Nn/EhYMsf4SgPXKvWYvzVZ5iXI9m6Ap+8lCHrOmk3K/MDq',
  'tmE5Vuc36Yn90KUsMBRR+auA8ybnIPb/TWpKY7iT40z9EbakMZfBvciHQm64Bv+p',
  'jAqzWXDcsX1PJA/2yy4yY8U=',
  '-----END CERTIFICATE-----',
].join('\n');

/** The ConfigError a load throws; fails the test when it returns. */
function problemsOf(env: NodeJS.ProcessEnv): string {
  try {
    loadSamlSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('expected the settings to be refused');
}

function on(env: NodeJS.ProcessEnv): SamlOnSettings {
  const settings = loadSamlSettings(env);
  if (!settings.enabled) throw new Error('expected SAML login to be on');
  return settings;
}

describe('SAML settings', () => {
  let dir: string;
  let files: Record<'metadata' | 'signedRequestsMetadata' | 'key' | 'cert' | 'otherCert' | 'garbage', string>;
  const der = CERT.replace(/-----[^-]+-----|\s/g, '');
  const metadata = (attributes = '') => `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml">
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"${attributes}>
      <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${der}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.com/sso"/>
    </md:IDPSSODescriptor></md:EntityDescriptor>`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'saml-settings-'));
    const contents = {
      metadata: metadata(),
      signedRequestsMetadata: metadata(' WantAuthnRequestsSigned="true"'),
      key: KEY,
      cert: CERT,
      otherCert: OTHER_CERT,
      garbage: 'not a PEM file',
    };
    files = Object.fromEntries(
      Object.entries(contents).map(([name, content]) => {
        const path = join(dir, name);
        writeFileSync(path, content);
        return [name, path];
      }),
    ) as typeof files;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const BASE = { SAML_SP_ENTITY_ID: 'https://chat.example.com/saml', SAML_CALLBACK_BASE_URL: 'https://chat.example.com/' };

  it('is off without identity provider metadata, and says so when other SAML settings are set', () => {
    expect(loadSamlSettings({})).toEqual({ enabled: false });
    expect(loadSamlSettings({ SAML_IDP_METADATA_URL: '', SAML_SP_ENTITY_ID: '' })).toEqual({ enabled: false });
    expect(problemsOf({ SAML_SP_ENTITY_ID: 'https://chat.example.com/saml' })).toContain(
      'SAML_SP_ENTITY_ID is set, but neither SAML_IDP_METADATA_URL nor SAML_IDP_METADATA_FILE is',
    );
  });

  it('with a metadata URL: the defaults, and the URLs of our endpoints', () => {
    expect(on({ ...BASE, SAML_IDP_METADATA_URL: 'https://idp.example.com/metadata' })).toEqual({
      enabled: true,
      idp: { metadataUrl: 'https://idp.example.com/metadata' },
      idpEntityId: undefined,
      spEntityId: 'https://chat.example.com/saml',
      acsUrl: 'https://chat.example.com/v1/auth/saml/acs',
      metadataUrl: 'https://chat.example.com/v1/auth/saml/metadata',
      returnUrls: [],
      signing: undefined,
      nameIdFormat: PERSISTENT_NAMEID,
      attributes: { subject: 'NameID', address: undefined, displayName: undefined },
      trustAddress: false,
      clockSkewSeconds: 60,
    });
  });

  it('with a metadata file: read and checked at start-up', () => {
    expect(on({ ...BASE, SAML_IDP_METADATA_FILE: files.metadata }).idp).toEqual({
      metadata: { entityId: 'https://idp.example.com/saml', ssoUrl: 'https://idp.example.com/sso', signingCerts: [expect.stringContaining(der.slice(0, 64))], wantsSignedRequests: false },
    });
    expect(problemsOf({ ...BASE, SAML_IDP_METADATA_FILE: join(dir, 'missing.xml') })).toContain('SAML_IDP_METADATA_FILE: ');
    expect(problemsOf({ ...BASE, SAML_IDP_METADATA_FILE: files.garbage })).toMatch(/SAML_IDP_METADATA_FILE: .*not/);
    expect(problemsOf({ ...BASE, SAML_IDP_METADATA_FILE: files.metadata, SAML_IDP_ENTITY_ID: 'https://other.example.com' })).toContain(
      'SAML_IDP_METADATA_FILE: the metadata describes no SAML 2.0 identity provider with entityID https://other.example.com',
    );
  });

  it('names every missing or bad setting at once', () => {
    const message = problemsOf({ SAML_IDP_METADATA_URL: 'idp.example.com/metadata', SAML_IDP_METADATA_FILE: files.metadata, SAML_CLOCK_SKEW_SECONDS: '900' });
    for (const variable of ['SAML_IDP_METADATA_URL must be', 'SAML_SP_ENTITY_ID must be set', 'SAML_CALLBACK_BASE_URL must be set', 'SAML_CLOCK_SKEW_SECONDS must be at most 300']) {
      expect(message).toContain(variable);
    }
    expect(problemsOf({ ...BASE, SAML_IDP_METADATA_URL: 'https://idp.example.com/m', SAML_IDP_METADATA_FILE: files.metadata })).toContain(
      'SAML_IDP_METADATA_URL and SAML_IDP_METADATA_FILE are both set',
    );
  });

  it('reads a signing key with its certificate, and refuses half a pair, non-PEM files and a certificate of another key', () => {
    const url = { ...BASE, SAML_IDP_METADATA_URL: 'https://idp.example.com/metadata' };
    expect(on({ ...url, SAML_SP_PRIVATE_KEY_FILE: files.key, SAML_SP_CERT_FILE: files.cert }).signing).toEqual({ privateKey: KEY, certificate: CERT });
    expect(problemsOf({ ...url, SAML_SP_PRIVATE_KEY_FILE: files.key })).toContain('SAML_SP_PRIVATE_KEY_FILE and SAML_SP_CERT_FILE go together');
    expect(problemsOf({ ...url, SAML_SP_PRIVATE_KEY_FILE: files.garbage, SAML_SP_CERT_FILE: files.cert })).toContain('SAML_SP_PRIVATE_KEY_FILE: ');
    expect(problemsOf({ ...url, SAML_SP_PRIVATE_KEY_FILE: files.key, SAML_SP_CERT_FILE: files.garbage })).toContain('SAML_SP_CERT_FILE: ');
    expect(problemsOf({ ...url, SAML_SP_PRIVATE_KEY_FILE: files.key, SAML_SP_CERT_FILE: files.otherCert })).toContain(
      'SAML_SP_CERT_FILE is not the certificate of the key in SAML_SP_PRIVATE_KEY_FILE',
    );
  });

  it('needs a signing key when the identity provider wants signed AuthnRequests', () => {
    const signed = { ...BASE, SAML_IDP_METADATA_FILE: files.signedRequestsMetadata };
    expect(problemsOf(signed)).toContain('the identity provider wants signed AuthnRequests');
    expect(on({ ...signed, SAML_SP_PRIVATE_KEY_FILE: files.key, SAML_SP_CERT_FILE: files.cert }).idp).toMatchObject({ metadata: { wantsSignedRequests: true } });
  });

  it('checks the return URLs as OIDC_RETURN_URLS are checked', () => {
    const url = { ...BASE, SAML_IDP_METADATA_URL: 'https://idp.example.com/metadata' };
    expect(on({ ...url, SAML_RETURN_URLS: 'https://chat.example.com/done, com.example.app:/saml' }).returnUrls).toEqual([
      'https://chat.example.com/done',
      'com.example.app:/saml',
    ]);
    expect(problemsOf({ ...url, SAML_RETURN_URLS: 'https://chat.example.com/done#x' })).toContain('must not have a #fragment');
    expect(problemsOf({ ...url, SAML_RETURN_URLS: 'javascript:alert(1)' })).toContain('must be a web or app URL');
    expect(problemsOf({ ...url, SAML_RETURN_URLS: '/relative' })).toContain('is not an absolute URL');
  });

  it('reads the attribute names, SAML_TRUST_ADDRESS and the clock skew', () => {
    const settings = on({
      ...BASE,
      SAML_IDP_METADATA_URL: 'https://idp.example.com/metadata',
      SAML_SUBJECT_ATTRIBUTE: 'uid',
      SAML_ADDRESS_ATTRIBUTE: 'urn:oid:0.9.2342.19200300.100.1.3',
      SAML_DISPLAY_NAME_ATTRIBUTE: 'displayName',
      SAML_TRUST_ADDRESS: 'yes',
      SAML_CLOCK_SKEW_SECONDS: '0',
    });
    expect(settings).toMatchObject({
      attributes: { subject: 'uid', address: 'urn:oid:0.9.2342.19200300.100.1.3', displayName: 'displayName' },
      trustAddress: true,
      clockSkewSeconds: 0,
    });
    expect(problemsOf({ ...BASE, SAML_IDP_METADATA_URL: 'https://idp.example.com/metadata', SAML_TRUST_ADDRESS: 'sure' })).toContain('SAML_TRUST_ADDRESS must be true or false');
    expect(problemsOf({ ...BASE, SAML_IDP_METADATA_URL: 'https://idp.example.com/metadata', SAML_NAMEID_FORMAT: 'persistent' })).toContain('SAML_NAMEID_FORMAT must be');
  });
});
