// @bricolage/protocol: the wire contract shared by the coordinator and the browser. The embeddable widget's
// contracts are the subpath `@bricolage/protocol/widget`, so that the volunteer page does not carry them.
export * from './ids';
export * from './bytes';
export * from './canonical';
export * from './signing';
export * from './errors';
export * from './job';
export * from './volunteer';
export * from './receipt';
export * from './api';
export * from './merkle';
export * from './verifier';
export * from './automation';
