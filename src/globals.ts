// @fanoutio/grip's published types (and so ours) name `JsonWebKey`, a global
// of the DOM lib. Declared here, empty, so that the package's types compile
// in a Node project without "DOM" in `lib`; where the DOM lib is present,
// this merges into its declaration and changes nothing.
declare global {
  interface JsonWebKey {}
}

export {};
