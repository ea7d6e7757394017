// Enrollment profiles: where certificates come from. Secrets are typed once, sealed by main with
// the station passphrase, and never shown again — the list says only which ones are stored.
import {
  Badge,
  Button,
  Group,
  NumberInput,
  PasswordInput,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { useEffect, useState, type FormEvent } from 'react';
import type { EnrollerApi } from '../../../shared/contract';
import { ProfileName, ProfileSettings, type ProfileSummary, type ProfileTestReport } from '../../../shared/profile';
import { z } from 'zod';
import { downloadText } from '../lib/download';
import { problemOf, type Problem } from '../lib/errors';
import { ImportJsonButton } from '../lib/ImportJsonButton';
import { ProblemAlert } from '../lib/ProblemAlert';
import { fieldIssues } from '../../../shared/field-issues';
import { ConnectionTest } from './ConnectionTest';

type Protocol = 'local' | 'est' | 'scep' | 'cmp';

export function ProfileEditor({ api, editable }: { api: EnrollerApi; editable: boolean }) {
  const [profiles, setProfiles] = useState<ProfileSummary[]>([]);
  const [name, setName] = useState('');
  const [protocol, setProtocol] = useState<Protocol>('est');
  const [url, setUrl] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [challenge, setChallenge] = useState('');
  const [fingerprint, setFingerprint] = useState('');
  /** CMP: the reference the server knows the shared secret by, the CA's name, the secret, the service's CAs. */
  const [reference, setReference] = useState('');
  const [recipient, setRecipient] = useState('');
  const [secret, setSecret] = useState('');
  const [trustPem, setTrustPem] = useState('');
  const [timeoutS, setTimeoutS] = useState<number | string>(30);
  const [problem, setProblem] = useState<Problem | null>(null);
  /** What an imported profile sets that this form does not show (trust anchors, a label, a client certificate). */
  const [extra, setExtra] = useState<{ protocol?: Protocol } & Record<string, unknown>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [tested, setTested] = useState<ProfileTestReport | null>(null);
  const reload = () => api['profile:list']({}).then(setProfiles);
  useEffect(() => {
    void reload();
  }, [api]);

  /** A profile file (as Export JSON writes it) fills the form; secrets are never in one. */
  const importFile = async (file: File) => {
    setProblem(null);
    setSaved(null);
    let parsed: z.ZodSafeParseResult<{ name: string; settings: z.infer<typeof ProfileSettings> }>;
    try {
      parsed = z.object({ name: ProfileName, settings: ProfileSettings }).safeParse(JSON.parse(await file.text()));
    } catch (error) {
      setProblem({ message: `${file.name} is not JSON: ${(error as Error).message}`, issues: [] });
      return;
    }
    if (!parsed.success) {
      setProblem({
        message: `${file.name} is not a profile.`,
        code: 'PROFILE_INVALID',
        issues: fieldIssues(parsed.error),
      });
      return;
    }
    const imported = parsed.data;
    const {
      url: _url,
      user: _user,
      timeoutMs: _timeout,
      caFingerprintSha256: _pin,
      reference: _reference,
      recipient: _recipient,
      ...rest
    } = imported.settings as Record<string, unknown>;
    setExtra(rest as { protocol?: Protocol });
    setName(imported.name);
    setProtocol(imported.settings.protocol);
    if (imported.settings.protocol !== 'local') {
      setUrl(imported.settings.url);
      if (imported.settings.timeoutMs) setTimeoutS(imported.settings.timeoutMs / 1000);
    }
    if (imported.settings.protocol === 'est') setUser(imported.settings.user ?? '');
    if (imported.settings.protocol === 'scep') setFingerprint(imported.settings.caFingerprintSha256 ?? '');
    if (imported.settings.protocol === 'cmp') {
      setReference(imported.settings.reference ?? '');
      setRecipient(imported.settings.recipient ?? '');
      setTrustPem(imported.settings.trustPem ?? '');
    }
  };

  const settings = () => {
    const timeoutMs = typeof timeoutS === 'number' ? Math.round(timeoutS * 1000) : undefined;
    const kept = extra.protocol === protocol ? extra : {};
    if (protocol === 'local') return { protocol };
    if (protocol === 'est')
      return { ...kept, protocol, url, ...(user ? { user } : {}), ...(timeoutMs ? { timeoutMs } : {}) };
    if (protocol === 'cmp') {
      // The form shows a CMP profile's CA certificates: what it says wins over what an import kept.
      const { trustPem: _imported, ...rest } = kept;
      return {
        ...rest,
        protocol,
        url,
        ...(reference ? { reference } : {}),
        ...(recipient ? { recipient } : {}),
        ...(trustPem.trim() ? { trustPem } : {}),
        ...(timeoutMs ? { timeoutMs } : {}),
      };
    }
    return {
      ...kept,
      protocol,
      url,
      ...(fingerprint ? { caFingerprintSha256: fingerprint } : {}),
      ...(timeoutMs ? { timeoutMs } : {}),
    };
  };
  /** The connection test of a saved profile (its sealed secrets are opened in main). */
  const test = async (profile: string) => {
    setProblem(null);
    setTested(null);
    setTesting(profile);
    try {
      setTested(await api['profile:test']({ name: profile }));
    } catch (e) {
      setProblem(problemOf(e));
    } finally {
      setTesting(null);
    }
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    setSaved(null);
    try {
      const secrets = {
        ...(protocol === 'est' && password ? { password } : {}),
        ...(protocol === 'scep' && challenge ? { challenge } : {}),
        ...(protocol === 'cmp' && secret ? { secret } : {}),
      };
      const stored = await api['profile:save']({
        name,
        settings: settings(),
        ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
        replace: profiles.some((p) => p.name === name),
      });
      setSaved(stored.name);
      setPassword('');
      setChallenge('');
      setSecret('');
      await reload();
    } catch (e) {
      setProblem(problemOf(e));
    }
  };

  return (
    <Stack>
      <Title order={2} size="h4">
        Profiles
      </Title>
      <Table data-testid="profile-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Service</Table.Th>
            <Table.Th>Secrets stored</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {profiles.map((p) => (
            <Table.Tr key={p.name} data-profile={p.name}>
              <Table.Td>
                {p.name} {p.builtin && <Badge variant="light">built-in</Badge>}
              </Table.Td>
              <Table.Td>
                <Text size="sm">
                  {p.settings.protocol.toUpperCase()} {'url' in p.settings ? p.settings.url : 'station CA'}
                </Text>
              </Table.Td>
              <Table.Td>{p.secrets.length > 0 ? p.secrets.join(', ') : '—'}</Table.Td>
              <Table.Td>
                <Button
                  size="compact-xs"
                  variant="light"
                  loading={testing === p.name}
                  onClick={() => void test(p.name)}
                  aria-label={`Test connection of ${p.name}`}
                >
                  Test connection
                </Button>{' '}
                <Button
                  size="compact-xs"
                  variant="subtle"
                  onClick={() =>
                    downloadText(
                      `profile-${p.name}.json`,
                      JSON.stringify({ name: p.name, settings: p.settings }, null, 2),
                      'application/json',
                    )
                  }
                >
                  Export JSON
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {tested && <ConnectionTest report={tested} />}
      <Stack component="form" onSubmit={submit} aria-label="Profile" gap="xs" maw={640}>
        <Group align="end">
          <TextInput
            label="Profile name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            required
            disabled={!editable}
          />
          <SegmentedControl
            value={protocol}
            onChange={(v) => setProtocol(v as Protocol)}
            disabled={!editable}
            data={[
              { value: 'est', label: 'EST' },
              { value: 'scep', label: 'SCEP' },
              { value: 'cmp', label: 'CMP' },
              { value: 'local', label: 'Station CA' },
            ]}
          />
        </Group>
        {protocol !== 'local' && (
          <TextInput
            label="Service URL"
            placeholder="https://est.example.com/.well-known/est"
            value={url}
            onChange={(e) => setUrl(e.currentTarget.value)}
            disabled={!editable}
          />
        )}
        {protocol === 'est' && (
          <Group grow>
            <TextInput
              label="User"
              value={user}
              onChange={(e) => setUser(e.currentTarget.value)}
              disabled={!editable}
            />
            <PasswordInput
              label="Password (sealed)"
              value={password}
              onChange={(e) => setPassword(e.currentTarget.value)}
              disabled={!editable}
            />
          </Group>
        )}
        {protocol === 'scep' && (
          <Group grow>
            <TextInput
              label="CA fingerprint (SHA-256)"
              value={fingerprint}
              onChange={(e) => setFingerprint(e.currentTarget.value)}
              disabled={!editable}
            />
            <PasswordInput
              label="Challenge (sealed)"
              value={challenge}
              onChange={(e) => setChallenge(e.currentTarget.value)}
              disabled={!editable}
            />
          </Group>
        )}
        {protocol === 'cmp' && (
          <CmpFields
            editable={editable}
            values={{ reference, recipient, secret, trustPem }}
            set={{ reference: setReference, recipient: setRecipient, secret: setSecret, trustPem: setTrustPem }}
          />
        )}
        {protocol !== 'local' && (
          <NumberInput
            label="Timeout (seconds)"
            value={timeoutS}
            onChange={setTimeoutS}
            min={1}
            max={600}
            w={180}
            disabled={!editable}
          />
        )}
        <Group>
          <Button type="submit" disabled={!editable}>
            Save profile
          </Button>
          <ImportJsonButton onFile={(file) => void importFile(file)} disabled={!editable} />
          {saved && (
            <Text c="teal" role="status">
              Saved {saved}.
            </Text>
          )}
        </Group>
        <ProblemAlert problem={problem} />
      </Stack>
    </Stack>
  );
}

type CmpValues = { reference: string; recipient: string; secret: string; trustPem: string };

/** CMP: MAC protection with a shared secret (its reference), the CA's name, and the service's CA certificates. */
function CmpFields({
  editable,
  values,
  set,
}: {
  editable: boolean;
  values: CmpValues;
  set: { [K in keyof CmpValues]: (value: string) => void };
}) {
  return (
    <Stack gap="xs">
      <Group grow>
        <TextInput
          label="Reference (senderKID)"
          value={values.reference}
          onChange={(e) => set.reference(e.currentTarget.value)}
          disabled={!editable}
        />
        <PasswordInput
          label="Shared secret (sealed)"
          value={values.secret}
          onChange={(e) => set.secret(e.currentTarget.value)}
          disabled={!editable}
        />
      </Group>
      <TextInput
        label="Recipient (the CA's name)"
        placeholder="CN=Factory CA, O=Example"
        value={values.recipient}
        onChange={(e) => set.recipient(e.currentTarget.value)}
        disabled={!editable}
      />
      <Textarea
        label="Service CA certificates (PEM)"
        description="The server's signatures and the certificates it issues chain to these."
        value={values.trustPem}
        onChange={(e) => set.trustPem(e.currentTarget.value)}
        autosize
        minRows={2}
        maxRows={6}
        disabled={!editable}
        styles={{ input: { fontFamily: 'monospace', fontSize: 12 } }}
      />
    </Stack>
  );
}
