/**
 * The layer map (docs/architecture.md, after vscode's layering rules). Checked
 * in `npm test`: an import that crosses a layer the wrong way fails the build.
 * Do not relax these rules; move the code instead.
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Cycles make initialisation order and ownership unclear.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-is-pure',
      severity: 'error',
      comment: 'src-shared imports only src-shared: no node:*, no packages, no DOM, no electron.',
      from: { path: '^src-shared/', pathNot: '\\.test\\.ts$' },
      to: { pathNot: '^src-shared/' },
    },
    {
      name: 'daemon-stays-in-its-layer',
      severity: 'error',
      comment: 'The daemon is plain Node: never electron, the CLI, the renderer or the process entry.',
      from: { path: '^src-main/daemon/' },
      to: { path: ['^src-main/cli/', '^src-main/electron/', '^src-renderer/', '^src-main/main\\.ts$', '^node_modules/electron/'] },
    },
    {
      name: 'common-is-below-daemon-and-cli',
      severity: 'error',
      comment: 'src-main/common (XDG paths, the API stubs) serves the daemon and the CLI; it imports neither.',
      from: { path: '^src-main/common/' },
      to: { path: ['^src-main/daemon/', '^src-main/cli/', '^src-main/electron/', '^src-renderer/', '^src-main/main\\.ts$'] },
    },
    {
      name: 'cli-is-a-client',
      severity: 'error',
      comment: 'The CLI talks to the daemon through its API (or the host the entry injects), never by importing it.',
      from: { path: '^src-main/cli/' },
      to: { path: ['^src-main/daemon/', '^src-main/electron/', '^src-renderer/', '^node_modules/electron/'] },
    },
    {
      name: 'electron-uses-daemon-index-only',
      severity: 'error',
      comment: 'The Electron host may use the daemon only through daemon/index.ts.',
      from: { path: '^src-main/electron/' },
      to: { path: '^src-main/daemon/', pathNot: '^src-main/daemon/index\\.ts$' },
    },
    {
      name: 'electron-only-in-electron',
      severity: 'error',
      comment: 'Only src-main/electron may import electron.',
      from: { pathNot: '^src-main/electron/' },
      to: { path: '^node_modules/electron/' },
    },
    {
      name: 'renderer-sees-shared-only',
      severity: 'error',
      comment: 'The renderer uses src-shared and browser packages only: never src-main, never node:*.',
      from: { path: '^src-renderer/' },
      to: { path: ['^src-main/'], dependencyTypes: [] },
    },
    {
      name: 'renderer-no-node',
      severity: 'error',
      from: { path: '^src-renderer/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'fuse-binding-in-fuse-only',
      severity: 'error',
      comment: 'fuse-native is loaded in src-main/daemon/fuse only (Electron memory cage, one place to swap it).',
      from: { pathNot: '^src-main/daemon/fuse/' },
      to: { path: '^node_modules/fuse-native/' },
    },
    {
      name: 'no-test-code-in-product',
      severity: 'error',
      from: { pathNot: ['\\.test\\.ts$', '^test/', '^bench/'] },
      to: { path: ['^test/', '\\.test\\.ts$'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.cjs', '.mjs', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
