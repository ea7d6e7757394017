// Known answers for the CMP structures (#24): messages OpenSSL 3.0 wrote (its `openssl cmp` client
// and mock server, -reqout / -rspout, kept in test/fixtures/cmp) parsed by the station's classes
// field by field, and written back byte for byte; the PBM value OpenSSL computed reproduced from
// the shared secret; failure bits and statuses in words; and messages the station builds read back
// by OpenSSL's own parser (`openssl asn1parse`).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AsnConvert, BitString, OctetString } from '@peculiar/asn1-schema';
import { GeneralName, Name } from '@peculiar/asn1-x509';
import { describe, expect, it } from 'vitest';
import {
  CertStatus,
  PBMParameter,
  PKIBody,
  PKIHeader,
  PKIMessage,
  PKIStatusInfo,
  PollRequest,
} from '../../../main/pki/cmp/cmp-schema';
import { newPbm, pbmValue, pbmVerifies, protectedPartOf } from '../../../main/pki/cmp/cmp-protection';
import { failureNames, statusWords } from '../../../main/pki/cmp/cmp-status';

const fixture = (name: string) => fs.readFileSync(path.join(import.meta.dirname, '../../fixtures/cmp', `${name}.der`));
const bodyKind = (m: PKIMessage) => Object.entries(m.body).find(([, v]) => v !== undefined)?.[0];
/** The shared secret the fixtures were made with (openssl cmp -secret pass:1234-5678). */
const SECRET = '1234-5678';

const table: Array<{ file: string; body: string; check?: (m: PKIMessage) => void }> = [
  {
    file: 'p10cr',
    body: 'p10cr',
    check: (m) => expect(Buffer.from(m.header.senderKID!.buffer).toString()).toBe('dev-ref'),
  },
  {
    file: 'cp-accepted',
    body: 'cp',
    check: (m) => {
      const [response] = m.body.cp!.response;
      expect(response!.certReqId).toBe(-1);
      expect(response!.status.status).toBe(0);
      expect(response!.certifiedKeyPair!.certOrEncCert.certificate).toBeDefined();
    },
  },
  {
    file: 'certconf',
    body: 'certConf',
    check: (m) => {
      expect(m.body.certConf![0]!.certReqId).toBe(-1);
      expect(m.body.certConf![0]!.certHash.byteLength).toBe(32);
    },
  },
  { file: 'pkiconf', body: 'pkiconf' },
  { file: 'cp-waiting', body: 'cp', check: (m) => expect(m.body.cp!.response[0]!.status.status).toBe(3) },
  { file: 'pollreq', body: 'pollReq', check: (m) => expect(m.body.pollReq![0]!.certReqId).toBe(-1) },
  { file: 'pollrep', body: 'pollRep', check: (m) => expect(m.body.pollRep![0]!.checkAfter).toBe(7) },
  {
    file: 'cp-rejection',
    body: 'cp',
    check: (m) => {
      const status = m.body.cp!.response[0]!.status;
      expect(status.status).toBe(2);
      expect(failureNames(status)).toEqual(['badRequest', 'badPOP']);
      expect([...status.statusString!]).toEqual(['no such device']);
    },
  },
  { file: 'error', body: 'error', check: (m) => expect(m.body.error!.pKIStatusInfo.status).toBe(2) },
];

describe('CMP messages OpenSSL wrote', () => {
  for (const { file, body, check } of table) {
    it(`${file}: parsed as ${body}, written back byte for byte, its PBM reproduced`, () => {
      const der = fixture(file);
      const message = AsnConvert.parse(der, PKIMessage);
      expect(message.header.pvno).toBe(2);
      expect(bodyKind(message)).toBe(body);
      check?.(message);
      expect(Buffer.from(AsnConvert.serialize(message)).equals(der)).toBe(true);
      const protection = new Uint8Array(message.protection!.value);
      const part = protectedPartOf(new Uint8Array(der))!;
      expect(pbmVerifies(message.header.protectionAlg!, SECRET, part, protection)).toBe(true);
      expect(pbmVerifies(message.header.protectionAlg!, 'another secret', part, protection)).toBe(false);
    });
  }

  it('one transaction: every message of a p10cr carries the same transactionID; nonces chain', () => {
    const [request, response, confirm, done] = ['p10cr', 'cp-accepted', 'certconf', 'pkiconf'].map((f) =>
      AsnConvert.parse(fixture(f), PKIMessage),
    );
    const txn = (m: PKIMessage) => Buffer.from(m!.header.transactionID!.buffer).toString('hex');
    expect(new Set([request, response, confirm, done].map((m) => txn(m!))).size).toBe(1);
    const hex = (o: OctetString | undefined) => Buffer.from(o!.buffer).toString('hex');
    expect(hex(response!.header.recipNonce)).toBe(hex(request!.header.senderNonce));
    expect(hex(confirm!.header.recipNonce)).toBe(hex(response!.header.senderNonce));
    expect(hex(done!.header.recipNonce)).toBe(hex(confirm!.header.senderNonce));
  });
});

describe('words for PKIStatus and PKIFailureInfo', () => {
  const bits = (...set: number[]) => {
    const bytes = new Uint8Array(4);
    for (const b of set) bytes[b >> 3]! |= 0x80 >> (b & 7);
    return new BitString(bytes, 5);
  };
  const cases: Array<[number[], string[]]> = [
    [[0], ['badAlg']],
    [[1], ['badMessageCheck']],
    [[9], ['badPOP']],
    [
      [2, 19, 26],
      ['badRequest', 'badCertTemplate', 'duplicateCertReq'],
    ],
    [[24], ['systemUnavail']],
  ];
  for (const [set, names] of cases)
    it(`bits ${set.join(', ')} → ${names.join(', ')}`, () => {
      const info = new PKIStatusInfo({ status: 2, failInfo: bits(...set) });
      expect(failureNames(info)).toEqual(names);
      expect(statusWords(info)).toMatch(/^rejection: /);
    });
  it('a status without failure bits', () => expect(statusWords(new PKIStatusInfo({ status: 3 }))).toBe('waiting'));
});

describe('messages the station builds', () => {
  it('a pollReq and a certConf, protected with PBM, read by OpenSSL and verified again', () => {
    for (const body of [
      new PKIBody({ pollReq: [new PollRequest({ certReqId: -1 })] }),
      new PKIBody({ certConf: [new CertStatus({ certHash: new OctetString(new Uint8Array(32)), certReqId: -1 })] }),
    ]) {
      const header = new PKIHeader({
        sender: new GeneralName({ directoryName: new Name() }),
        recipient: new GeneralName({ directoryName: new Name() }),
        protectionAlg: newPbm(),
        transactionID: new OctetString(new Uint8Array(16).fill(7)),
      });
      const draft = new Uint8Array(AsnConvert.serialize(new PKIMessage({ header, body })));
      const value = pbmValue(header.protectionAlg!, SECRET, protectedPartOf(draft)!)!;
      const der = new Uint8Array(
        AsnConvert.serialize(new PKIMessage({ header, body, protection: new BitString(value) })),
      );
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cmp-')), 'm.der');
      fs.writeFileSync(file, der);
      const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', file], { encoding: 'utf8' });
      expect(parsed).toContain(':password based MAC');
      expect(parsed).toContain(':hmacWithSHA256');
      const again = AsnConvert.parse(der, PKIMessage);
      expect(
        pbmVerifies(
          again.header.protectionAlg!,
          SECRET,
          protectedPartOf(der)!,
          new Uint8Array(again.protection!.value),
        ),
      ).toBe(true);
      const pbm = AsnConvert.parse(again.header.protectionAlg!.parameters!, PBMParameter);
      expect([pbm.owf.algorithm, pbm.mac.algorithm, pbm.iterationCount]).toEqual([
        '2.16.840.1.101.3.4.2.1',
        '1.2.840.113549.2.9',
        500,
      ]);
    }
  });
});
