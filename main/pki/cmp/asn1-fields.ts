// @peculiar/asn1-schema's decorators, applied as the functions they are: the project compiles
// without `experimentalDecorators`, so a structure names its fields in order in one table instead
// of one decorator per field. The schema the library builds is the same.
import { AsnProp, AsnType, type AsnTypeTypes } from '@peculiar/asn1-schema';

type PropOptions = Parameters<typeof AsnProp>[0];

/** Declares `fields`, in ASN.1 order, on `cls`; `type` for a CHOICE (or a SEQUENCE OF). */
export function asn1Fields<T extends object>(
  cls: new () => T,
  fields: ReadonlyArray<readonly [keyof T & string, PropOptions]>,
  type?: { type: AsnTypeTypes; itemType?: PropOptions['type'] },
): void {
  if (type) AsnType(type)(cls);
  for (const [name, options] of fields) AsnProp(options)(cls.prototype, name);
}
