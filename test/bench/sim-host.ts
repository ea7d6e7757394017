// Child process for the pipeline benchmark: hosts N simulated modems on PTYs, as separate
// hardware would be, so their CPU does not count against the station. Talks over the IPC channel:
//   → { start: { count, dir, seedPrefix, baud, keygenMs } }   ← { ports: string[] }
//   → { report: true }                    ← { bytes: number[], sessions: [first byte in, last byte out][] }
//   → { stop: true }                                         (exits)
import { startPtySimulator, type PtySimulator } from '../../main/devices/nrf91-sim/pty-host';

interface Start {
  count: number;
  dir: string;
  seedPrefix: string;
  baud: number;
  keygenMs: number;
}

let sims: PtySimulator[] = [];
process.on('message', (message: { start?: Start; report?: true; stop?: true }) => {
  void (async () => {
    if (message.start) {
      const s = message.start;
      sims = await Promise.all(
        Array.from({ length: s.count }, (_, i) =>
          startPtySimulator({ dir: s.dir, seed: `${s.seedPrefix}-${i}`, baudRate: s.baud, keygenDelayMs: s.keygenMs }),
        ),
      );
      process.send!({ ports: sims.map((sim) => sim.hostPath) });
    } else if (message.report) {
      process.send!({
        bytes: sims.map((sim) => sim.simulator.bytesIn + sim.simulator.bytesOut),
        sessions: sims.map((sim) => [sim.simulator.firstByteInAt ?? 0, sim.simulator.lastByteOutAt ?? 0]),
      });
    } else if (message.stop) {
      await Promise.all(sims.map((sim) => sim.close()));
      process.exit(0);
    }
  })();
});
