import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import request from 'supertest';
import { TestBrowser } from './support/oidc-browser';
import { describeWithPrograms } from './support/server-software';
import { makeCertificate, SIMPLESAMLPHP_INSTALL, simpleSamlPhpSoftware, startSimpleSamlPhp, TestIdp } from './support/simplesamlphp';
import { startTestApp, TestApp } from './support/test-app';
import { Metrics } from '../src/metrics/metrics';

/** The service's public URL; the test browser resolves its host to whichever instance a test uses. */
const PUBLIC_HOST = 'mesibo-backend.test';
const PUBLIC_URL = `http://${PUBLIC_HOST}`;
const ACS_URL = `${PUBLIC_URL}/v1/auth/saml/acs`;
const SP_ENTITY_ID = 'https://mesibo-backend.test/saml';
/** Another service provider the identity provider knows, with the same ACS URL: its assertions are not for us. */
const OTHER_SP_ENTITY_ID = 'https://other-service.test/saml';
/** A service provider for which the identity provider signs the Response only, not the assertion. */
const RESPONSE_SIGNED_SP_ENTITY_ID = 'https://response-signed-only.test/saml';
const APPID = 'com.mesibo.firstapp';
const RETURN_URL = 'https://chat.example.com/login-done';
const ALICE = { username: 'alice', password: 'alice-password-0123' };

describeWithPrograms('SAML 2.0 login (SimpleSAMLphp 1.19 as the identity provider)', simpleSamlPhpSoftware(), SIMPLESAMLPHP_INSTALL)(
  'SAML 2.0 login (SimpleSAMLphp 1.19 as the identity provider)',
  () => {
    let dir: string;
    let idp: TestIdp;
    /** The service, signing its AuthnRequests, with the identity provider's metadata from its URL. */
    let a: TestApp;
    /**
     * A second instance of the same service on the same database (and Redis, with E2E_REDIS_URL).
     * All instances share the database: Passport keeps one strategy registry per process, so the
     * bearer tokens of /v1/me are checked by the last instance built, whichever the request reached.
     */
    let b: TestApp;
    /** An instance configured as the other service provider, on the same database, with the default address. */
    let other: TestApp;
    /** A service provider that gets unsigned assertions (in a signed Response); metadata from a file. */
    let responseSignedOnly: TestApp;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'saml-e2e-'));
      const spKey = join(dir, 'sp.key');
      const spCert = join(dir, 'sp.crt');
      await makeCertificate(spKey, spCert, PUBLIC_HOST);
      idp = await startSimpleSamlPhp({
        users: [
          { ...ALICE, attributes: { uid: ['alice'], mail: ['Alice@Example.com'], displayName: ['Alice Example'] } },
          { username: 'bob', password: 'bob-password-0123', attributes: { uid: ['bob'], mail: ['bob@example.com'], displayName: ['Bob'] } },
          { username: 'carol', password: 'carol-password-0123', attributes: { uid: ['carol'], displayName: ['Carol'] } },
        ],
        serviceProviders: [
          { entityId: SP_ENTITY_ID, acsUrl: ACS_URL, requestSigningCert: readFileSync(spCert, 'utf8') },
          { entityId: OTHER_SP_ENTITY_ID, acsUrl: ACS_URL },
          { entityId: RESPONSE_SIGNED_SP_ENTITY_ID, acsUrl: ACS_URL, signAssertion: false, signResponse: true },
        ],
      });
      const service = {
        SAML_IDP_METADATA_URL: idp.metadataUrl,
        SAML_IDP_METADATA_FILE: '',
        SAML_SP_ENTITY_ID: SP_ENTITY_ID,
        SAML_CALLBACK_BASE_URL: PUBLIC_URL,
        SAML_RETURN_URLS: RETURN_URL,
        SAML_SP_PRIVATE_KEY_FILE: spKey,
        SAML_SP_CERT_FILE: spCert,
        // The identity provider's mail attribute is the address of new users, and proves it.
        SAML_ADDRESS_ATTRIBUTE: 'mail',
        SAML_TRUST_ADDRESS: 'true',
        SAML_DISPLAY_NAME_ATTRIBUTE: 'displayName',
      };
      a = await startTestApp(service);
      // The same database and the same Redis prefix: another instance behind the same load balancer.
      const shared = { DATABASE_URL: process.env.DATABASE_URL!, REDIS_KEY_PREFIX: process.env.REDIS_KEY_PREFIX! };
      b = await startTestApp({ ...service, ...shared });
      // The defaults for the address: saml:<subject>.
      other = await startTestApp({
        ...service,
        ...shared,
        SAML_SP_ENTITY_ID: OTHER_SP_ENTITY_ID,
        SAML_SP_PRIVATE_KEY_FILE: '',
        SAML_SP_CERT_FILE: '',
        SAML_ADDRESS_ATTRIBUTE: '',
        SAML_TRUST_ADDRESS: '',
      });
      const metadataFile = join(dir, 'idp-metadata.xml');
      writeFileSync(metadataFile, idp.metadataXml);
      responseSignedOnly = await startTestApp({
        ...service,
        ...shared,
        SAML_IDP_METADATA_URL: '',
        SAML_IDP_METADATA_FILE: metadataFile,
        SAML_SP_ENTITY_ID: RESPONSE_SIGNED_SP_ENTITY_ID,
        SAML_SP_PRIVATE_KEY_FILE: '',
        SAML_SP_CERT_FILE: '',
      });
    }, 60_000);

    afterAll(async () => {
      // The instances on the first one's database before it, which drops it.
      for (const app of [b, other, responseSignedOnly, a]) await app?.close();
      await idp?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /**
     * The identity provider's clock is the real one; each instance's is a test clock, set to real
     * time before each answer is posted (and moved from there by the tests about time).
     */
    function syncClock(app: TestApp): void {
      app.clock.advance((Date.now() - app.clock.nowMs()) / 1000);
    }

    function expectProblem(res: request.Response, status: number, code: string) {
      expect({ status: res.status, type: res.headers['content-type'], code: res.body.code }).toEqual({
        status,
        type: expect.stringMatching(/^application\/problem\+json/),
        code,
      });
    }

    /** A browser that reaches `app` at the service's public URL. */
    const browserFor = (app: TestApp) => new TestBrowser({ [PUBLIC_HOST]: app.url });

    interface IdpAnswer {
      /** The page of the identity provider that posts the answer to our ACS. */
      form: Awaited<ReturnType<TestBrowser['open']>>;
      browser: TestBrowser;
      SAMLResponse: string;
      RelayState: string;
      /** The Cookie header the browser sends to the ACS. */
      cookie: string;
    }

    /** A login started at `app`, through the identity provider's login form, up to its answer (not yet posted). */
    async function untilAnswer(app: TestApp, user = ALICE, query: Record<string, string> = {}): Promise<IdpAnswer> {
      syncClock(app);
      const browser = browserFor(app);
      const loginForm = await browser.open(`${PUBLIC_URL}/v1/auth/saml/login?${new URLSearchParams({ appid: APPID, ...query }).toString()}`);
      expect(loginForm.body).toContain('name="password"');
      const form = await browser.submit(loginForm, { username: user.username, password: user.password });
      expect(form.body).toContain(`action="${ACS_URL}"`);
      const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(form.body)?.[1] ?? '';
      return { form, browser, SAMLResponse: field('SAMLResponse'), RelayState: field('RelayState'), cookie: browser.cookieHeader(ACS_URL) };
    }

    /** Posts an answer to `app`'s ACS as the browser would, with the browser's cookie. */
    function post(app: TestApp, answer: { SAMLResponse: string; RelayState: string; cookie: string }) {
      syncClock(app);
      return postAsIs(app, answer);
    }

    /** Posts an answer without setting the instance's clock first. */
    function postAsIs(app: TestApp, answer: { SAMLResponse: string; RelayState: string; cookie: string }) {
      return request(app.url).post('/v1/auth/saml/acs').type('form').set('cookie', answer.cookie).send(fields(answer));
    }

    /** The answer with its XML changed by `edit`. */
    function edited(answer: IdpAnswer, edit: (xml: string) => string): IdpAnswer {
      const xml = Buffer.from(answer.SAMLResponse, 'base64').toString('utf8');
      const changed = edit(xml);
      expect(changed).not.toBe(xml);
      return { ...answer, SAMLResponse: Buffer.from(changed, 'utf8').toString('base64') };
    }

    /** Nest's Logger is one per process: the lines of every instance end up in the last one built. */
    const logs = () => [a, b, other, responseSignedOnly].flatMap((app) => app.logs.lines).join('\n');
    /** Where each app's log ends now; `logsSince` gives what they all logged after it. */
    const logMark = () => [a, b, other, responseSignedOnly].map((app) => app.logs.lines.length);
    const logsSince = (mark: number[]) => [a, b, other, responseSignedOnly].flatMap((app, i) => app.logs.lines.slice(mark[i])).join('\n');

    const me = (app: TestApp, token: string) => request(app.url).get('/v1/me').auth(token, { type: 'bearer' });

    describe('the service provider', () => {
      it('publishes its metadata: entityID, the ACS for HTTP-POST, signed assertions wanted, its signing certificate', async () => {
        const res = await request(a.url).get('/v1/auth/saml/metadata');
        expect(res.status).toBe(200);
        expect(res.headers['content-type']).toMatch(/^application\/samlmetadata\+xml/);
        const xml = res.text;
        expect(xml).toContain(`entityID="${SP_ENTITY_ID}"`);
        expect(xml).toMatch(/AuthnRequestsSigned="true"/);
        expect(xml).toMatch(/WantAssertionsSigned="true"/);
        expect(xml).toContain(`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="${ACS_URL}"`);
        expect(xml).toContain('urn:oasis:names:tc:SAML:2.0:nameid-format:persistent');
        expect(xml).toContain('<ds:X509Certificate>');
        // Without a key of its own, nothing to publish.
        expect((await request(other.url).get('/v1/auth/saml/metadata')).text).not.toContain('X509Certificate');
      });

      it('redirects to the identity provider with a signed AuthnRequest whose ID is the RelayState, and binds the login to the browser', async () => {
        const res = await request(a.url).get('/v1/auth/saml/login').query({ appid: APPID });
        expect(res.status).toBe(302);
        const location = new URL(res.headers.location);
        expect(location.origin + location.pathname).toBe(`${idp.url}/saml2/idp/SSOService.php`);
        const params = Object.fromEntries(location.searchParams);
        expect(params).toEqual({
          SAMLRequest: expect.any(String),
          RelayState: expect.stringMatching(/^_[\w-]{43}$/),
          SigAlg: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
          Signature: expect.any(String),
        });
        const authnRequest = inflateRawSync(Buffer.from(params.SAMLRequest, 'base64')).toString('utf8');
        expect(authnRequest).toContain(`ID="${params.RelayState}"`);
        expect(authnRequest).toContain(`AssertionConsumerServiceURL="${ACS_URL}"`);
        expect(authnRequest).toContain(`>${SP_ENTITY_ID}</saml:Issuer>`);
        expect(authnRequest).toContain('Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"');
        // Plain http here: no __Host- prefix and no SameSite=None (browsers want Secure for both).
        expect(res.headers['set-cookie']).toEqual([
          expect.stringMatching(new RegExp(`^saml_${params.RelayState}=[\\w-]{43}; Max-Age=600; Path=/v1/auth/saml/acs; Expires=[^;]+; HttpOnly$`)),
        ]);
      });

      it('400 without appid or with a return_to that is not configured', async () => {
        expectProblem(await request(a.url).get('/v1/auth/saml/login'), 400, 'invalid_request');
        expectProblem(await request(a.url).get('/v1/auth/saml/login').query({ appid: APPID, return_to: 'https://evil.example.com/' }), 400, 'invalid_request');
      });
    });

    describe('login', () => {
      it('logs a user in to a mesibo token: JSON like the other logins, then /v1/me knows the identity', async () => {
        const { form, browser } = await untilAnswer(a);
        syncClock(a);
        const page = await browser.submit(form);

        expect(page.status).toBe(200);
        const login = JSON.parse(page.body);
        expect(login).toMatchObject({ token: expect.any(String), address: 'alice@example.com', newUser: true, userId: expect.any(String) });
        expect(a.mesibo.users.get('alice@example.com')?.tokens.has(login.token)).toBe(true);
        expect((await me(a, login.token)).body).toMatchObject({
          address: 'alice@example.com',
          displayName: 'Alice Example',
          identities: [{ method: 'saml', subject: 'alice', verified: true }],
          session: { appid: APPID },
        });
        // The browser's cookie for this login is gone.
        expect(browser.cookieHeader(ACS_URL)).toBe('');

        const again = await untilAnswer(a);
        const second = await post(a, again);
        expect(second.status).toBe(200);
        expect(second.body).toMatchObject({ address: 'alice@example.com', newUser: false, userId: login.userId });
      });

      it('with return_to, redirects there with the token in the fragment', async () => {
        const { form, browser } = await untilAnswer(a, { username: 'bob', password: 'bob-password-0123' }, { return_to: RETURN_URL });
        syncClock(a);
        const page = await browser.submit(form);

        expect(page.status).toBe(302);
        const url = new URL(page.redirectedTo!);
        expect(url.origin + url.pathname).toBe(RETURN_URL);
        const result = new URLSearchParams(url.hash.slice(1));
        expect(result.get('address')).toBe('bob@example.com');
        expect(new Date(result.get('expires_at')!).getTime()).toBeGreaterThan(Date.now());
        expect(a.mesibo.users.get('bob@example.com')?.tokens.has(result.get('token')!)).toBe(true);
        expect((await me(a, result.get('token')!)).body).toMatchObject({ address: 'bob@example.com', displayName: 'Bob' });
      });

      it('gives new users the address saml:<subject> without SAML_ADDRESS_ATTRIBUTE, unproven', async () => {
        const res = await post(other, await untilAnswer(other, { username: 'carol', password: 'carol-password-0123' }));
        expect(res.status).toBe(200);
        expect(res.body.address).toBe('saml:carol');
        expect(other.mesibo.users.has('saml:carol')).toBe(true);
        expect((await me(other, res.body.token)).body.identities).toEqual([expect.objectContaining({ method: 'saml', subject: 'carol', verified: false })]);
      });

      it('is finished by another instance than the one that started it', async () => {
        const res = await post(b, await untilAnswer(a));
        expect(res.status).toBe(200);
        expect(res.body.address).toBe('alice@example.com');
      });

      it('accepts a signed assertion whose Response carries no signature', async () => {
        const res = await post(a, edited(await untilAnswer(a), withoutResponseSignature));
        expect(res.status).toBe(200);
        expect(res.body.address).toBe('alice@example.com');
      });
    });

    describe('refuses, with one answer (invalid_id_token), an identity provider answer that', () => {
      /** Posts the answer, expects the uniform refusal, and that the log gives `reason` for it (the user never sees it). */
      async function refused(app: TestApp, answer: IdpAnswer, reason: string | RegExp): Promise<void> {
        const before = logMark();
        expectProblem(await post(app, answer), 401, 'invalid_id_token');
        expect(logsSince(before)).toMatch(typeof reason === 'string' ? new RegExp(`SAML response refused: ${escapeRegExp(reason)}`) : reason);
      }

      it('holds an unsigned assertion, even in a Response the identity provider signed', async () => {
        // The identity provider's own answer for a service provider it signs Responses only for.
        const answer = await untilAnswer(responseSignedOnly);
        const xml = Buffer.from(answer.SAMLResponse, 'base64').toString('utf8');
        expect(xml).toMatch(/^<samlp:Response[^>]*>\s*<saml:Issuer>[^<]*<\/saml:Issuer>\s*<ds:Signature/);
        expect(ASSERTION.exec(xml)![0]).not.toContain('<ds:Signature');
        await refused(responseSignedOnly, answer, 'Invalid signature');
      });

      it('holds an assertion whose signature was removed (counted as a refused saml login)', async () => {
        const refusals = async () => (await a.app.get(Metrics).registry.getSingleMetric('logins_total')?.get())?.values.find(
          (value) => value.labels.method === 'saml' && value.labels.outcome === 'invalid_id_token',
        )?.value ?? 0;
        const before = await refusals();
        await refused(a, edited(await untilAnswer(a), (xml) => withoutAssertionSignature(withoutResponseSignature(xml))), 'Invalid signature');
        expect(await refusals()).toBe(before + 1);
      });

      it('has a Response signature that does not verify, though the assertion is intact', async () => {
        const answer = edited(await untilAnswer(a), (xml) => xml.replace(/(<samlp:Response[^>]*IssueInstant=")[^"]+/, '$12001-01-01T00:00:00Z'));
        await refused(a, answer, 'Invalid document signature');
      });

      it('was tampered with: another NameID, or another attribute value, in the signed assertion', async () => {
        await refused(a, edited(await untilAnswer(a), (xml) => withoutResponseSignature(xml).replace(/>alice<\/saml:NameID>/, '>bob</saml:NameID>')), 'Invalid signature');
        await refused(a, edited(await untilAnswer(a), (xml) => withoutResponseSignature(xml).replace(/Alice Example/, 'Mallory')), 'Invalid signature');
      });

      it.each([
        ['an unsigned forged assertion around the signed one', wrapAround, 'Invalid signature'],
        ['a forged assertion beside the signed one', addBeside, 'Invalid signature: multiple assertions'],
        ['the signature moved onto a forged assertion that holds the signed one', moveSignature, "Invalid signature: Referenced node does not refer to it's parent element"],
      ])('wraps the signature: %s', async (_name, wrap, reason) => {
        const answer = await untilAnswer(a);
        await refused(a, edited(answer, (xml) => wrap(withoutResponseSignature(xml))), reason);
        expect(a.mesibo.users.has('mallory@example.com')).toBe(false);
      });

      it('has expired, or is not valid yet, on the service clock', async () => {
        const late = await untilAnswer(a);
        syncClock(a);
        // The identity provider gives 300 s; with the 60 s of skew allowed, 361 s later is too late.
        a.clock.advance(361);
        let before = logMark();
        expectProblem(await postAsIs(a, late), 401, 'invalid_id_token');
        expect(logsSince(before)).toContain('SAML response refused: the assertion has expired (SubjectConfirmationData NotOnOrAfter)');

        const early = await untilAnswer(a);
        syncClock(a);
        // NotBefore is 30 s before it was issued: 121 s earlier is outside the 60 s of skew.
        a.clock.advance(-121);
        before = logMark();
        expectProblem(await postAsIs(a, early), 401, 'invalid_id_token');
        expect(logsSince(before)).toContain('SAML response refused: the assertion is not valid yet (Conditions NotBefore)');
      });

      it('allows the clock skew: 350 s after it was issued, and 80 s before its NotBefore', async () => {
        const late = await untilAnswer(a);
        syncClock(a);
        a.clock.advance(350);
        expect((await postAsIs(a, late)).status).toBe(200);

        const early = await untilAnswer(a);
        syncClock(a);
        a.clock.advance(-80);
        expect((await postAsIs(a, early)).status).toBe(200);
      });

      it('is for another service provider (audience), though started and finished on our database', async () => {
        // The other service provider's login; its answer is posted to us.
        await refused(a, await untilAnswer(other), 'SAML assertion audience mismatch');
      });

      it('answers another login of ours (InResponseTo), also where only the signed assertion tells', async () => {
        const alice = await untilAnswer(a);
        const bob = await untilAnswer(a, { username: 'bob', password: 'bob-password-0123' });
        // Bob's answer, posted with Alice's login (RelayState and cookie).
        await refused(a, { ...alice, SAMLResponse: bob.SAMLResponse }, "the response's InResponseTo is not the AuthnRequest of this login");

        const carol = await untilAnswer(a);
        const dave = await untilAnswer(a, { username: 'bob', password: 'bob-password-0123' });
        // The unsigned Response made to say it answers Carol's request: the signed assertion still says Dave's.
        const relabelled = edited(dave, (xml) => withoutResponseSignature(xml).replace(/(<samlp:Response[^>]*InResponseTo=")[^"]+/, `$1${carol.RelayState}`));
        await refused(a, { ...carol, SAMLResponse: relabelled.SAMLResponse }, 'the SubjectConfirmationData InResponseTo is not the AuthnRequest of this login');
      });

      it('says the identity provider did not log the user in', async () => {
        const denied = edited(await untilAnswer(a), (xml) =>
          withoutResponseSignature(xml).replace(/(<samlp:StatusCode Value=")[^"]+"\/>/, '$1urn:oasis:names:tc:SAML:2.0:status:Responder"/>'),
        );
        await refused(a, denied, 'the identity provider did not log the user in (status urn:oasis:names:tc:SAML:2.0:status:Responder)');
      });

      it('lacks the address attribute the settings name', async () => {
        await refused(a, await untilAnswer(a, { username: 'carol', password: 'carol-password-0123' }), 'the assertion has no usable mail attribute (SAML_ADDRESS_ATTRIBUTE)');
        expect(a.mesibo.users.has('saml:carol')).toBe(false);
      });

      it('comes back with #error=invalid_id_token to return_to', async () => {
        const answer = await untilAnswer(a, ALICE, { return_to: RETURN_URL });
        const res = await post(a, edited(answer, (xml) => withoutResponseSignature(xml).replace(/>alice<\/saml:NameID>/, '>bob</saml:NameID>')));
        expect(res.status).toBe(302);
        expect(res.headers.location).toBe(`${RETURN_URL}#error=invalid_id_token`);
      });
    });

    describe('replays', () => {
      it('refuses the same answer again, on this instance and on another one', async () => {
        const answer = await untilAnswer(a);
        expect((await post(a, answer)).status).toBe(200);
        // The login state is used up: the second use does not find it, here or there.
        expectProblem(await post(a, answer), 400, 'invalid_request');
        expectProblem(await post(b, answer), 400, 'invalid_request');
      });

      it('refuses a used assertion on any instance even if its login state were there again', async () => {
        const answer = await untilAnswer(a);
        const state = await a.db.selectFrom('oidc_login_states').selectAll().where('state', '=', answer.RelayState).executeTakeFirstOrThrow();
        expect((await post(a, answer)).status).toBe(200);

        // Put the login state back, as if the AuthnRequest had never been answered: the assertion's
        // own record, on the shared store, still refuses it.
        for (const app of [b, a]) {
          await a.db.insertInto('oidc_login_states').values(state).execute();
          expectProblem(await post(app, answer), 401, 'invalid_id_token');
          expect(logs()).toContain('its assertion was used already');
        }
      });
    });

    describe('the login state and the browser', () => {
      it('refuses an answer in a browser that did not start the login (login CSRF), and uses the login up', async () => {
        const answer = await untilAnswer(a);
        expectProblem(await post(a, { ...answer, cookie: '' }), 400, 'invalid_request');
        expectProblem(await post(a, { ...answer, cookie: `saml_${answer.RelayState}=${'A'.repeat(43)}` }), 400, 'invalid_request');
        expectProblem(await post(a, answer), 400, 'invalid_request');

        // A login with return_to is known once its RelayState is: the refusal goes back there.
        const withReturn = await untilAnswer(a, ALICE, { return_to: RETURN_URL });
        const res = await post(a, { ...withReturn, cookie: '' });
        expect(res.status).toBe(302);
        expect(res.headers.location).toBe(`${RETURN_URL}#error=invalid_request`);
      });

      it('refuses an unknown RelayState, none, and a login state after 10 minutes', async () => {
        const answer = await untilAnswer(a);
        expectProblem(await post(a, { ...answer, RelayState: '_made-up' }), 400, 'invalid_request');
        expectProblem(await request(a.url).post('/v1/auth/saml/acs').type('form').send({ SAMLResponse: answer.SAMLResponse }), 400, 'invalid_request');

        syncClock(a);
        a.clock.advance(11 * 60);
        expectProblem(await postAsIs(a, answer), 400, 'invalid_request');
      });
    });

    it('never logs the SAML response, the assertion or the token', async () => {
      const answer = await untilAnswer(a);
      const login = (await post(a, answer)).body as { token: string };
      await post(a, answer); // refused
      await post(a, edited(await untilAnswer(a), withoutResponseSignature));

      const xml = Buffer.from(answer.SAMLResponse, 'base64').toString('utf8');
      const assertionId = /<saml:Assertion[^>]* ID="([^"]+)"/.exec(xml)![1];
      const signatureValue = /<ds:SignatureValue>([^<]{40})/.exec(xml)![1];
      for (const secret of [answer.SAMLResponse.slice(0, 200), login.token, assertionId, signatureValue, 'Alice Example']) expect(logs()).not.toContain(secret);
    });
  },
);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function fields(answer: { SAMLResponse: string; RelayState: string }) {
  return { SAMLResponse: answer.SAMLResponse, RelayState: answer.RelayState };
}

// SimpleSAMLphp writes its Response as <samlp:Response><saml:Issuer/><ds:Signature/>? <samlp:Status/><saml:Assertion>…</saml:Assertion></samlp:Response>,
// the assertion's own signature right after its Issuer. These edits rely on that layout.

const ASSERTION = /<saml:Assertion\b[\s\S]*<\/saml:Assertion>/;
const SIGNATURE = /<ds:Signature\b[\s\S]*?<\/ds:Signature>/;

/** The Response without its own signature (the one before the assertion). */
function withoutResponseSignature(xml: string): string {
  const start = xml.search(/<saml:Assertion\b/);
  return xml.slice(0, start).replace(SIGNATURE, '') + xml.slice(start);
}

function withoutAssertionSignature(xml: string): string {
  return xml.replace(ASSERTION, (assertion) => assertion.replace(SIGNATURE, ''));
}

/** An unsigned assertion for mallory, with another ID; `inside` goes where its signature was. */
function forgedAssertion(signed: string, inside = ''): string {
  return signed
    .replace(SIGNATURE, inside)
    .replace(/^(<saml:Assertion\b[^>]*\bID=")[^"]+/, '$1_forged-assertion-0123456789')
    .replace(/>alice<\/saml:NameID>/, '>mallory</saml:NameID>')
    .replace(/Alice@Example\.com/, 'mallory@example.com');
}

function wrapAround(xml: string): string {
  return xml.replace(ASSERTION, (signed) => {
    const forged = forgedAssertion(signed);
    return forged.replace(/(<\/saml:Issuer>)/, `$1${signed}`);
  });
}

function addBeside(xml: string): string {
  return xml.replace(ASSERTION, (signed) => forgedAssertion(signed) + signed);
}

function moveSignature(xml: string): string {
  return xml.replace(ASSERTION, (signed) => {
    const signature = SIGNATURE.exec(signed)![0];
    const unsignedOriginal = signed.replace(SIGNATURE, '');
    // The forged assertion carries the real signature (still naming the original's ID) and holds the original, unsigned, as Advice.
    return forgedAssertion(signed, signature).replace(/(<saml:Subject>)/, `<saml:Advice>${unsignedOriginal}</saml:Advice>$1`);
  });
}
