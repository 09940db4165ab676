// `npm run proxy-config -- --origin URL --out DIR [--nodes N]`: see src/local/proxy-config-command.ts.
import { proxyConfigCommand } from '../src/local/proxy-config-command.js';

process.exitCode = await proxyConfigCommand(process.argv.slice(2));
