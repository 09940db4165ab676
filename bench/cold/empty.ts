// The floor: a handler that does nothing, bundled the same way. Its load time is what require() itself costs.
export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 200 });
