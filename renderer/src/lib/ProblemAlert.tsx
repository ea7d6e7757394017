// One place that shows a refused request: the sentence, the code for support, each bad field.
import { Alert, List, Text } from '@mantine/core';
import type { Problem } from './errors';

export function ProblemAlert({ problem }: { problem: Problem | null }) {
  if (!problem) return null;
  return (
    <Alert color="red" role="alert" title={problem.message} data-code={problem.code}>
      {problem.issues.length > 0 && (
        <List size="sm" data-testid="problem-issues">
          {problem.issues.map((issue) => (
            <List.Item key={`${issue.path}:${issue.message}`}>
              <Text span ff="monospace" size="sm">
                {issue.path || '(document)'}
              </Text>
              : {issue.message}
            </List.Item>
          ))}
        </List>
      )}
      {problem.code && (
        <Text size="xs" c="dimmed">
          {problem.code}
        </Text>
      )}
    </Alert>
  );
}
