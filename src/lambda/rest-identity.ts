import type { APIGatewayEventIdentity } from 'aws-lambda';

/**
 * `requestContext.identity` of a REST API event (payload 1.0) for a caller
 * without IAM, Cognito or API key: every field AWS sends, null but the
 * caller's address and user agent. Shared by the local host and the test kit,
 * so both build the event AWS would.
 */
export function restApiIdentity(sourceIp: string, userAgent: string | null): APIGatewayEventIdentity {
  return {
    accessKey: null,
    accountId: null,
    apiKey: null,
    apiKeyId: null,
    caller: null,
    clientCert: null,
    cognitoAuthenticationProvider: null,
    cognitoAuthenticationType: null,
    cognitoIdentityId: null,
    cognitoIdentityPoolId: null,
    principalOrgId: null,
    sourceIp,
    user: null,
    userAgent,
    userArn: null,
  };
}
