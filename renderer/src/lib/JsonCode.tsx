// JSON in a code editor (CodeMirror 6): line numbers, bracket matching, undo, and the problems of
// the moment marked on their lines — for the advanced view of a document that also has a form.
// No syntax colours: the station's own text colours keep 4.5:1 contrast in light and in dark.
import { defaultKeymap, history, historyKeymap } from '@codemirror/commands';
import { bracketMatching } from '@codemirror/language';
import { json, jsonParseLinter } from '@codemirror/lang-json';
import { linter, lintGutter, type Diagnostic } from '@codemirror/lint';
import { EditorState } from '@codemirror/state';
import { drawSelection, EditorView, highlightActiveLineGutter, keymap, lineNumbers } from '@codemirror/view';
import { useEffect, useRef } from 'react';

export interface LineProblem {
  /** 1-based. */
  readonly line: number;
  readonly message: string;
}

interface Props {
  readonly value: string;
  readonly onChange: (text: string) => void;
  readonly problems: readonly LineProblem[];
  readonly readOnly?: boolean;
  readonly label: string;
}

const STATION_COLOURS = EditorView.theme({
  '&': { color: 'var(--mantine-color-text)', backgroundColor: 'var(--mantine-color-body)' },
  '.cm-gutters': {
    color: 'var(--mantine-color-dimmed)',
    backgroundColor: 'var(--mantine-color-default)',
    borderRight: '1px solid var(--mantine-color-default-border)',
  },
  '.cm-cursor': { borderLeftColor: 'var(--mantine-color-text)' },
});

export function JsonCode({ value, onChange, problems, readOnly = false, label }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef({ onChange, problems });
  latest.current = { onChange, problems };

  useEffect(() => {
    const schemaLinter = linter((v): Diagnostic[] =>
      latest.current.problems
        .filter((p) => p.line >= 1 && p.line <= v.state.doc.lines)
        .map((p) => {
          const line = v.state.doc.line(p.line);
          return { from: line.from, to: line.to, severity: 'error', message: p.message };
        }),
    );
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          highlightActiveLineGutter(),
          history(),
          drawSelection(),
          bracketMatching(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          STATION_COLOURS,
          json(),
          linter(jsonParseLinter()),
          schemaLinter,
          lintGutter(),
          EditorState.readOnly.of(readOnly),
          EditorView.contentAttributes.of({ 'aria-label': label }),
          EditorView.updateListener.of((u) => u.docChanged && latest.current.onChange(u.state.doc.toString())),
        ],
      }),
    });
    return () => view.current?.destroy();
    // The editor is made once; later values come in through the effect below.
  }, []);

  useEffect(() => {
    const current = view.current;
    if (current && current.state.doc.toString() !== value)
      current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: value } });
  }, [value]);

  return <div ref={host} className="json-code" data-testid="json-code" />;
}

/**
 * The line a field's problem belongs on, in pretty-printed JSON: each path segment that is a key
 * is looked for after the line of the one before it (array positions are skipped).
 */
export function lineOf(text: string, path: string): number {
  const lines = text.split('\n');
  let at = 0;
  for (const key of path.split('.').filter((k) => k !== '' && !/^\d+$/.test(k))) {
    const found = lines.findIndex((l, i) => i >= at && l.trimStart().startsWith(`"${key}":`));
    if (found === -1) break;
    at = found;
  }
  return at + 1;
}
