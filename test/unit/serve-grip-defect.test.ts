// Why grip-lambda does not route requests through @fanoutio/serve-grip's
// ServeGripBase.run(): with a verify key configured, it accepts any Grip-Sig.
// If a future version fixes this, this test fails and the choice can be revisited.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ServeGripBase, type IRequestGrip, type IResponseGrip } from '@fanoutio/serve-grip';
import type { GripInstruct, WebSocketContext } from '@fanoutio/grip';
import { GripSigVerifier } from '../../src/auth/grip-sig.js';

interface Req {
  headers: Record<string, string>;
  grip?: IRequestGrip;
}
interface Res {
  status?: number;
}

class MinimalServeGrip extends ServeGripBase<Req, Res> {
  constructor() {
    super({ grip: 'http://localhost:5561?iss=pushpin&key=changeme', gripProxyRequired: true });
  }
  getRequestGrip(req: Req) {
    return req.grip;
  }
  setRequestGrip(req: Req, grip: IRequestGrip) {
    req.grip = grip;
  }
  isRequestWsOverHttp() {
    return false;
  }
  getRequestWebSocketContext(): Promise<WebSocketContext> {
    throw new Error('not used');
  }
  getRequestHeaderValue(req: Req, key: string) {
    return req.headers[key];
  }
  setResponseGrip(_res: Res, _grip: IResponseGrip) {}
  setResponseStatus(res: Res, code: number) {
    res.status = code;
  }
  endResponse(res: Res) {
    return res;
  }
  monkeyPatchResMethodsForWebSocket(_res: Res, _ws: WebSocketContext) {}
  monkeyPatchResMethodsForGripInstruct(_res: Res, _getter: () => GripInstruct | null) {}
}

test('serve-grip 2.0 ServeGripBase.run() takes a forged Grip-Sig as signed; grip-lambda refuses it', async () => {
  const forged = 'not-a-jwt';
  const req: Req = { headers: { 'grip-sig': forged } };
  const res: Res = {};
  assert.equal(await new MinimalServeGrip().run(req, res), true);
  assert.equal(req.grip?.isSigned, true, 'serve-grip marks the forged signature as valid');

  const verifier = new GripSigVerifier([{ key: 'changeme', issuer: 'pushpin' }]);
  assert.deepEqual(await verifier.verify(forged), { ok: false, reason: 'Grip-Sig is not a JWT' });
});
