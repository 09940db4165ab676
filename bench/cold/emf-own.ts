// EMF through the toolkit's own writer: the same metrics as bench/cold/emf-powertools.ts, on one line.
import { emfMembers } from '../../src/observe/metrics.js';

export const handler = async (): Promise<{ statusCode: number }> => {
  const members = emfMembers(
    { namespace: 'grip-lambda' },
    'bench',
    { MessagesIn: 1, MessagesOut: 1, BytesIn: 5, Publishes: 0, HandlerDuration: 0.1 },
    undefined,
  );
  process.stdout.write(`${JSON.stringify(members)}\n`);
  return { statusCode: 200 };
};
