// A profile's connection test in a person's words: each layer on the way to the service with a
// mark, the first failure in one sentence, and the CA chain the service would give with its
// fingerprints (to compare with what the PKI team sent).
import { Badge, Code, List, Paper, Stack, Text, Title } from '@mantine/core';
import type { ProfileTestReport, ProfileTestStep } from '../../../shared/profile';

const STEP_WORDS: Record<ProfileTestStep['step'], string> = {
  dns: 'Name',
  tcp: 'Port',
  tls: 'TLS',
  authentication: 'Credentials',
  csrattrs: 'CSR attributes',
  ca: 'CA chain',
};

const STATUS: Record<ProfileTestStep['status'], { mark: string; color: string; words: string }> = {
  ok: { mark: '✔', color: 'teal', words: 'works' },
  failed: { mark: '✘', color: 'red', words: 'fails' },
  skipped: { mark: '·', color: 'gray', words: 'not tried' },
  unknown: { mark: '?', color: 'yellow', words: 'cannot tell' },
};

export function ConnectionTest({ report }: { report: ProfileTestReport }) {
  const passed = report.status === 'passed';
  return (
    <Paper withBorder p="sm" data-testid="connection-test" aria-label={`Connection test of ${report.profile}`}>
      <Stack gap="xs">
        <Title order={3} size="h5">
          {report.profile}: {passed ? 'the service answers as it should' : 'the service cannot be used'}{' '}
          <Badge color={passed ? 'teal' : 'red'}>{passed ? 'passed' : 'failed'}</Badge>
        </Title>
        <List spacing={4} listStyleType="none" withPadding={false}>
          {report.steps.map((step) => (
            <List.Item key={step.step} data-step={step.step} data-status={step.status}>
              <Text size="sm">
                <Text span c={STATUS[step.status].color} fw={700} aria-label={STATUS[step.status].words}>
                  {STATUS[step.status].mark}
                </Text>{' '}
                <Text span fw={600}>
                  {STEP_WORDS[step.step]}:
                </Text>{' '}
                {step.message}
              </Text>
            </List.Item>
          ))}
        </List>
        {report.caChain.length > 0 && (
          <Stack gap={2}>
            <Text size="sm" fw={600}>
              CA certificates the devices get
            </Text>
            {report.caChain.map((ca) => (
              <Text size="xs" key={ca.sha256}>
                {ca.subject} <Code>{ca.sha256}</Code>
              </Text>
            ))}
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}
