/** What the browser ended on: an answer that is not a redirect, or a redirect it was told not to follow. */
export interface BrowserPage {
  /** The URL that gave this answer. */
  url: string;
  status: number;
  contentType: string;
  body: string;
  /** Where the last answer redirected to, when the browser stopped there instead of following. */
  redirectedTo?: string;
}

interface StoredCookie {
  host: string;
  name: string;
  value: string;
  path: string;
}

/**
 * Just enough of a browser for a login through real providers: it follows redirects by hand,
 * keeps cookies (per host and path), submits the page's form, and resolves some host names to
 * local servers (like `curl --resolve`), so the service can have a public URL of its own. It
 * stops at URLs it cannot or should not open: app schemes, hosts it does not know, and any URL
 * `stopAt` accepts.
 */
export class TestBrowser {
  private readonly cookies: StoredCookie[] = [];

  constructor(
    /** Host (`name:port` or `name`) → the origin that really serves it. */
    private readonly hosts: Record<string, string> = {},
    private readonly stopAt: (url: URL) => boolean = () => false,
  ) {}

  open(url: string): Promise<BrowserPage> {
    return this.follow(new URL(url), { method: 'GET' });
  }

  /** Submits the first form of the page, with its hidden fields and `fields`. */
  submit(page: BrowserPage, fields: Record<string, string> = {}): Promise<BrowserPage> {
    const form = /<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(page.body);
    if (!form) throw new Error(`no form on ${page.url} (${page.status}):\n${page.body.slice(0, 500)}`);
    const values = new URLSearchParams();
    for (const input of form[2].matchAll(/<input\b[^>]*>/gi)) {
      const name = /\bname="([^"]*)"/.exec(input[0])?.[1];
      const value = /\bvalue="([^"]*)"/.exec(input[0])?.[1];
      if (name && value !== undefined) values.set(name, value);
    }
    for (const [name, value] of Object.entries(fields)) values.set(name, value);
    return this.follow(new URL(form[1].replace(/&amp;/g, '&'), page.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: values.toString(),
    });
  }

  private async follow(start: URL, first: { method: string; headers?: Record<string, string>; body?: string }): Promise<BrowserPage> {
    let url = start;
    let request = first;
    for (let hop = 0; hop < 20; hop++) {
      const response = await this.fetch(url, request);
      const location = response.headers.get('location');
      const page: BrowserPage = {
        url: url.href,
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body: await response.text(),
      };
      if (response.status < 300 || response.status >= 400 || !location) return page;
      const next = new URL(location, url);
      if (!this.canOpen(next) || this.stopAt(next)) return { ...page, redirectedTo: next.href };
      url = next;
      request = { method: 'GET' };
    }
    throw new Error(`too many redirects from ${start.href}`);
  }

  private canOpen(url: URL): boolean {
    return (url.protocol === 'http:' && url.hostname === '127.0.0.1') || url.host in this.hosts;
  }

  /** The Cookie header this browser sends to `url`; empty when none. */
  cookieHeader(url: string | URL): string {
    const { host, pathname } = new URL(url);
    return this.cookies
      .filter((c) => c.host === host && pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  private async fetch(url: URL, request: { method: string; headers?: Record<string, string>; body?: string }): Promise<Response> {
    const target = new URL(url.pathname + url.search, this.hosts[url.host] ?? url.origin);
    const cookie = this.cookieHeader(url);
    const response = await fetch(target, {
      method: request.method,
      headers: { ...request.headers, ...(cookie ? { cookie } : {}) },
      body: request.body,
      redirect: 'manual',
    });
    for (const header of response.headers.getSetCookie()) this.store(url, header);
    return response;
  }

  private store(url: URL, header: string): void {
    const [pair, ...attributes] = header.split(';').map((part) => part.trim());
    const name = pair.slice(0, pair.indexOf('='));
    const value = pair.slice(pair.indexOf('=') + 1);
    const attribute = (key: string) =>
      attributes.find((a) => a.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const path = attribute('path') ?? '/';
    const expires = attribute('expires');
    const gone = value === '' || attribute('max-age') === '0' || (expires !== undefined && Date.parse(expires) < Date.now());
    const index = this.cookies.findIndex((c) => c.host === url.host && c.name === name && c.path === path);
    if (index >= 0) this.cookies.splice(index, 1);
    if (!gone) this.cookies.push({ host: url.host, name, value, path });
  }
}
