// Where the station keeps its database, CA and logs: --data-dir, else ENROLLER_DATA_DIR,
// else the operating system's per-user application-data folder.
import os from 'node:os';
import path from 'node:path';

export const APP_FOLDER = 'floor-enroller';

export interface DataDirSources {
  readonly flag?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly home?: string;
}

export function resolveDataDir(sources: DataDirSources = {}): string {
  const env = sources.env ?? process.env;
  if (sources.flag) return path.resolve(sources.flag);
  if (env.ENROLLER_DATA_DIR) return path.resolve(env.ENROLLER_DATA_DIR);
  return path.join(osAppDataDir(sources.platform ?? process.platform, env, sources.home ?? os.homedir()), APP_FOLDER);
}

/** The same folders Electron's app.getPath('appData') uses, so CLI and GUI share one station. */
export function osAppDataDir(platform: NodeJS.Platform, env: NodeJS.ProcessEnv, home: string): string {
  switch (platform) {
    case 'win32':
      return env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
    case 'darwin':
      return path.join(home, 'Library', 'Application Support');
    default:
      return env.XDG_CONFIG_HOME ?? path.join(home, '.config');
  }
}
