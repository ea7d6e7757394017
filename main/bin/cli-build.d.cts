// Types for cli-build.cjs (plain JavaScript, run by `node` before any TypeScript tooling is there).

/** Packages the CLI bundle leaves in node_modules: native addons, what loads them, build-time tools. */
export declare const EXTERNAL: readonly string[];
/** The entry file of an up-to-date bundle, built first when there is none for these sources. */
export declare function ensureCliBuilt(root: string): Promise<string>;
/** Commands with a bundle of their own, by name: the entry each bundle is built from. */
export declare const COMMAND_BUNDLES: Readonly<Record<string, string>>;
/** The bundle file that runs `command` (undefined: help, a typo), in a build's folder. */
export declare function bundleFor(command: string | undefined): string;
/** esbuild's options for one bundle file (esbuild's BuildOptions). */
export declare function bundleOptions(root: string, entry: string, outfile: string): Record<string, unknown>;
/** Native packages whose JavaScript is bundled all the same: their addon is required by its path. */
export declare const ADDONS_BY_PATH: readonly string[];
/** The stamp of a checkout's CLI sources (main/, shared/, package.json) as they are now: a build's folder name. */
export declare function sourceStamp(root: string): string;
