// wgsl_reflect's package.json points Node at a CommonJS build while declaring "type": "module"; its ES
// module build is imported by path instead, and has the package's own types.
declare module 'wgsl_reflect/wgsl_reflect.module.js' {
  export * from 'wgsl_reflect';
}
