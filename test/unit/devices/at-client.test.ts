// AT client behaviour that needs exact control of the device side: a raw scripted peer.
import { describe, expect, it } from 'vitest';
import { AtClient, MAX_COMMAND_BYTES } from '../../../main/devices/nrf91/at-client';
import { createMemoryPair } from '../../../main/devices/memory-pair';
import { fileLogger, tempDir } from '../../helpers/station';

function scripted(answer: (command: string) => string | undefined) {
  const [host, device] = createMemoryPair('scripted');
  const received: string[] = [];
  let buffer = '';
  device.onData((chunk) => {
    buffer += Buffer.from(chunk).toString();
    let end: number;
    while ((end = buffer.indexOf('\r\n')) !== -1) {
      const command = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      received.push(command);
      const reply = answer(command);
      if (reply !== undefined) void device.write(Buffer.from(reply));
    }
  });
  const client = new AtClient(host, fileLogger(tempDir()).log);
  return { client, device, received };
}

describe('AtClient', () => {
  it('keeps exactly one command in flight, in call order', async () => {
    const { client, received } = scripted((c) => `+ECHO: ${c}\r\nOK\r\n`);
    const replies = await Promise.all(['AT+A', 'AT+B', 'AT+C'].map((c) => client.command(c)));
    expect(replies).toEqual([['+ECHO: AT+A'], ['+ECHO: AT+B'], ['+ECHO: AT+C']]);
    expect(received).toEqual(['AT+A', 'AT+B', 'AT+C']);
  });

  it('never ends a reply on "OK" inside base64, only on a whole OK line', async () => {
    const { client } = scripted(() => '%KEYGEN: "MIIBOK.OKOK"\r\nOK\r\n');
    expect(await client.command('AT%KEYGEN=1,2,0')).toEqual(['%KEYGEN: "MIIBOK.OKOK"']);
  });

  it('sends URCs and unsolicited lines to the urc event, not into replies', async () => {
    const { client, device } = scripted((c) =>
      c === 'AT+CGSN=1' ? '+CEREG: 2\r\n+CGSN: "352656109480783"\r\nOK\r\n' : undefined,
    );
    const urcs: string[] = [];
    client.on('urc', (l) => urcs.push(l));
    await device.write(Buffer.from('%XTIME: "abc"\r\n'));
    expect(await client.command('AT+CGSN=1')).toEqual(['+CGSN: "352656109480783"']);
    expect(urcs).toEqual(['%XTIME: "abc"', '+CEREG: 2']);
  });

  it('cancels a command through its AbortSignal with a coded error', async () => {
    const { client } = scripted(() => undefined);
    const controller = new AbortController();
    const pending = client.command('AT', { signal: controller.signal, timeoutMs: 60_000 });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'DEVICE_ABORTED' });
  });

  it('checks the 4095-byte firmware buffer before sending', async () => {
    const { client, received } = scripted(() => 'OK\r\n');
    await expect(client.command(`AT%CMNG=0,1,0,"${'A'.repeat(MAX_COMMAND_BYTES)}"`)).rejects.toMatchObject({
      code: 'DEVICE_COMMAND_TOO_LONG',
    });
    await expect(client.command(`AT${'A'.repeat(MAX_COMMAND_BYTES - 2)}`)).resolves.toEqual([]);
    expect(received).toHaveLength(1);
  });

  it('fails the command in flight when the device goes away', async () => {
    const { client, device } = scripted(() => undefined);
    const pending = client.command('AT', { timeoutMs: 60_000 });
    await device.close();
    await expect(pending).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
    await expect(client.command('AT')).rejects.toMatchObject({ code: 'DEVICE_DISCONNECTED' });
  });
});
