// Hands a text file to the user (a chain, a device type, a verification certificate). In the
// desktop app this lands in Electron's download flow; in a browser, the Downloads folder.
export function downloadText(fileName: string, text: string, type = 'application/octet-stream'): void {
  download(fileName, new Blob([text], { type }));
}

/** The same for bytes (a PDF). */
export function downloadBytes(fileName: string, bytes: Uint8Array, type = 'application/octet-stream'): void {
  download(fileName, new Blob([bytes.slice().buffer], { type }));
}

function download(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
