// What every part of the device type form is given: the draft document, how to change it, and the
// schema's message for a field that is wrong.

/** The document being edited: valid or not yet. */
export type Draft = Record<string, unknown>;

export interface FormProps {
  readonly draft: Draft;
  readonly onChange: (next: Draft) => void;
  /** The schema's message for a dotted path, if that field is wrong. */
  readonly issue: (path: string) => string | undefined;
  readonly profiles: readonly string[];
  readonly readOnly: boolean;
}
