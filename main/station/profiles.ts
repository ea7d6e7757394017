// Enrollment profiles as the station uses them: add one (secrets sealed with the station
// passphrase, which must be the CA's when the station has a CA, so there is one passphrase to
// keep), list them, and turn one into an Enroller for the pipeline.
import { EnrollerError, isEnrollerError } from '../../shared/errors';
import { isTransient } from '../enroll/transient';
import { ProfileName, ProfileSettings, type ProfileSecrets, type ProfileSummary } from '../../shared/profile';
import type { Enroller } from '../enroll/enroller';
import { EstEnroller } from '../enroll/est/est-enroller';
import { LocalEnroller } from '../enroll/local/local-enroller';
import { ScepEnroller } from '../enroll/scep/scep-enroller';
import { CmpEnroller } from '../enroll/cmp/cmp-enroller';
import type { CmpCredentials } from '../enroll/cmp/cmp-message';
import { x509 } from '../pki/crypto';
import crypto from 'node:crypto';
import { certificatesIn } from '../pki/pem';
import { open, seal } from '../pki/secret-box';
import type { AuditLog } from '../store/audit-log';
import type { Db } from '../store/database';
import { ProfileStore, type StoredProfile } from '../store/profile-store';
import type { StationCa } from './certificate-authority';
import { fingerprinted, testRemoteProfile, type ProfileTestReport } from './profile-test';
import { fieldIssues } from '../../shared/field-issues';

export interface ActiveProfile {
  readonly name: string;
  readonly settings: ProfileSettings;
  readonly enroller: Enroller;
  /** PEM the device type's `profile-trust` sec-tag source refers to (the service's trust anchors). */
  readonly trustPem: string | undefined;
  /** The SCEP challenge, for CSRs the station builds itself (TPM); a modem cannot carry it. */
  readonly challenge: string | undefined;
}

export class StationProfiles {
  readonly #store: ProfileStore;
  readonly #ca: StationCa;
  readonly #audit: AuditLog;
  readonly #db: Db;

  constructor(db: Db, ca: StationCa, audit: AuditLog) {
    this.#db = db;
    this.#store = new ProfileStore(db);
    this.#ca = ca;
    this.#audit = audit;
  }

  list(): ProfileSummary[] {
    return this.#store.list().map(({ sealedSecrets: _sealed, ...summary }) => summary);
  }

  get(name: string): StoredProfile {
    return this.#store.get(name);
  }

  async add(
    name: string,
    settingsInput: unknown,
    secrets: ProfileSecrets,
    options: { passphrase?: string; replace?: boolean; actor?: string; keepSecrets?: boolean },
  ): Promise<ProfileSummary> {
    const { settings, keys } = validated(name, settingsInput, secrets, options.keepSecrets ?? false);
    let sealed: { blob: string; keys: ProfileSummary['secrets'] } | undefined;
    if (keys.length > 0) {
      if (!options.passphrase)
        throw new EnrollerError(
          'CA_PASSPHRASE_REQUIRED',
          'Profile secrets are sealed with the station passphrase: give --passphrase-file FILE.',
        );
      await this.#checkPassphrase(options.passphrase, options.actor);
      sealed = {
        blob: seal(JSON.stringify(secrets), options.passphrase, `profile:${name}`),
        keys: keys.map((k) => (k === 'clientKeyPem' ? 'clientKey' : k)),
      };
    }
    if (!sealed && options.keepSecrets && options.replace) {
      // Editing settings only (the UI): the secrets already sealed for this profile stay as they are.
      const existing = this.#store.list().find((p) => p.name === name);
      if (existing?.sealedSecrets && existing.settings.protocol === settings.protocol)
        sealed = { blob: existing.sealedSecrets, keys: existing.secrets };
    }
    if (settings.protocol === 'cmp') refuseIncompleteCmp(settings.trustPem, sealed?.keys ?? []);
    // Trying the settings now turns a bad URL or PEM into an error here, not on the floor.
    if (settings.protocol !== 'local' && (settings.protocol !== 'cmp' || keys.length > 0))
      this.#build(name, settings, secrets);
    const stored = this.#store.put(name, settings, sealed, { replace: options.replace ?? false }, () =>
      this.#audit.append(
        'profile.saved',
        name,
        { protocol: settings.protocol, secrets: sealed?.keys ?? [] },
        options.actor ?? 'station',
      ),
    );
    const { sealedSecrets: _sealed, ...summary } = stored;
    return summary;
  }

  /**
   * The connection test (profile-test.ts): each layer on the way to the service, in words. The
   * local profile has no service: its test is whether the station CA is there.
   */
  async test(name: string, passphrase: string | undefined, signal?: AbortSignal): Promise<ProfileTestReport> {
    const stored = this.#store.get(name);
    if (stored.settings.protocol === 'local') return this.#testLocal(name);
    const active = await this.activate(name, passphrase);
    const settings = stored.settings;
    const oneTimePasswords =
      settings.protocol === 'est' && settings.user !== undefined && !stored.secrets.includes('password');
    return testRemoteProfile(active, { oneTimePasswords, ...(signal ? { signal } : {}) });
  }

  #testLocal(name: string): ProfileTestReport {
    const status = this.#ca.status();
    const chain = status.initialized ? certificatesIn(this.#ca.chainPem()) : [];
    return {
      profile: name,
      protocol: 'local',
      status: status.initialized ? 'passed' : 'failed',
      steps: [
        status.initialized
          ? { step: 'ca', status: 'ok', message: 'The station CA is set up; it needs no network.' }
          : { step: 'ca', status: 'failed', code: 'CA_NOT_INITIALIZED', message: 'This station has no CA yet.' },
      ],
      caChain: chain.map(fingerprinted),
    };
  }

  /** The profile ready to enroll: secrets opened, the local CA unlocked when it is `local`. */
  async activate(name: string, passphrase: string | undefined, actor = 'station'): Promise<ActiveProfile> {
    const stored = this.#store.get(name);
    if (stored.settings.protocol === 'local') {
      if (!passphrase)
        throw new EnrollerError(
          'CA_PASSPHRASE_REQUIRED',
          'The local profile signs with the station CA: give its passphrase (--passphrase-file FILE).',
        );
      const enroller = new LocalEnroller(await this.#ca.unlock(passphrase, actor));
      return { name, settings: stored.settings, enroller, trustPem: undefined, challenge: undefined };
    }
    let secrets: ProfileSecrets = {};
    if (stored.sealedSecrets) {
      if (!passphrase)
        throw new EnrollerError(
          'CA_PASSPHRASE_REQUIRED',
          `Profile "${name}" has sealed secrets: give the station passphrase (--passphrase-file FILE).`,
        );
      secrets = JSON.parse(open(stored.sealedSecrets, passphrase, `profile:${name}`)) as ProfileSecrets;
    }
    return this.#build(name, stored.settings, secrets);
  }

  #build(name: string, settings: ProfileSettings, secrets: ProfileSecrets): ActiveProfile {
    switch (settings.protocol) {
      case 'local':
        throw new EnrollerError('INTERNAL', 'A local profile is activated with the CA, not built from settings.');
      case 'est': {
        const trust = settings.trustPem ? { anchorsPem: settings.trustPem } : {};
        const enroller = new EstEnroller({
          baseUrl: settings.url,
          trust,
          ...(settings.label ? { label: settings.label } : {}),
          // A user without a stored password takes a one-time password from a bundle per request.
          ...(settings.user ? { basicAuth: { user: settings.user, password: secrets.password ?? '' } } : {}),
          ...(settings.clientCertPem && secrets.clientKeyPem
            ? { clientIdentity: { certificatePem: settings.clientCertPem, keyPem: secrets.clientKeyPem } }
            : {}),
          ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
        });
        return { name, settings, enroller, trustPem: settings.trustPem, challenge: undefined };
      }
      case 'scep': {
        const enroller = new ScepEnroller({
          url: settings.url,
          ...(settings.caFingerprintSha256 ? { caFingerprintSha256: settings.caFingerprintSha256 } : {}),
          ...(settings.trustPem ? { trust: { anchorsPem: settings.trustPem } } : {}),
          ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
          challengeRequired: secrets.challenge !== undefined,
        });
        return { name, settings, enroller, trustPem: settings.trustPem, challenge: secrets.challenge };
      }
      case 'cmp':
        return {
          name,
          settings,
          enroller: cmpEnroller(settings, secrets),
          trustPem: settings.trustPem,
          challenge: undefined,
        };
    }
  }

  /**
   * The chain a profile's certificates hang from, as PEM: the issuing chain (issuing CA first, root
   * last) written after the leaf, and the root(s) installed as trust anchors. The local CA knows its
   * own; a service is asked once (EST /cacerts, SCEP GetCACert).
   */
  async chainOf(
    active: ActiveProfile,
    options: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<{ root: string; issuingChain: string }> {
    if (active.settings.protocol === 'local') return this.#ca.chainWhenRead();
    let certificates;
    try {
      certificates = await active.enroller.caCerts({
        timeoutMs: options.timeoutMs ?? 30_000,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      // Offline: the chain fetched the last time the service answered (pinned then) still holds.
      const cached = this.#store.cachedChain(active.name);
      if (cached && isEnrollerError(error) && isTransient(error.code)) return cached;
      throw error;
    }
    const selfSigned = certificates.filter((c) => c.subject === c.issuer);
    const issuing = certificates.filter((c) => c.subject !== c.issuer);
    const roots = selfSigned.length > 0 ? selfSigned : certificates.slice(-1);
    const chain = {
      root: roots.map((c) => c.toString('pem')).join('\n'),
      issuingChain: [...issuing, ...selfSigned].map((c) => c.toString('pem')).join('\n'),
    };
    this.#store.cacheChain(active.name, chain);
    return chain;
  }

  async #checkPassphrase(passphrase: string, actor = 'station'): Promise<void> {
    if (this.#ca.status().initialized) await this.#ca.unlock(passphrase, actor);
    else if (passphrase.length < 8)
      throw new EnrollerError('CA_PASSPHRASE_REQUIRED', 'The station passphrase must have at least 8 characters.');
  }
}

/** A CMP profile's client: MAC protection with its shared secret, or signatures with its certificate. */
function cmpEnroller(settings: Extract<ProfileSettings, { protocol: 'cmp' }>, secrets: ProfileSecrets): CmpEnroller {
  let credentials: CmpCredentials;
  if (settings.clientCertPem && secrets.clientKeyPem) {
    const certificates = x509.PemConverter.decode(settings.clientCertPem).map((d) => new x509.X509Certificate(d));
    credentials = { kind: 'signature', certificates, key: crypto.createPrivateKey(secrets.clientKeyPem) };
  } else if (secrets.secret !== undefined) {
    credentials = { kind: 'secret', reference: settings.reference, secret: secrets.secret };
  } else {
    throw new EnrollerError(
      'PROFILE_INVALID',
      'A CMP profile protects its messages with a shared secret (--secret-file) or a certificate and key ' +
        '(--client-cert and --client-key).',
    );
  }
  return new CmpEnroller({
    url: settings.url,
    credentials,
    ...(settings.recipient ? { recipient: settings.recipient } : {}),
    ...(settings.trustPem ? { trustPem: settings.trustPem } : {}),
    ...(settings.timeoutMs ? { timeoutMs: settings.timeoutMs } : {}),
  });
}

/**
 * CMP messages are always protected: by a shared secret, or by the station's certificate and key.
 * And the service's CA is pinned, as EST's comes over verified TLS and SCEP's by fingerprint: CMP
 * has no CA fetch the station could trust, and every certificate is checked against that CA before
 * it is written.
 */
function refuseIncompleteCmp(trustPem: string | undefined, stored: readonly string[]): void {
  if (!trustPem?.includes('BEGIN CERTIFICATE'))
    throw new EnrollerError(
      'PROFILE_INVALID',
      "A CMP profile names its service's CA certificates (--trust PEM): the server's signatures and the " +
        'certificates it issues are checked against them, and devices get them as their chain.',
    );
  if (stored.includes('secret') || stored.includes('clientKey')) return;
  throw new EnrollerError(
    'PROFILE_INVALID',
    'A CMP profile protects its messages with a shared secret (--secret-file) or a certificate and key ' +
      '(--client-cert and --client-key).',
  );
}

/** The name, the settings and the secrets given with them checked as a whole; which secrets there are. */
function validated(name: string, settingsInput: unknown, secrets: ProfileSecrets, keepSecrets: boolean) {
  const parsedName = ProfileName.safeParse(name);
  if (!parsedName.success)
    throw new EnrollerError(
      'PROFILE_INVALID',
      `"${name}" is not a usable profile name: ${parsedName.error.issues[0]?.message}.`,
    );
  const parsed = ProfileSettings.safeParse(settingsInput);
  if (!parsed.success)
    throw new EnrollerError('PROFILE_INVALID', 'The profile settings are not valid.', {
      issues: fieldIssues(parsed.error),
    });
  const settings = parsed.data;
  const keys = (Object.keys(secrets) as Array<keyof ProfileSecrets>).filter((k) => secrets[k] !== undefined);
  if (settings.protocol === 'est' && secrets.password !== undefined && !settings.user)
    throw new EnrollerError('PROFILE_INVALID', 'An EST password needs a user name (--user).');
  const withClientCert = settings.protocol === 'est' || settings.protocol === 'cmp';
  // Editing settings only (the UI) keeps the sealed key: a certificate without a new key is fine then.
  if (withClientCert && !keepSecrets && Boolean(settings.clientCertPem) !== (secrets.clientKeyPem !== undefined))
    throw new EnrollerError(
      'PROFILE_INVALID',
      'A client certificate and its key come together (--client-cert and --client-key).',
    );
  return { settings, keys };
}
