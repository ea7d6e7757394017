// Types for cli-build.cjs (plain JavaScript, run by `node` before any TypeScript tooling is there).

/** Packages the CLI bundle leaves in node_modules: native addons, what loads them, build-time tools. */
export declare const EXTERNAL: readonly string[];
/** The entry file of an up-to-date bundle, built first when there is none for these sources. */
export declare function ensureCliBuilt(root: string): Promise<string>;
