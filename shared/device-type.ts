// A device type: how one kind of device is named, keyed, certified and written. A JSON document
// that supervisors import, export and edit; validated here so the UI, CLI and main agree.
// Vocabulary after WISeKey INeS (device types, subject mapping, factory vs operational).
import { z } from 'zod';

/** What the station can know about a device before it asks for a certificate. */
export const deviceAttributes = [
  'deviceId',
  'imei',
  'uuid',
  'serial',
  'petName',
  'model',
  'hwVersion',
  'fwVersion',
  'ekFingerprint',
] as const;
export const DeviceAttribute = z.enum(deviceAttributes);
export type DeviceAttribute = z.infer<typeof DeviceAttribute>;
export type DeviceAttributes = Partial<Record<DeviceAttribute, string>>;

/** `{imei}`-style placeholders over the device attributes; anything else is literal text. */
export const Template = z
  .string()
  .min(1)
  .max(200)
  .refine(
    (t) => [...t.matchAll(/\{([^}]*)\}/g)].every((m) => (deviceAttributes as readonly string[]).includes(m[1]!)),
    {
      message: `placeholders must be one of ${deviceAttributes.map((a) => `{${a}}`).join(', ')}`,
    },
  );

/** The clouds whose rules preflight knows (`none`: only the chain's own soundness). */
export const cloudTargets = ['nrf-cloud', 'azure-dps', 'aws-iot', 'none'] as const;
export type CloudTarget = (typeof cloudTargets)[number];

const LABEL_FIELDS = ['code', 'deviceId', 'imei', 'petName', 'serial', 'certSerial'];

export const SubjectAttribute = z.enum(['CN', 'O', 'OU', 'C', 'ST', 'L', 'serialNumber']);

/**
 * One subject field. Precedence (INeS): the template with device attributes, else `default`,
 * else the CSR's own value, else an error if `required`.
 */
export const FieldMapping = z
  .object({
    attribute: SubjectAttribute,
    template: Template.optional(),
    default: z.string().min(1).max(64).optional(),
    fromCsr: z.boolean().default(true),
    required: z.boolean().default(false),
  })
  .strict();

export const SanMapping = z.object({ type: z.enum(['dns', 'uri', 'email']), template: Template }).strict();

export const KeyAlgorithmName = z.enum(['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096']);

export const CaCertSource = z.union([
  z.enum(['issuing-chain', 'root', 'profile-trust']),
  z.object({ pem: z.string().includes('-----BEGIN CERTIFICATE-----') }).strict(),
]);

export const DeviceTypeDocument = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lower-case letters, digits and dashes'),
    description: z.string().max(500).default(''),
    device: z.enum(['nrf91', 'tpm', 'csr-file']),
    idTemplate: Template,
    subject: z.array(FieldMapping).min(1),
    san: z.array(SanMapping).default([]),
    keyPolicy: z.object({ allowed: z.array(KeyAlgorithmName).min(1) }).strict(),
    certificate: z
      .object({
        kind: z.enum(['birth', 'operational']),
        validityDays: z.number().int().min(1).max(36500),
        /** Where relying parties fetch the station CA's CRL (CRL distribution points, RFC 5280 §4.2.1.13). */
        crlUrl: z.string().url().optional(),
        /** The station's OCSP responder (authority information access, RFC 5280 §4.2.2.1). */
        ocspUrl: z.string().url().optional(),
      })
      .strict(),
    /** nRF91: where things go in the modem. */
    secTags: z
      .object({
        client: z.number().int().min(0).max(2147483647),
        caCerts: z
          .array(
            z
              .object({ secTag: z.number().int().min(0).max(2147483647), certificates: z.array(CaCertSource).min(1) })
              .strict(),
          )
          .default([]),
        /**
         * The firmware's AT host buffer (CONFIG_AT_HOST_CMD_MAX_LEN): 4096 in Nordic's builds, less
         * in some. A certificate whose write would not fit is refused before anything is written.
         */
        commandBufferBytes: z.number().int().min(256).max(4096).optional(),
      })
      .strict()
      .optional(),
    /**
     * nRF91: the modem firmware this type accepts (+CGMR): a minimum version, and/or the exact
     * builds allowed. A modem outside it is refused before any key is made.
     */
    modemFirmware: z
      .object({
        minimum: z
          .string()
          .regex(/^\d+\.\d+\.\d+$/, 'a version x.y.z')
          .optional(),
        allowed: z
          .array(z.string().regex(/^mfw[-_]\S+$/, 'a +CGMR build name such as mfw_nrf91x1_2.0.2'))
          .min(1)
          .optional(),
      })
      .strict()
      .optional(),
    /** TPM: where the key and certificate live. */
    tpm: z
      .object({
        keyHandle: z.string().regex(/^0x81[0-9a-fA-F]{6}$/),
        certNvIndex: z.string().regex(/^0x01[0-9a-fA-F]{6}$/),
        keyAlgorithm: z.enum(['ec-p256', 'rsa-2048']),
        /** TPM makers' roots (and intermediates), PEM: when given, the EK certificate must chain to one. */
        ekTrust: z.array(z.string().includes('-----BEGIN CERTIFICATE-----')).optional(),
      })
      .strict()
      .optional(),
    /** A label printed for each device enrolled (when the station has a printer). */
    label: z
      .object({
        barcode: z.enum(['qr', 'datamatrix']).default('qr'),
        /** What the code carries: {deviceId}, {imei}, {petName}, {serial}, {certSerial} and literal text. */
        content: z
          .string()
          .min(1)
          .max(200)
          .regex(
            /^(?:[^{}]|\{(?:deviceId|imei|petName|serial|certSerial)\})*$/,
            'placeholders: {deviceId}, {imei}, {petName}, {serial}, {certSerial}',
          )
          .default('{deviceId}'),
        /** ZPL layout with those placeholders and {code}; the built-in 2 × 1.25 in layout when absent. */
        zpl: z
          .string()
          .min(1)
          .max(8000)
          .refine((t) => [...t.matchAll(/\{([^}]*)\}/g)].every((m) => LABEL_FIELDS.includes(m[1]!)), {
            message: 'placeholders: {code}, {deviceId}, {imei}, {petName}, {serial}, {certSerial}',
          })
          .optional(),
      })
      .strict()
      .optional(),
    profile: z.string().min(1).max(64).default('local'),
    /** The cloud the device connects to: its rules are checked before anything is written (preflight). */
    cloud: z
      .object({
        target: z.enum(cloudTargets),
        /** The ID the device registers with (Azure DPS registration ID, nRF Cloud device ID); default {deviceId}. */
        registrationId: Template.optional(),
        /** SHA-256 fingerprints (hex) of the CAs the cloud has verified (Azure DPS: by proof of possession). */
        verifiedCas: z.array(z.string().regex(/^(?:[0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/)).optional(),
      })
      .strict()
      .optional(),
    offline: z
      .object({
        localCaAllowed: z.boolean().default(true),
        policy: z.enum(['birth', 'hold']).default('birth'),
        birthMaxValidityDays: z.number().int().min(1).max(3650).default(30),
      })
      .strict()
      .default({ localCaAllowed: true, policy: 'birth', birthMaxValidityDays: 30 }),
  })
  .strict()
  .superRefine((doc, ctx) => {
    if (doc.device === 'nrf91' && !doc.secTags)
      ctx.addIssue({ code: 'custom', path: ['secTags'], message: 'an nrf91 device type needs secTags' });
    if (doc.device === 'tpm' && !doc.tpm)
      ctx.addIssue({ code: 'custom', path: ['tpm'], message: 'a tpm device type needs tpm settings' });
  });

export type DeviceTypeDocument = z.infer<typeof DeviceTypeDocument>;
export type DeviceTypeInput = z.input<typeof DeviceTypeDocument>;

/** nRF Cloud's conventional sec tag (nrf91-at.md §3.1). */
export const NRF_CLOUD_SEC_TAG = 16842753;

export const builtinDeviceTypes: readonly DeviceTypeInput[] = [
  {
    name: 'nrf91-default',
    description: 'Nordic nRF91 modem: key generated in the modem, client certificate and chain in sec tag 16842753.',
    device: 'nrf91',
    idTemplate: 'nrf-{imei}',
    subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
    keyPolicy: { allowed: ['ec-p256'] },
    certificate: { kind: 'operational', validityDays: 3650 },
    secTags: { client: NRF_CLOUD_SEC_TAG, caCerts: [{ secTag: NRF_CLOUD_SEC_TAG, certificates: ['root'] }] },
    profile: 'local',
  },
  {
    name: 'csr-file-default',
    description:
      "CSR files from any device (DER or PEM): the device ID is the CSR's CN (else its serialNumber), the subject is " +
      "the CSR's own.",
    device: 'csr-file',
    idTemplate: '{deviceId}',
    // Copied from the CSR in the usual DN order; none required, as the ID already came from it.
    subject: (['C', 'ST', 'L', 'O', 'OU', 'CN', 'serialNumber'] as const).map((attribute) => ({ attribute })),
    keyPolicy: { allowed: ['ec-p256', 'ec-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096'] },
    certificate: { kind: 'operational', validityDays: 3650 },
    profile: 'local',
  },
  {
    name: 'tpm-default',
    description: 'TPM 2.0: EC P-256 key persisted in the TPM, certificate kept in an NV index.',
    device: 'tpm',
    idTemplate: 'tpm-{ekFingerprint}',
    subject: [{ attribute: 'CN', template: '{deviceId}', required: true }],
    keyPolicy: { allowed: ['ec-p256', 'rsa-2048'] },
    certificate: { kind: 'operational', validityDays: 3650 },
    tpm: { keyHandle: '0x81000101', certNvIndex: '0x01500101', keyAlgorithm: 'ec-p256' },
    profile: 'local',
  },
];
