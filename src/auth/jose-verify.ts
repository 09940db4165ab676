/**
 * The part of jose that client tokens use, in a module of its own: a
 * bundled function loads it (and node:crypto with it) on its first token
 * check, from `NAME.jose.cjs` (build/esbuild-plugins.cjs), and that file
 * holds these two functions and what they need, not all of jose.
 */
export { createLocalJWKSet, jwtVerify } from 'jose';
