import { useEffect, useState } from 'react';
import type { EnrollerApi } from '../../shared/contract';
import { connectApi } from './api/client';
import { ApiError } from './api/errors';
import { StationInfoPanel } from './station/StationInfoPanel';

type Connection = { state: 'connecting' } | { state: 'ready'; api: EnrollerApi } | { state: 'failed'; error: ApiError };

export function App() {
  const [connection, setConnection] = useState<Connection>({ state: 'connecting' });

  useEffect(() => {
    connectApi().then(
      (api) => setConnection({ state: 'ready', api }),
      (error: unknown) =>
        setConnection({
          state: 'failed',
          error: error instanceof ApiError ? error : new ApiError({ code: 'STATION_UNREACHABLE', message: String(error) }),
        }),
    );
  }, []);

  return (
    <div className="app">
      <header className="app-header">
        <h1>Floor Enroller</h1>
      </header>
      <main>
        {connection.state === 'connecting' && <p role="status">Connecting to the station…</p>}
        {connection.state === 'failed' && (
          <p role="alert" className="error" data-code={connection.error.code}>
            {connection.error.message}
          </p>
        )}
        {connection.state === 'ready' && <StationInfoPanel api={connection.api} />}
      </main>
    </div>
  );
}
