// Turning a device type and what is known about a device into its ID, subject and SANs.
import { EnrollerError } from '../../../shared/errors';
import type { DeviceAttributes, DeviceTypeDocument } from '../../../shared/device-type';

/** Fills `{attribute}` placeholders; undefined when any of them is unknown for this device. */
export function fillTemplate(template: string, attributes: DeviceAttributes): string | undefined {
  let missing = false;
  const value = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = attributes[name as keyof DeviceAttributes];
    if (v === undefined || v === '') missing = true;
    return v ?? '';
  });
  return missing ? undefined : value;
}

export function deviceIdFor(type: DeviceTypeDocument, attributes: DeviceAttributes): string {
  const id = fillTemplate(type.idTemplate, attributes);
  if (!id) {
    throw new EnrollerError(
      'DEVICE_TYPE_FIELD_MISSING',
      `Device type ${type.name} builds the device ID as "${type.idTemplate}", but this device did not report all of ` +
        `it.`,
      {
        template: type.idTemplate,
      },
    );
  }
  return id;
}

export interface ResolvedName {
  /** Ordered attribute → value pairs, as they go into the certificate. */
  readonly subject: ReadonlyArray<readonly [string, string]>;
  readonly sans: ReadonlyArray<{ type: 'dns' | 'url' | 'email'; value: string }>;
}

/** INeS precedence per field: template with device attributes, else default, else CSR, else required error. */
export function resolveName(
  type: DeviceTypeDocument,
  attributes: DeviceAttributes,
  csrFields: Readonly<Record<string, string>>,
): ResolvedName {
  const subject: Array<readonly [string, string]> = [];
  for (const field of type.subject) {
    const value =
      (field.template ? fillTemplate(field.template, attributes) : undefined) ??
      field.default ??
      (field.fromCsr ? csrFields[field.attribute] : undefined);
    if (value === undefined) {
      if (field.required) {
        throw new EnrollerError(
          'DEVICE_TYPE_FIELD_MISSING',
          `Device type ${type.name} requires ${field.attribute}, and neither the device nor the request supplied it.`,
          {
            attribute: field.attribute,
          },
        );
      }
      continue;
    }
    subject.push([field.attribute, value]);
  }
  const sans = type.san.flatMap((san) => {
    const value = fillTemplate(san.template, attributes);
    return value ? [{ type: san.type === 'uri' ? ('url' as const) : san.type, value }] : [];
  });
  return { subject, sans };
}
