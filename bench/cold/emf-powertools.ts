// EMF through Powertools Metrics: the same metrics as one invocation of the toolkit reports, on one line.
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const metrics = new Metrics({ namespace: 'grip-lambda', serviceName: 'bench' });

export const handler = async (): Promise<{ statusCode: number }> => {
  metrics.addDimension('function', 'bench');
  metrics.addMetric('MessagesIn', MetricUnit.Count, 1);
  metrics.addMetric('MessagesOut', MetricUnit.Count, 1);
  metrics.addMetric('BytesIn', MetricUnit.Bytes, 5);
  metrics.addMetric('Publishes', MetricUnit.Count, 0);
  metrics.addMetric('HandlerDuration', MetricUnit.Milliseconds, 0.1);
  metrics.publishStoredMetrics();
  return { statusCode: 200 };
};
