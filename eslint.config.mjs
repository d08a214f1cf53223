// Lint rules that enforce PrefLens's architecture as well as style:
// native/ never imports `vscode`; webview/ never imports Node modules nor builds HTML from
// strings (dataset text is untrusted).
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'crypto', 'zlib', 'stream', 'worker_threads', 'net', 'http', 'https', 'util', 'events', 'readline', 'url'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'out/**', 'test-artifacts/**', '.cache/**', 'test/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    files: ['native/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'native/ is shared with the CLI and must not depend on VS Code.' }] }],
    },
  },
  {
    files: ['webview/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'vscode', message: 'the webview talks to the host only through the protocol.' }],
          patterns: [
            { group: ['node:*'], message: 'the webview runs in a browser: no Node modules.' },
            { group: nodeBuiltins, message: 'the webview runs in a browser: no Node modules.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'use textContent / d3 .text(): dataset text is untrusted.' },
        { property: 'outerHTML', message: 'use DOM APIs: dataset text is untrusted.' },
        { property: 'insertAdjacentHTML', message: 'use DOM APIs: dataset text is untrusted.' },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: "CallExpression[callee.property.name='html']", message: "d3 .html() parses markup: use .text()." },
        { selector: "CallExpression[callee.property.name='write'][callee.object.name='document']", message: 'document.write parses markup.' },
      ],
    },
  },
);
