import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { Clock } from '../../common/clock';
import { errorMessage, NotFoundError, ProviderUnavailableError } from '../../common/errors';
import { IdpDescriptor, parseIdpMetadata } from './saml-idp-metadata';
import { SamlOnSettings, samlSettings } from './saml.settings';

const FETCH_TIMEOUT_MS = 5000;
/** Fetched metadata is used this long, then fetched again (the identity provider may roll its keys). */
const METADATA_MAX_AGE_MS = 60 * 60_000;
/** After a failed refresh the copy we have serves on, and the next try waits this long. */
const RETRY_AFTER_MS = 60_000;
/** Aggregates of big federations are larger; use the metadata of the one identity provider (MDQ) instead. */
const MAX_METADATA_BYTES = 10 * 1024 * 1024;

/**
 * The identity provider, as its metadata describes it: read from SAML_IDP_METADATA_FILE at
 * start-up, or fetched from SAML_IDP_METADATA_URL on first use and refreshed hourly, so start-up
 * never depends on the identity provider being up. A failed fetch is retried by a later request.
 */
@Injectable()
export class SamlIdentityProvider {
  private readonly logger = new Logger(SamlIdentityProvider.name);
  private fetched?: { descriptor: IdpDescriptor; refreshAt: number };
  private fetching?: Promise<IdpDescriptor>;

  constructor(
    @Inject(samlSettings.KEY) private readonly settings: ConfigType<typeof samlSettings>,
    private readonly clock: Clock,
  ) {}

  /** The settings of a method that is on; `not_found` when SAML login is off. */
  settingsOn(): SamlOnSettings {
    if (!this.settings.enabled) throw new NotFoundError('SAML login');
    return this.settings;
  }

  /** The identity provider; `provider_unavailable` while its metadata cannot be had. */
  async descriptor(): Promise<IdpDescriptor> {
    const settings = this.settingsOn();
    if ('metadata' in settings.idp) return settings.idp.metadata;
    if (this.fetched && this.clock.nowMs() < this.fetched.refreshAt) return this.fetched.descriptor;
    this.fetching ??= this.fetch(settings.idp.metadataUrl, settings).finally(() => (this.fetching = undefined));
    try {
      const descriptor = await this.fetching;
      this.fetched = { descriptor, refreshAt: this.clock.nowMs() + METADATA_MAX_AGE_MS };
      return descriptor;
    } catch (error) {
      this.logger.warn(`SAML identity provider metadata from ${settings.idp.metadataUrl} could not be used: ${errorMessage(error)}`);
      if (!this.fetched) throw new ProviderUnavailableError();
      this.fetched.refreshAt = this.clock.nowMs() + RETRY_AFTER_MS;
      return this.fetched.descriptor;
    }
  }

  private async fetch(url: string, settings: SamlOnSettings): Promise<IdpDescriptor> {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/samlmetadata+xml, application/xml, text/xml' } });
    if (!response.ok) throw new Error(`it answered HTTP ${response.status}`);
    if (Number(response.headers.get('content-length') ?? 0) > MAX_METADATA_BYTES) throw new Error('it is larger than 10 MB');
    const xml = await response.text();
    if (xml.length > MAX_METADATA_BYTES) throw new Error('it is larger than 10 MB');
    const descriptor = parseIdpMetadata(xml, settings.idpEntityId);
    if (descriptor.wantsSignedRequests && !settings.signing) {
      throw new Error('the identity provider wants signed AuthnRequests: set SAML_SP_PRIVATE_KEY_FILE and SAML_SP_CERT_FILE');
    }
    this.logger.log(`SAML identity provider ${descriptor.entityId}: metadata fetched`);
    return descriptor;
  }
}
