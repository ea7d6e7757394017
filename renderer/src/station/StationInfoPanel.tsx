import { useEffect, useState } from 'react';
import type { EnrollerApi, StationInfo } from '../../../shared/contract';
import { problemOf } from '../lib/errors';
import { backupWords } from './backup-words';

export function StationInfoPanel({ api }: { api: EnrollerApi }) {
  const [info, setInfo] = useState<StationInfo | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api['station:info']({}).then(setInfo, (e: unknown) => setError(problemOf(e).message));
  }, [api]);

  if (error)
    return (
      <p role="alert" className="error">
        {error}
      </p>
    );
  if (!info) return <p role="status">Loading station information…</p>;
  return (
    <section aria-label="Station information" className="station-info">
      <dl>
        <dt>Version</dt>
        <dd data-testid="app-version">{info.appVersion}</dd>
        <dt>Contract</dt>
        <dd data-testid="contract-version">v{info.contractVersion}</dd>
        <dt>Database schema</dt>
        <dd data-testid="schema-version">{info.schemaVersion}</dd>
        <dt>Data folder</dt>
        <dd data-testid="data-dir">{info.dataDir}</dd>
        <dt>Mode</dt>
        <dd>{info.mode}</dd>
        <dt>Last backup</dt>
        <dd data-testid="last-backup">{backupWords(info.lastBackup ?? null)}</dd>
      </dl>
    </section>
  );
}
