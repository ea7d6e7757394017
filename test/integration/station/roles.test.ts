// Roles through the contract and the CLI: a fresh station allows everything; once a supervisor
// exists, every method of the contract is checked against the caller's role before it runs.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { methodNames, methods } from '../../../shared/contract';
import { createDispatch } from '../../../main/api/dispatch';
import { createStationService, stationGuard } from '../../../main/api/station-service';
import { inProcessModems } from '../../../main/devices/nrf91-sim/memory-host';
import { Bench } from '../../../main/station/bench';
import { simulatedSlots } from '../../../main/station/slot-sources';
import type { Station } from '../../../main/station/station';
import { runEnroller } from '../../helpers/cli';
import { fileLogger, openTestStation, tempDir } from '../../helpers/station';

let station: Station | undefined;
afterEach(() => station?.close());

function setUp() {
  station = openTestStation();
  const { log } = fileLogger(tempDir());
  const bench = new Bench(
    station,
    simulatedSlots(inProcessModems(1, { dir: tempDir() })),
    { deviceChanged: () => undefined, batchProgress: () => undefined },
    log,
  );
  const dispatch = createDispatch(createStationService(station, bench), log, stationGuard(station));
  return (session: string) =>
    async (method: string, request: unknown = {}) =>
      dispatch(method, request, { transport: 'websocket', session });
}

const code = (result: { ok: boolean; error?: { code: string } }) => (result.ok ? 'ok' : result.error!.code);

describe('roles', () => {
  it(
    'refuses every supervisor method to an operator, operator methods to an auditor, and everything but public ones ' +
      'to nobody',
    async () => {
      const as = setUp();
      const boss = as('boss');
      expect(await boss('session:whoami')).toMatchObject({ ok: true, value: { rolesEnforced: false } });
      // a supervisor first
      expect(code(await boss('operator:add', { name: 'olga', role: 'operator', pin: '1357' }))).toBe('AUTH_FORBIDDEN');
      expect(code(await boss('operator:add', { name: 'sam', role: 'supervisor', pin: '2468' }))).toBe('ok');
      expect(code(await boss('device:list'))).toBe('AUTH_REQUIRED');
      expect(code(await boss('session:login', { pin: '0000' }))).toBe('AUTH_WRONG_PIN');
      expect(await boss('session:login', { pin: '2468' })).toMatchObject({
        ok: true,
        value: { name: 'sam', role: 'supervisor', rolesEnforced: true, factoryMode: true },
      });
      expect(code(await boss('operator:add', { name: 'olga', role: 'operator', pin: '1357' }))).toBe('ok');
      expect(code(await boss('operator:add', { name: 'ada', role: 'auditor', pin: '9753' }))).toBe('ok');

      const checked: Record<string, Record<string, string>> = { operator: {}, auditor: {}, nobody: {} };
      for (const [who, pin] of [
        ['operator', '1357'],
        ['auditor', '9753'],
        ['nobody', undefined],
      ] as const) {
        for (const method of methodNames) {
          const call = as(`${who}-${method}`);
          if (pin) expect(code(await call('session:login', { pin }))).toBe('ok');
          checked[who]![method] = code(await call(method, {}));
        }
      }
      for (const method of methodNames) {
        const access = methods[method].access;
        const auth = (c: string) => (c.startsWith('AUTH_') ? c : 'allowed');
        expect(auth(checked.operator![method]!), `operator → ${method} (${access})`).toBe(
          access === 'configure' || access === 'supervise' || access === 'backup' ? 'AUTH_FORBIDDEN' : 'allowed',
        );
        // Auditors read, and take backups (records they keep); nothing else.
        expect(auth(checked.auditor![method]!), `auditor → ${method} (${access})`).toBe(
          access === 'read' || access === 'public' || access === 'backup' ? 'allowed' : 'AUTH_FORBIDDEN',
        );
        if (method !== 'session:login')
          expect(auth(checked.nobody![method]!), `nobody → ${method} (${access})`).toBe(
            access === 'public' ? 'allowed' : 'AUTH_REQUIRED',
          );
      }
      expect(methodNames.filter((m) => methods[m].access === 'configure')).toEqual(
        expect.arrayContaining(['ca:init', 'station:unlock', 'operator:add', 'station:factoryMode']),
      );

      // Factory mode unlocked by a supervisor: operators may change settings; auditors still may not.
      expect(code(await boss('station:factoryMode', { locked: false }))).toBe('ok');
      const olga = as('olga-again');
      await olga('session:login', { pin: '1357' });
      expect(code(await olga('profile:list'))).toBe('ok');
      expect(code(await olga('ca:init', {}))).toBe('CONTRACT_INVALID_REQUEST'); // past the role check
      // Disabling devices and revoking stay with supervisors, whatever the factory mode.
      expect(methodNames.filter((m) => methods[m].access === 'supervise')).toEqual(
        expect.arrayContaining(['devices:disable', 'devices:revoke', 'backup:schedule']),
      );
      expect(methodNames.filter((m) => methods[m].access === 'backup')).toEqual(['backup:now']);
      expect(code(await olga('devices:disable', { deviceId: 'x', reason: 'y', revokeReason: 'unspecified' }))).toBe(
        'AUTH_FORBIDDEN',
      );
      const audits = station!.db
        .prepare(
          "SELECT action FROM audit_log WHERE action LIKE 'session.%' OR action LIKE 'operator.%' OR action = " +
            "'station.factoryMode'",
        )
        .all() as Array<{ action: string }>;
      expect(audits.map((a) => a.action)).toEqual(
        expect.arrayContaining(['session.refused', 'session.login', 'operator.saved', 'station.factoryMode']),
      );
    },
  );

  it('the CLI asks for a PIN once a supervisor exists, and checks the role of each command', async () => {
    const dir = tempDir();
    const secrets = tempDir();
    const f = (name: string, text: string) => (
      fs.writeFileSync(path.join(secrets, name), text),
      path.join(secrets, name)
    );
    expect(
      (await runEnroller(dir, 'operator', 'add', 'sam', '--role', 'supervisor', '--new-pin-file', f('sam', '2468')))
        .code,
    ).toBe(0);
    expect((await runEnroller(dir, 'info')).code).toBe(0);
    expect((await runEnroller(dir, 'ca', 'status')).lines[0]).toMatchObject({ code: 'AUTH_REQUIRED' });
    expect(
      (
        await runEnroller(
          dir,
          '--pin-file',
          f('sam', '2468'),
          'operator',
          'add',
          'olga',
          '--role',
          'operator',
          '--new-pin-file',
          f('olga', '1357'),
        )
      ).code,
    ).toBe(0);
    expect(
      (await runEnroller(dir, '--pin-file', f('olga', '1357'), 'profile', 'add', 'spare', '--local')).lines[0],
    ).toMatchObject({ code: 'AUTH_FORBIDDEN' });
    expect((await runEnroller(dir, '--pin-file', f('olga', '1357'), 'profile', 'list')).code).toBe(0);
    expect((await runEnroller(dir, '--pin-file', f('wrong', '0000'), 'profile', 'list')).lines[0]).toMatchObject({
      code: 'AUTH_WRONG_PIN',
    });
    expect((await runEnroller(dir, '--pin-file', f('sam', '2468'), 'profile', 'add', 'spare', '--local')).code).toBe(0);
  });

  it('holds sign-in after three wrong PINs in a row, longer each time, on record; a right PIN resets it', async () => {
    const as = setUp();
    const window = as('kiosk');
    expect(code(await window('operator:add', { name: 'sam', role: 'supervisor', pin: '2468' }))).toBe('ok');
    const wrong = async () => code(await window('session:login', { pin: '0000' }));
    expect([await wrong(), await wrong()]).toEqual(['AUTH_WRONG_PIN', 'AUTH_WRONG_PIN']);
    expect(code(await window('session:login', { pin: '2468' }))).toBe('ok'); // a right PIN starts the count again
    expect([await wrong(), await wrong(), await wrong()]).toEqual([
      'AUTH_WRONG_PIN',
      'AUTH_WRONG_PIN',
      'AUTH_WRONG_PIN',
    ]);
    // Held: even the right PIN waits, and says for how long.
    const held = await window('session:login', { pin: '2468' });
    expect(held).toMatchObject({ ok: false, error: { code: 'AUTH_LOCKED', details: { waitSeconds: 2 } } });
    const audit = (action: string) =>
      station!.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM audit_log WHERE action = ?').get(action)!
        .n;
    expect([audit('session.refused'), audit('session.locked')]).toEqual([5, 1]);
    await new Promise((r) => setTimeout(r, 2100));
    expect(code(await window('session:login', { pin: '1111' }))).toBe('AUTH_WRONG_PIN'); // the 4th: held 10 s
    expect(await window('session:login', { pin: '2468' })).toMatchObject({
      ok: false,
      error: { code: 'AUTH_LOCKED', details: { waitSeconds: 10 } },
    });
  });
});
