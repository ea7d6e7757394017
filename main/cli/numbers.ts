// Number options, checked as commander parses them.

export function parseCount(value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`not a whole number ≥ ${min}: ${value}`);
  return n;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a TCP port: ${value}`);
  return port;
}
